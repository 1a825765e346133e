/**
 * Rules every Brick implementation shares, kept in one place so MemoryBrick, the SQLite index and
 * LocalBrick cannot drift apart: data file naming, record merging, usage accounting and listing bounds.
 */
import { createHash } from 'node:crypto';
import { InvalidArgument, SizeMismatch } from '../errors.js';
import { compareNames, type ObjectRef, type Timestamp } from '../store.js';
import { isNormal } from '../timestamp.js';
import {
  mergeMetadata,
  type AccountRecord,
  type BrickListQuery,
  type ContainerRecord,
  type ObjectRecord,
  type UsageCounters,
} from './brick.js';

/** Hex SHA-256 of `account/container/object`. Names are bytes to hash, never paths. */
export function nameHash(ref: ObjectRef): string {
  return createHash('sha256').update(`${ref.account}/${ref.container}/${ref.object}`, 'utf8').digest('hex');
}

/** Reject anything that is not a normal-form Swift timestamp (it becomes part of a file name). */
export function checkTimestamp(ts: Timestamp): void {
  if (typeof ts !== 'string' || !isNormal(ts)) throw new InvalidArgument(`not a normal-form timestamp: ${String(ts)}`);
}

/**
 * The brick-relative data file of version `dataTimestamp` of `ref`: `data/<aa>/<bb>/<hash>.<ts>.data`.
 * Deterministic, so every replica of one version names it the same; made only of hex digits, dots,
 * digits and `_`, so no input can make it point outside the brick.
 */
export function dataFileName(ref: ObjectRef, dataTimestamp: Timestamp): string {
  checkTimestamp(dataTimestamp);
  const h = nameHash(ref);
  return `data/${h.slice(0, 2)}/${h.slice(2, 4)}/${h}.${dataTimestamp}.data`;
}

export function refOf(record: { account: string; container: string; name: string }): ObjectRef {
  return { account: record.account, container: record.container, object: record.name };
}

/**
 * Check an object record before storing it. A live record must name exactly the data file its
 * (name, dataTimestamp) determine; a tombstone names none.
 */
export function checkObjectRecord(record: ObjectRecord): void {
  checkTimestamp(record.timestamp);
  checkTimestamp(record.dataTimestamp);
  if (record.deleted) {
    if (record.dataFile !== undefined) throw new InvalidArgument('a tombstone names no data file');
    return;
  }
  const want = dataFileName(refOf(record), record.dataTimestamp);
  if (record.dataFile !== want) {
    throw new InvalidArgument(`record data file ${String(record.dataFile)} is not ${want}`);
  }
  if (!Number.isSafeInteger(record.size) || record.size < 0) throw new InvalidArgument(`bad size ${record.size}`);
}

/**
 * Check the record a writer is asked to commit: a live record of the writer's object naming the
 * writer's data file, valid as checkObjectRecord says, of exactly the `written` bytes.
 */
export function checkWriterRecord(record: ObjectRecord, ref: ObjectRef, dataFile: string, written: number): void {
  if (record.account !== ref.account || record.container !== ref.container || record.name !== ref.object
      || record.deleted || record.dataFile !== dataFile) {
    throw new InvalidArgument(`record does not describe this writer's data (${dataFile})`);
  }
  checkObjectRecord(record);
  if (record.size !== written) throw new SizeMismatch(record.size, written);
}

/**
 * What one record adds to its container's counters: live objects count once, with their listing
 * size (Swift's container bytes_used sums the sizes the listing shows, overrides included).
 * Tombstones and absent records add nothing. Expired-but-not-yet-reaped objects still count, as in Swift.
 */
export function usageOf(record: ObjectRecord | undefined): UsageCounters {
  if (!record || record.deleted) return { objectCount: 0, bytesUsed: 0 };
  return { objectCount: 1, bytesUsed: record.listing?.size ?? record.size };
}

/** The larger of two optional timestamps. */
function maxTs(a: Timestamp | undefined, b: Timestamp | undefined): Timestamp | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a >= b ? a : b;
}

/** Merge two account records (commutative, idempotent): max timestamps, newest value per metadata key. */
export function mergeAccountRecords(stored: AccountRecord | undefined, incoming: AccountRecord): AccountRecord {
  const out: AccountRecord = {
    account: incoming.account,
    putTimestamp: maxTs(stored?.putTimestamp, incoming.putTimestamp)!,
    metadata: stored ? mergeMetadata(stored.metadata, incoming.metadata) : { ...incoming.metadata },
  };
  const del = maxTs(stored?.deleteTimestamp, incoming.deleteTimestamp);
  if (del !== undefined) out.deleteTimestamp = del;
  return out;
}

