/**
 * MemoryBrick: the Brick contract entirely in memory (Swift's mem_diskfile). A test double for the
 * replica set, volume and API tests: records live in sorted per-container arrays, data in Buffers.
 *
 * It behaves like a LocalBrick that is never full: calls before `open()` or after `close()` reject
 * with BrickUnavailable; `close()` then `open()` keeps the stored records and data (a remount) but
 * discards writes that were in flight (their commit rejects, as a swept tmp/ would make it).
 */
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { BrickUnavailable, Conflict, InvalidArgument } from '../errors.js';
import { compareNames, type ObjectRef, type Timestamp } from '../store.js';
import type {
  AccountRecord,
  Brick,
  BrickHealth,
  BrickListQuery,
  BrickWriter,
  ContainerRecord,
  DataHandle,
  HealMark,
  ObjectRecord,
  UsageCounters,
} from './brick.js';
import {
  checkObjectRecord,
  checkWriterRecord,
  checkTimestamp,
  cloneAccount,
  cloneContainer,
  cloneRecord,
  dataFileName,
  emptyBounds,
  inBounds,
  listBounds,
  mergeAccountRecords,
  mergeContainerRecords,
  refOf,
  usageOf,
} from './records.js';
import { BufferDataHandle } from './streams.js';

/** One container's objects: names kept sorted by UTF-8 bytes, records by name. */
interface Shelf { names: string[]; records: Map<string, ObjectRecord> }

const SEP = '\u0000'; // names never contain NUL (the API refuses it), so it separates key parts

function key2(account: string, container: string): string { return account + SEP + container; }
function markKey(ref: ObjectRef, ts: Timestamp): string { return [ref.account, ref.container, ref.object, ts].join(SEP); }

