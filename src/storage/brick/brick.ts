/**
 * The Brick: one directory's worth of storage (GlusterFS's brick, Swift's DiskFile trio, MinIO's
 * StorageAPI). Implementations: LocalBrick (a directory + SQLite index), MemoryBrick (tests),
 * FaultyBrick (a decorator that fails on command) and, later, RemoteBrick (a brick server over HTTP).
 *
 * A brick knows nothing of replicas, layouts or HTTP. It keeps records (the index) and immutable data
 * files, and it enforces newest-timestamp-wins on every record it stores.
 *
 * Errors: operations reject with StoreError subclasses: `Conflict` when a record is not newer than the
 * stored one; `InsufficientStorage` when full; `BrickUnavailable` for any I/O failure or when the brick
 * is gone (see `fromErrno`). A missing object record is `undefined`, not an error.
 */
import type { Readable, Writable } from 'node:stream';
import type { ByteRange, ListingOverride, Metadata, ObjectRef, Timestamp } from '../store.js';

/** One version of an object (or its tombstone) as one brick holds it. */
export interface ObjectRecord {
  account: string;
  container: string;
  name: string;
  /** Last change (PUT, POST or DELETE): the version's position in newest-wins order. */
  timestamp: Timestamp;
  /** The PUT that wrote the data (equal to `timestamp` unless a POST came later). */
  dataTimestamp: Timestamp;
  deleted: boolean;
  size: number;
  etag: string;
  contentType: string;
  metadata: Metadata;
  systemMetadata: Metadata;
  deleteAt?: number;
  listing?: ListingOverride;
  /**
   * Brick-relative name of the data file; absent for tombstones. Deterministic from the object's
   * name and data timestamp, so replicas of one version share it (a POST keeps it).
   */
  dataFile?: string;
}

/** Metadata as records keep it: value and the timestamp it was set at ('' value = removed). */
export type TimestampedMetadata = Record<string, [value: string, timestamp: Timestamp]>;

/** An account or container record. Merging two records is commutative and idempotent. */
export interface ContainerRecord {
  account: string;
  container: string;
  putTimestamp: Timestamp;
  /** Set when deleted; the container exists while putTimestamp > deleteTimestamp. */
  deleteTimestamp?: Timestamp;
  metadata: TimestampedMetadata;
  storagePolicy: string;
}

export interface AccountRecord {
  account: string;
  putTimestamp: Timestamp;
  deleteTimestamp?: Timestamp;
  metadata: TimestampedMetadata;
}

/** Counters this brick keeps for the live objects it holds. */
export interface UsageCounters { objectCount: number; bytesUsed: number }

export interface BrickListQuery {
  marker?: string;
  endMarker?: string;
  prefix?: string;
  reverse?: boolean;
  limit: number;
}

/**
 * A write in progress. Bytes go to `stream` (a temporary file, never visible to readers). After the
 * stream has finished, `commit` makes it durable (fsync, rename into place) and stores the record,
 * newest-wins; `abort` discards the temporary data. Exactly one of commit/abort must be called; abort
 * after a failed commit is allowed and harmless.
 */
export interface BrickWriter {
  readonly stream: Writable;
  /** The record's `dataFile` must be `this.dataFile`. Rejects with Conflict if a newer record is stored. */
  commit(record: ObjectRecord): Promise<void>;
  abort(): Promise<void>;
  readonly dataFile: string;
}

/** An open data file; pinned even if its record is superseded. `close` exactly once. */
export interface DataHandle {
  readonly size: number;
  read(range?: ByteRange): Readable;
  close(): void;
}

export interface BrickHealth {
  id: string;
  ok: boolean;
  totalBytes: number;
  freeBytes: number;
  readOnly: boolean;
  detail?: string;
}

/** A heal mark: `dirty` = a transaction was in flight; `pending` = this brick blames `blamed` bricks. */
export interface HealMark {
  ref: ObjectRef;
  kind: 'dirty' | 'pending';
  /** Brick ids that missed the write (pending marks only). */
  blamed: string[];
  timestamp: Timestamp;
}

export interface Brick {
  readonly id: string;

  /** Prepare for use: create the layout if new, sweep `tmp/`. Idempotent. */
  open(): Promise<void>;
  close(): Promise<void>;
  health(): Promise<BrickHealth>;
  /**
   * A number that changes whenever this brick's account or container records may have changed, by
   * anyone; undefined (or absent) when the brick cannot tell cheaply (remote, closed). Equal numbers
   * let the catalog keep using records it read (catalog.ts).
   */
  recordsVersion?(): number | undefined;