/**
 * Merge two container records (commutative, idempotent). The storage policy travels with the newest
 * putTimestamp (a re-created container may have a new policy); on equal putTimestamps the
 * lexically larger policy name wins, an arbitrary but symmetric rule.
 */
export function mergeContainerRecords(stored: ContainerRecord | undefined, incoming: ContainerRecord): ContainerRecord {
  let policy = incoming.storagePolicy;
  if (stored) {
    if (stored.putTimestamp > incoming.putTimestamp) policy = stored.storagePolicy;
    else if (stored.putTimestamp === incoming.putTimestamp && stored.storagePolicy > policy) policy = stored.storagePolicy;
  }
  const out: ContainerRecord = {
    account: incoming.account,
    container: incoming.container,
    putTimestamp: maxTs(stored?.putTimestamp, incoming.putTimestamp)!,
    metadata: stored ? mergeMetadata(stored.metadata, incoming.metadata) : { ...incoming.metadata },
    storagePolicy: policy,
  };
  const del = maxTs(stored?.deleteTimestamp, incoming.deleteTimestamp);
  if (del !== undefined) out.deleteTimestamp = del;
  return out;
}

/**
 * The smallest string greater than every string that starts with `prefix`, in UTF-8 byte order
 * (= code point order): the last code point bumped by one (skipping the surrogate block), dropping
 * trailing U+10FFFF. Undefined when no such string exists (empty prefix, or all U+10FFFF).
 */
export function prefixSuccessor(prefix: string): string | undefined {
  const cps = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (cps.length > 0) {
    const last = cps.pop()!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return String.fromCodePoint(...cps, next);
    }
  }
  return undefined;
}

/** A listing window: names in (or at) `lower` .. before `upper`, walked forward or backward. */
export interface ListBounds {
  lower?: { value: string; inclusive: boolean };
  /** Always exclusive. */
  upper?: string;
  reverse: boolean;
}

/**
 * Turn marker/end_marker/prefix into one window. Forward: names > marker, < end_marker. Reverse (as
 * Swift): names < marker, > end_marker, walked from the top. Prefix narrows both sides.
 */
export function listBounds(query: BrickListQuery): ListBounds {
  const reverse = query.reverse === true;
  const lowers: Array<{ value: string; inclusive: boolean }> = [];
  const uppers: string[] = [];
  const after = reverse ? query.endMarker : query.marker;
  const before = reverse ? query.marker : query.endMarker;
  if (after !== undefined && after !== '') lowers.push({ value: after, inclusive: false });
  if (before !== undefined && before !== '') uppers.push(before);
  if (query.prefix) {
    lowers.push({ value: query.prefix, inclusive: true });
    const succ = prefixSuccessor(query.prefix);
    if (succ !== undefined) uppers.push(succ);
  }
  const bounds: ListBounds = { reverse };
  for (const l of lowers) {
    const cur = bounds.lower;
    const c = cur ? compareNames(l.value, cur.value) : 1;
    if (c > 0 || (c === 0 && !l.inclusive)) bounds.lower = l;
  }
  for (const u of uppers) if (bounds.upper === undefined || compareNames(u, bounds.upper) < 0) bounds.upper = u;
  return bounds;
}

/** Whether `name` lies inside the window (used by implementations that filter in memory). */
export function inBounds(name: string, b: ListBounds): boolean {
  if (b.lower) {
    const c = compareNames(name, b.lower.value);
    if (c < 0 || (c === 0 && !b.lower.inclusive)) return false;
  }
  return b.upper === undefined || compareNames(name, b.upper) < 0;
}

/** Whether the window is empty for certain (lets callers skip the query). */
export function emptyBounds(b: ListBounds): boolean {
  if (!b.lower || b.upper === undefined) return false;
  return compareNames(b.lower.value, b.upper) >= 0;
}

/** A deep-enough copy of a record, so callers can never mutate what a brick stores. */
export function cloneRecord(r: ObjectRecord): ObjectRecord {
  const out: ObjectRecord = { ...r, metadata: { ...r.metadata }, systemMetadata: { ...r.systemMetadata } };
  if (r.listing) out.listing = { ...r.listing };
  return out;
}

export function cloneAccount(r: AccountRecord): AccountRecord {
  return { ...r, metadata: { ...r.metadata } };
}

export function cloneContainer(r: ContainerRecord): ContainerRecord {
  return { ...r, metadata: { ...r.metadata } };
}