/** Index of the first element >= name (binary search by UTF-8 byte order). */
function lowerBound(names: string[], name: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareNames(names[mid]!, name) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function compareRefs(a: ObjectRecord, b: { account: string; container: string; name: string }): number {
  return compareNames(a.account, b.account) || compareNames(a.container, b.container) || compareNames(a.name, b.name);
}

export class MemoryBrick implements Brick {
  private opened = false;
  /** Bumped at every open(): writers from an earlier generation were "swept". */
  private generation = 0;
  private readonly shelves = new Map<string, Shelf>();
  private readonly data = new Map<string, Buffer>();
  private readonly accounts = new Map<string, AccountRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly containerCounters = new Map<string, UsageCounters>();
  private readonly accountCounters = new Map<string, UsageCounters>();
  private readonly marks = new Map<string, HealMark>();

  constructor(readonly id: string) {}

  async open(): Promise<void> {
    if (this.opened) return;
    this.opened = true;
    this.generation++;
  }

  async close(): Promise<void> { this.opened = false; }

  async health(): Promise<BrickHealth> {
    const used = [...this.data.values()].reduce((n, b) => n + b.length, 0);
    return {
      id: this.id, ok: this.opened, readOnly: false,
      totalBytes: Number.MAX_SAFE_INTEGER, freeBytes: Number.MAX_SAFE_INTEGER - used,
      ...(this.opened ? {} : { detail: 'not open' }),
    };
  }

  // -- objects ------------------------------------------------------------------------------------

  async createWriter(ref: ObjectRef, timestamp: Timestamp): Promise<BrickWriter> {
    this.ready();
    const dataFile = dataFileName(ref, timestamp);
    return new MemoryWriter(this, ref, dataFile, this.generation);
  }

  async putRecord(record: ObjectRecord): Promise<void> {
    this.ready();
    checkObjectRecord(record);
    if (!record.deleted && this.data.get(record.dataFile!)?.length !== record.size) {
      throw new BrickUnavailable(this.id, { cause: new Error(`data file ${record.dataFile} not held or of another size`) });
    }
    this.store(record);
  }

  async getRecord(ref: ObjectRef): Promise<ObjectRecord | undefined> {
    this.ready();
    const r = this.shelves.get(key2(ref.account, ref.container))?.records.get(ref.object);
    return r && cloneRecord(r);
  }

  async openData(record: ObjectRecord): Promise<DataHandle> {
    this.ready();
    if (!record.deleted && record.dataFile !== undefined && record.dataFile !== dataFileName(refOf(record), record.dataTimestamp)) {
      throw new InvalidArgument(`record data file ${record.dataFile} is not its deterministic name`);
    }
    const buf = record.deleted || record.dataFile === undefined ? undefined : this.data.get(record.dataFile);
    if (!buf || buf.length !== record.size) {
      throw new BrickUnavailable(this.id, { cause: new Error(`data file ${String(record.dataFile)} missing or wrong size`) });
    }
    return new BufferDataHandle(buf);
  }

  async linkData(source: ObjectRecord, dst: ObjectRef, timestamp: Timestamp): Promise<string | undefined> {
    this.ready();
    checkObjectRecord(source);
    if (source.deleted) throw new InvalidArgument('cannot link the data of a tombstone');
    const buf = this.data.get(source.dataFile!);
    if (!buf || buf.length !== source.size) return undefined;
    const name = dataFileName(dst, timestamp);
    const holder = this.recordNaming(name);
    if (holder) throw new Conflict(holder.timestamp, timestamp);
    this.data.set(name, buf); // Buffers are never mutated, so sharing one is a faithful hard link
    return name;
  }

  async listObjects(account: string, container: string, query: BrickListQuery): Promise<ObjectRecord[]> {
    this.ready();
    const shelf = this.shelves.get(key2(account, container));
    const b = listBounds(query);
    if (!shelf || emptyBounds(b) || query.limit <= 0) return [];
    const out: ObjectRecord[] = [];
    const { names } = shelf;
    if (!b.reverse) {
      for (let i = b.lower ? lowerBound(names, b.lower.value) : 0; i < names.length && out.length < query.limit; i++) {
        const name = names[i]!;
        if (b.upper !== undefined && compareNames(name, b.upper) >= 0) break;
        if (inBounds(name, b)) out.push(cloneRecord(shelf.records.get(name)!));
      }
    } else {
      const top = b.upper !== undefined ? lowerBound(names, b.upper) : names.length;
      for (let i = top - 1; i >= 0 && out.length < query.limit; i--) {
        const name = names[i]!;
        if (!inBounds(name, b)) break; // below the window: everything further down is too
        out.push(cloneRecord(shelf.records.get(name)!));
      }
    }
    return out;
  }

  async scanObjects(after: ObjectRef | undefined, limit: number): Promise<ObjectRecord[]> {
    this.ready();
    const cursor = after && { account: after.account, container: after.container, name: after.object };
    const keys = [...this.shelves.keys()].map((k) => k.split(SEP) as [string, string])
      .sort((a, b) => compareNames(a[0], b[0]) || compareNames(a[1], b[1]));
    const out: ObjectRecord[] = [];
    for (const [account, container] of keys) {
      const shelf = this.shelves.get(key2(account, container))!;
      for (const name of shelf.names) {
        if (out.length >= limit) return out;
        const r = shelf.records.get(name)!;
        if (!cursor || compareRefs(r, cursor) > 0) out.push(cloneRecord(r));
      }
    }
    return out;
  }

  async reclaimTombstone(ref: ObjectRef, timestamp: Timestamp): Promise<boolean> {
    this.ready();
    checkTimestamp(timestamp);
    const k = key2(ref.account, ref.container);
    const shelf = this.shelves.get(k);
    const stored = shelf?.records.get(ref.object);
    if (!shelf || !stored || !stored.deleted || stored.timestamp !== timestamp) return false;
    shelf.records.delete(ref.object);
    shelf.names.splice(lowerBound(shelf.names, ref.object), 1);
    if (shelf.names.length === 0) this.shelves.delete(k);
    return true; // a tombstone counts nothing: the counters stay as they are
  }

  async listExpired(before: number, limit: number): Promise<ObjectRecord[]> {
    this.ready();
    const hits: ObjectRecord[] = [];
    for (const shelf of this.shelves.values()) {
      for (const r of shelf.records.values()) if (!r.deleted && r.deleteAt !== undefined && r.deleteAt <= before) hits.push(r);
    }
    hits.sort((a, b) => (a.deleteAt! - b.deleteAt!) || compareRefs(a, b));
    return hits.slice(0, Math.max(0, limit)).map(cloneRecord);
  }

  async containerUsage(account: string, container: string): Promise<UsageCounters> {
    this.ready();
    return { ...(this.containerCounters.get(key2(account, container)) ?? { objectCount: 0, bytesUsed: 0 }) };
  }

  async accountUsage(account: string): Promise<UsageCounters> {
    this.ready();
    return { ...(this.accountCounters.get(account) ?? { objectCount: 0, bytesUsed: 0 }) };
  }

  // -- accounts and containers ----------------------------------------------------------------------

  async mergeAccount(record: AccountRecord): Promise<AccountRecord> {
    this.ready();
    checkTimestamp(record.putTimestamp);
    const merged = mergeAccountRecords(this.accounts.get(record.account), record);
    this.accounts.set(record.account, merged);
    return cloneAccount(merged);
  }

  async getAccount(account: string): Promise<AccountRecord | undefined> {
    this.ready();
    const r = this.accounts.get(account);
    return r && cloneAccount(r);
  }

  async mergeContainer(record: ContainerRecord): Promise<ContainerRecord> {
    this.ready();
    checkTimestamp(record.putTimestamp);
    const k = key2(record.account, record.container);
    const merged = mergeContainerRecords(this.containers.get(k), record);
    this.containers.set(k, merged);
    return cloneContainer(merged);
  }

  async getContainer(account: string, container: string): Promise<ContainerRecord | undefined> {
    this.ready();
    const r = this.containers.get(key2(account, container));
    return r && cloneContainer(r);
  }

  async listContainers(account: string, query: BrickListQuery): Promise<Array<ContainerRecord & UsageCounters>> {
    this.ready();
    const b = listBounds(query);
    const names = [...this.containers.values()].filter((c) => c.account === account && inBounds(c.container, b))
      .map((c) => c.container).sort(compareNames);
    if (b.reverse) names.reverse();
    return names.slice(0, Math.max(0, query.limit)).map((name) => {
      const k = key2(account, name);
      return { ...cloneContainer(this.containers.get(k)!), ...(this.containerCounters.get(k) ?? { objectCount: 0, bytesUsed: 0 }) };
    });
  }

  async scanAccounts(after: string | undefined, limit: number): Promise<AccountRecord[]> {
    this.ready();
    return [...this.accounts.values()].filter((a) => after === undefined || compareNames(a.account, after) > 0)
      .sort((a, b) => compareNames(a.account, b.account)).slice(0, Math.max(0, limit)).map(cloneAccount);
  }

  // -- heal marks -------------------------------------------------------------------------------------

  async markDirty(ref: ObjectRef, timestamp: Timestamp): Promise<void> {
    this.ready();
    const k = markKey(ref, timestamp);
    if (!this.marks.has(k)) this.marks.set(k, { ref: { ...ref }, kind: 'dirty', blamed: [], timestamp });
  }

  async settle(ref: ObjectRef, timestamp: Timestamp, blamed: string[]): Promise<void> {
    this.ready();
    const k = markKey(ref, timestamp);
    if (blamed.length === 0) { this.marks.delete(k); return; }
    const prior = this.marks.get(k);
    const all = new Set([...(prior?.kind === 'pending' ? prior.blamed : []), ...blamed]);
    this.marks.set(k, { ref: { ...ref }, kind: 'pending', blamed: [...all].sort(), timestamp });
  }

  async listMarks(limit: number): Promise<HealMark[]> {
    this.ready();
    const all = [...this.marks.values()].sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0)
      || compareNames(a.ref.account, b.ref.account) || compareNames(a.ref.container, b.ref.container)
      || compareNames(a.ref.object, b.ref.object));
    return all.slice(0, Math.max(0, limit)).map((m) => ({ ...m, ref: { ...m.ref }, blamed: [...m.blamed] }));
  }

  async clearMark(ref: ObjectRef, through?: Timestamp): Promise<void> {
    this.ready();
    for (const [k, m] of this.marks) {
      if (m.ref.account !== ref.account || m.ref.container !== ref.container || m.ref.object !== ref.object) continue;
      if (through === undefined || m.timestamp <= through) this.marks.delete(k);
    }
  }

  // -- maintenance ------------------------------------------------------------------------------------

  async audit(): Promise<number> {
    this.ready();
    const named = new Set<string>();
    for (const shelf of this.shelves.values()) for (const r of shelf.records.values()) if (r.dataFile) named.add(r.dataFile);
    let removed = 0;
    for (const f of [...this.data.keys()]) if (!named.has(f)) { this.data.delete(f); removed++; }
    return removed;
  }

  // -- internals (used by MemoryWriter) ------------------------------------------------------------------

  /** @internal Reject unless open. */
  ready(): void {
    if (!this.opened) throw new BrickUnavailable(this.id, { cause: new Error('brick is not open') });
  }

  /** @internal Whether writers of `generation` may still commit. */
  current(generation: number): boolean { return this.opened && generation === this.generation; }

  /** @internal Commit a writer's bytes and record in one step (nothing async between check and store). */
  commitData(record: ObjectRecord, bytes: Buffer): void {
    const stored = this.shelves.get(key2(record.account, record.container))?.records.get(record.name);
    if (stored && stored.timestamp >= record.timestamp) throw new Conflict(stored.timestamp, record.timestamp);
    this.data.set(record.dataFile!, bytes);
    this.store(record);
  }

  /** Store `record` newest-wins, adjust counters, drop the superseded data. Synchronous: atomic here. */
  private store(record: ObjectRecord): void {
    const k = key2(record.account, record.container);
    let shelf = this.shelves.get(k);
    const stored = shelf?.records.get(record.name);
    if (stored && stored.timestamp >= record.timestamp) throw new Conflict(stored.timestamp, record.timestamp);
    if (!shelf) { shelf = { names: [], records: new Map() }; this.shelves.set(k, shelf); }
    if (!stored) shelf.names.splice(lowerBound(shelf.names, record.name), 0, record.name);
    shelf.records.set(record.name, cloneRecord(record));
    const before = usageOf(stored);
    const after = usageOf(record);
    bump(this.containerCounters, k, before, after);
    bump(this.accountCounters, record.account, before, after);
    if (stored?.dataFile && stored.dataFile !== record.dataFile && !this.recordNaming(stored.dataFile)) {
      this.data.delete(stored.dataFile);
    }
  }

  /** The record naming `dataFile`, if any (data file names embed the object's hash, so look there). */
  private recordNaming(dataFile: string): ObjectRecord | undefined {
    for (const shelf of this.shelves.values()) for (const r of shelf.records.values()) if (r.dataFile === dataFile) return r;
    return undefined;
  }
}