  // -- objects ------------------------------------------------------------------------------------
  /** Start writing the data of version `timestamp` of `ref`. */
  createWriter(ref: ObjectRef, timestamp: Timestamp): Promise<BrickWriter>;
  /**
   * Store a record that needs no new data: a tombstone, a POST (same dataFile), or a record whose
   * data file this brick already holds (heal, link). Rejects with Conflict unless newer than the stored one.
   * A superseded data file no other record names is removed.
   */
  putRecord(record: ObjectRecord): Promise<void>;
  /** The stored record of `ref`, tombstones included; undefined if none. */
  getRecord(ref: ObjectRef): Promise<ObjectRecord | undefined>;
  /**
   * Open the data file of `record`. Rejects (BrickUnavailable) if it is missing or its size differs
   * from `record.size`, so the caller can read from another replica.
   */
  openData(record: ObjectRecord): Promise<DataHandle>;
  /**
   * Make the data of `source` (held here) available as the data file of version `timestamp` of `dst`
   * without copying bytes (a hard link). Resolves with the new dataFile, or undefined when this brick
   * cannot link (the caller then streams a copy). The caller stores the record with `putRecord`.
   */
  linkData(source: ObjectRecord, dst: ObjectRef, timestamp: Timestamp): Promise<string | undefined>;
  /** Records of one container in name order (UTF-8 bytes), tombstones included. */
  listObjects(account: string, container: string, query: BrickListQuery): Promise<ObjectRecord[]>;
  /** Every object record on the brick after `after` (by account, container, name), for heal and rebalance crawls. */
  scanObjects(after: ObjectRef | undefined, limit: number): Promise<ObjectRecord[]>;
  /**
   * Remove the record of `ref` if it is a data-less record (tombstone) of exactly `timestamp`: the
   * heal crawl's reclaim of tombstones older than reclaim_age, once every replica holds the same one.
   * Anything else stored (a newer record, a live one) is left alone. Resolves with whether it was removed.
   */
  reclaimTombstone(ref: ObjectRef, timestamp: Timestamp): Promise<boolean>;
  /** Live records with deleteAt <= before, oldest deleteAt first. */
  listExpired(before: number, limit: number): Promise<ObjectRecord[]>;
  /** Counters of the live objects of one container held on this brick. */
  containerUsage(account: string, container: string): Promise<UsageCounters>;
  /** Counters of the live objects of the whole account held on this brick. */
  accountUsage(account: string): Promise<UsageCounters>;

  // -- accounts and containers (their records live on every brick) -------------------------------
  /** Merge into the stored record (max timestamps, newest value per metadata key). Returns the result. */
  mergeAccount(record: AccountRecord): Promise<AccountRecord>;
  getAccount(account: string): Promise<AccountRecord | undefined>;
  mergeContainer(record: ContainerRecord): Promise<ContainerRecord>;
  getContainer(account: string, container: string): Promise<ContainerRecord | undefined>;
  /** Container records of an account in name order, deleted ones included, with this brick's counters. */
  listContainers(account: string, query: BrickListQuery): Promise<Array<ContainerRecord & UsageCounters>>;
  /** Account records in name order (UTF-8 bytes) after `after`, deleted ones included (heal crawls). */
  scanAccounts(after: string | undefined, limit: number): Promise<AccountRecord[]>;

  // -- heal marks (AFR's dirty and pending changelog) ---------------------------------------------
  markDirty(ref: ObjectRef, timestamp: Timestamp): Promise<void>;
  /** Clear the dirty mark; when `blamed` is non-empty, leave a pending mark blaming those bricks instead. */
  settle(ref: ObjectRef, timestamp: Timestamp, blamed: string[]): Promise<void>;
  /** Oldest transactions first. */
  listMarks(limit: number): Promise<HealMark[]>;
  /**
   * Remove the object's marks; with `through`, only those of transactions at or before it, so a
   * healer clearing what it healed never clears a newer transaction's mark on the same object.
   */
  clearMark(ref: ObjectRef, through?: Timestamp): Promise<void>;

  // -- maintenance ---------------------------------------------------------------------------------
  /** Remove data files no record names and temporary files; resolves with how many were removed. */
  audit(): Promise<number>;
}

/** Merge two timestamped metadata maps: per key, the newer timestamp wins. */
export function mergeMetadata(a: TimestampedMetadata, b: TimestampedMetadata): TimestampedMetadata {
  const out: TimestampedMetadata = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    if (!cur || v[1] > cur[1]) out[k] = v;
  }
  return out;
}

/** The live view of timestamped metadata: removed keys dropped. */
export function liveMetadata(m: { readonly [key: string]: readonly [value: string, timestamp: Timestamp] }): Metadata {
  const out: Metadata = {};
  for (const [k, [v]] of Object.entries(m)) if (v !== '') out[k] = v;
  return out;
}