function bump(map: Map<string, UsageCounters>, k: string, before: UsageCounters, after: UsageCounters): void {
  const cur = map.get(k) ?? { objectCount: 0, bytesUsed: 0 };
  map.set(k, {
    objectCount: cur.objectCount + after.objectCount - before.objectCount,
    bytesUsed: cur.bytesUsed + after.bytesUsed - before.bytesUsed,
  });
}

/** A write into memory: chunks are kept until commit joins them (a test double may buffer). */
class MemoryWriter implements BrickWriter {
  readonly stream: Writable;
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(private readonly brick: MemoryBrick, private readonly ref: ObjectRef,
              readonly dataFile: string, private readonly generation: number) {
    this.stream = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        if (this.state !== 'open') return cb(new InvalidArgument('writer already finished'));
        if (!this.brick.current(this.generation)) return cb(new BrickUnavailable(this.brick.id));
        this.chunks.push(Buffer.from(chunk));
        this.bytes += chunk.length;
        cb();
      },
    });
  }

  async commit(record: ObjectRecord): Promise<void> {
    if (this.state !== 'open') throw new InvalidArgument(`writer already ${this.state}`);
    if (!this.stream.writableEnded) throw new InvalidArgument('commit before the stream was ended');
    await finished(this.stream).catch((err: unknown) => { throw new BrickUnavailable(this.brick.id, { cause: err }); });
    checkWriterRecord(record, this.ref, this.dataFile, this.bytes);
    if (!this.brick.current(this.generation)) throw new BrickUnavailable(this.brick.id);
    this.brick.commitData(record, Buffer.concat(this.chunks));
    this.state = 'committed';
    this.chunks.length = 0;
  }

  async abort(): Promise<void> {
    if (this.state === 'committed') return;
    this.state = 'aborted';
    this.chunks.length = 0;
    if (!this.stream.destroyed) this.stream.destroy();
  }
}
