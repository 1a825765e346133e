/**
 * BrickIndex: the per-brick SQLite index (`<brick>/index.db`, better-sqlite3, WAL).
 *
 * It holds one current row per object name (tombstones are rows with deleted=1), the account and
 * container records, per-container and per-account counters of live objects (changed in the SAME
 * transaction as the record they follow), heal marks, and the expiry lookup.
 *
 * Names are TEXT with SQLite's BINARY collation, which compares UTF-8 bytes: exactly the listing
 * order `compareNames` defines. Every listing is a range scan of a primary key and costs O(limit).
 *
 * All calls are synchronous (better-sqlite3): a transaction can never interleave with another call
 * of this process, which is what makes "check newest-wins, then write" atomic.
 *
 * Durability is explicit (group commit, group-sync.ts). The connection runs with synchronous=NORMAL,
 * so a commit writes its WAL frames without an fsync and never blocks the event loop on the disk;
 * a caller that needs a commit on disk (a record: object, tombstone, account, container) awaits
 * `durable()` after it, which fsyncs the WAL on the threadpool, shared by every commit waiting at
 * the time. Why this is enough:
 * - WAL frames are appended in commit order and recovery keeps the longest valid prefix (frames are
 *   checksummed and salted), so an fsync after commit C makes C and every earlier commit durable.
 * - Heal marks (markDirty, settle, clearMark) need no fsync of their own: a mark matters only beside
 *   the record commit of the same write on the same brick, which comes after it and syncs it too.
 *   A mark lost with a crash before that commit marks a write that left nothing durable here; a
 *   settle lost after it leaves the (durable) dirty mark, which still sends the healer to the object.
 * - Checkpoints cannot lose a commit: with synchronous=NORMAL SQLite fsyncs the WAL before copying
 *   frames into the database, fsyncs the database before the WAL is reset, and syncs the WAL header
 *   when it is reused; a frame is therefore on disk in the WAL or in the database, whichever we fsync.
 * - The WAL file is never unlinked while this connection is open (SQLite deletes it only when the
 *   last connection closes), so the descriptor GroupSync keeps names the live WAL.
 * With fsync on, checkpoints run on a worker thread (wal-checkpointer.ts says why and how): the
 * connection's own automatic checkpoint is only a backstop then.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { Conflict } from '../errors.js';
import { GroupSync } from './group-sync.js';
import { BACKSTOP_PAGES, CHECKPOINT_EVERY, walCheckpointer } from './wal-checkpointer.js';
import type { ObjectRef, Timestamp } from '../store.js';
import type {
  AccountRecord,
  BrickListQuery,
  ContainerRecord,
  HealMark,
  ObjectRecord,
  UsageCounters,
} from './brick.js';
import { listBounds, mergeAccountRecords, mergeContainerRecords, usageOf, type ListBounds } from './records.js';

/** 2: records_changes (older code would change records without counting them, so it may not open these). */
const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  account TEXT NOT NULL, container TEXT NOT NULL, name TEXT NOT NULL,
  timestamp TEXT NOT NULL, data_timestamp TEXT NOT NULL, deleted INTEGER NOT NULL,
  size INTEGER NOT NULL, etag TEXT NOT NULL, content_type TEXT NOT NULL,
  metadata TEXT NOT NULL, system_metadata TEXT NOT NULL,
  delete_at NUMERIC, listing TEXT, data_file TEXT,
  PRIMARY KEY (account, container, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_by_data_file ON objects (data_file) WHERE data_file IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_by_expiry ON objects (delete_at, account, container, name)
  WHERE delete_at IS NOT NULL AND deleted = 0;
CREATE TABLE IF NOT EXISTS accounts (
  account TEXT PRIMARY KEY, put_timestamp TEXT NOT NULL, delete_timestamp TEXT, metadata TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS containers (
  account TEXT NOT NULL, container TEXT NOT NULL, put_timestamp TEXT NOT NULL, delete_timestamp TEXT,
  metadata TEXT NOT NULL, storage_policy TEXT NOT NULL,
  PRIMARY KEY (account, container)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS container_usage (
  account TEXT NOT NULL, container TEXT NOT NULL, object_count INTEGER NOT NULL, bytes_used INTEGER NOT NULL,
  PRIMARY KEY (account, container)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS account_usage (
  account TEXT PRIMARY KEY, object_count INTEGER NOT NULL, bytes_used INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS marks (
  account TEXT NOT NULL, container TEXT NOT NULL, name TEXT NOT NULL, timestamp TEXT NOT NULL,
  kind TEXT NOT NULL, blamed TEXT NOT NULL,
  PRIMARY KEY (account, container, name, timestamp)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS marks_by_time ON marks (timestamp, account, container, name);
CREATE TABLE IF NOT EXISTS records_changes (id INTEGER PRIMARY KEY CHECK (id = 0), n INTEGER NOT NULL);
INSERT OR IGNORE INTO records_changes (id, n) VALUES (0, 0);
`;

const OBJECT_COLUMNS = `account, container, name, timestamp, data_timestamp, deleted, size, etag, content_type,
  metadata, system_metadata, delete_at, listing, data_file`;

/** The hot statements' SQL, built once (a statement is found by its text: a constant string hashes once). */
const SELECT_OBJECT = `SELECT ${OBJECT_COLUMNS} FROM objects WHERE account = ? AND container = ? AND name = ?`;
const REPLACE_OBJECT = `INSERT OR REPLACE INTO objects (${OBJECT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

interface ObjectRow {
  account: string; container: string; name: string; timestamp: string; data_timestamp: string;
  deleted: number; size: number; etag: string; content_type: string; metadata: string;
  system_metadata: string; delete_at: number | null; listing: string | null; data_file: string | null;
}

interface ContainerRow {
  account: string; container: string; put_timestamp: string; delete_timestamp: string | null;
  metadata: string; storage_policy: string;
}

interface AccountRow { account: string; put_timestamp: string; delete_timestamp: string | null; metadata: string }

interface MarkRow { account: string; container: string; name: string; timestamp: string; kind: string; blamed: string }

function toRecord(r: ObjectRow): ObjectRecord {
  const out: ObjectRecord = {
    account: r.account, container: r.container, name: r.name,
    timestamp: r.timestamp, dataTimestamp: r.data_timestamp, deleted: r.deleted !== 0,
    size: r.size, etag: r.etag, contentType: r.content_type,
    metadata: JSON.parse(r.metadata) as ObjectRecord['metadata'],
    systemMetadata: JSON.parse(r.system_metadata) as ObjectRecord['systemMetadata'],
  };
  if (r.delete_at !== null) out.deleteAt = r.delete_at;
  if (r.listing !== null) out.listing = JSON.parse(r.listing) as NonNullable<ObjectRecord['listing']>;
  if (r.data_file !== null) out.dataFile = r.data_file;
  return out;
}

/** The columns of a listing row: OBJECT_COLUMNS but the account and container the query fixes. */
const LISTED_COLUMNS = `name, timestamp, data_timestamp, deleted, size, etag, content_type,
  metadata, system_metadata, delete_at, listing, data_file`;

/** A listing row as a raw statement returns it: the values in LISTED_COLUMNS order. */
type ListedRow = [name: string, timestamp: string, dataTimestamp: string, deleted: number, size: number, etag: string,
  contentType: string, metadata: string, systemMetadata: string, deleteAt: number | null, listing: string | null,
  dataFile: string | null];

/** A metadata map from its JSON; the common empty map without running the parser. */
function parseMap<M>(json: string): M {
  return (json === '{}' ? {} : JSON.parse(json)) as M;
}

/**
 * toRecord for a listing row of `account`/`container` (the query's WHERE matched them exactly, so
 * they are not read back). Listings read thousands of rows per page: arrays instead of one object
 * per row, two columns fewer, and no JSON parse for empty maps roughly halve the cost of a page.
 */
function listedRecord(account: string, container: string, r: ListedRow): ObjectRecord {
  const out: ObjectRecord = {
    account, container, name: r[0], timestamp: r[1], dataTimestamp: r[2], deleted: r[3] !== 0,
    size: r[4], etag: r[5], contentType: r[6],
    metadata: parseMap<ObjectRecord['metadata']>(r[7]),
    systemMetadata: parseMap<ObjectRecord['systemMetadata']>(r[8]),
  };
  if (r[9] !== null) out.deleteAt = r[9];
  if (r[10] !== null) out.listing = JSON.parse(r[10]) as NonNullable<ObjectRecord['listing']>;
  if (r[11] !== null) out.dataFile = r[11];
  return out;
}

function toRow(r: ObjectRecord): unknown[] {
  return [r.account, r.container, r.name, r.timestamp, r.dataTimestamp, r.deleted ? 1 : 0, r.size, r.etag,
    r.contentType, JSON.stringify(r.metadata), JSON.stringify(r.systemMetadata), r.deleteAt ?? null,
    r.listing ? JSON.stringify(r.listing) : null, r.dataFile ?? null];
}

function toContainer(r: ContainerRow): ContainerRecord {
  const out: ContainerRecord = {
    account: r.account, container: r.container, putTimestamp: r.put_timestamp,
    metadata: JSON.parse(r.metadata) as ContainerRecord['metadata'], storagePolicy: r.storage_policy,
  };
  if (r.delete_timestamp !== null) out.deleteTimestamp = r.delete_timestamp;
  return out;
}

function toAccount(r: AccountRow): AccountRecord {
  const out: AccountRecord = {
    account: r.account, putTimestamp: r.put_timestamp, metadata: JSON.parse(r.metadata) as AccountRecord['metadata'],
  };
  if (r.delete_timestamp !== null) out.deleteTimestamp = r.delete_timestamp;
  return out;
}

/** SQL for a listing window over `col`: the WHERE tail, its parameters and the ORDER BY. */
function windowSql(col: string, b: ListBounds): { where: string; params: string[]; order: string } {
  let where = '';
  const params: string[] = [];
  if (b.lower) { where += ` AND ${col} ${b.lower.inclusive ? '>=' : '>'} ?`; params.push(b.lower.value); }
  if (b.upper !== undefined) { where += ` AND ${col} < ?`; params.push(b.upper); }
  return { where, params, order: `ORDER BY ${col} ${b.reverse ? 'DESC' : 'ASC'}` };
}

export interface IndexOptions {
  /** Whether `durable()` fsyncs the WAL (group commit); without it a crash may lose the last commits. */
  fsync: boolean;
}

/**
 * Open the index, retrying while another process (a cluster worker sharing the brick) holds a lock.
 * SQLite does not call the busy handler in every case during setup (switching to WAL, recovering a
 * WAL another connection is creating), so SQLITE_BUSY can come back at once despite busy_timeout;
 * the open is idempotent, so it is simply tried again for a few seconds.
 */
function openWithRetry(file: string, opts: IndexOptions): Database.Database {
  const deadline = Date.now() + 10_000;
  for (let attempt = 0; ; attempt++) {
    try {
      return openOnce(file, opts);
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') || Date.now() > deadline) throw err;
      // A short synchronous pause: this runs once per brick at startup, never on a request path.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(10 * 2 ** attempt, 200));
    }
  }
}

function openOnce(file: string, opts: IndexOptions): Database.Database {
  const db = new Database(file);
  try {
    // First: another process sharing the brick (node cluster workers) may hold the lock even while
    // the journal mode is switched and the schema created, on a brick opened by all at once.
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    // Never FULL: commits must not fsync on the event loop; durable() does it on the threadpool.
    db.pragma('synchronous = NORMAL');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new Error(`index ${file} has schema ${version}; this code knows ${SCHEMA_VERSION}`);
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`); // a write: the WAL file exists from here on
    if (opts.fsync && !existsSync(`${file}-wal`)) throw new Error(`index ${file} has no write-ahead log file`);
    // Open: from here on a lock another process holds is not waited for on this (the event loop's)
    // thread; the call fails SQLITE_BUSY at once and LocalBrick tries it again later (index-busy.ts).
    db.pragma('busy_timeout = 0');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Numbers handed out by recordsVersion, process-wide: one names a single index connection and a single
 * state of its account and container records, never reused.
 */
let recordsVersions = 0;

/**
 * How long a records_changes answer stands before it is asked again (asking is a read transaction,
 * about as dear as the record read it saves). A kept record is then at most as old as a read that
 * started this long ago and is joined while in flight (record-flight.ts): the same guarantee.
 */
export const RECORDS_CHECK_MS = 1;

export class BrickIndex {
  private readonly db: Database.Database;
  /** The current recordsVersion, the records_changes count it stands for, and when that was read. */
  private recordsAt = ++recordsVersions;
  private seenChanges: unknown;
  private changesReadAt = -Infinity;
  private changesStmt: Database.Statement | undefined;
  /** The count a record change in the current transaction left (recordsChanged makes it seen). */
  private pendingChanges: unknown;
  private readonly cache = new Map<string, Database.Statement>();
  /** Statements whose rows come back as arrays (raw mode is a property of the statement). */
  private readonly rawCache = new Map<string, Database.Statement>();
  /** The WAL's group commit; undefined when fsync is off. */
  readonly wal: GroupSync | undefined;
  /** Whether checkpoints go to the worker thread (fsync on), and commits since the last one asked for. */
  private readonly sideCheckpoints: boolean;
  private commits = 0;
  /**
   * The write transactions of the hot paths, made once (better-sqlite3 builds four wrapper functions
   * per db.transaction() call). BEGIN IMMEDIATE: the write lock up front, no lock upgrade, no
   * SQLITE_BUSY deadlock.
   */
  private readonly putObjectTx: (record: ObjectRecord, verify?: () => void) => ObjectRecord | undefined;
  private readonly settleTx: (ref: ObjectRef, timestamp: Timestamp, blamed: string[]) => void;

  /** Open (creating if needed) the index at `file`. Throws on a newer schema than this code knows. */
  constructor(file: string, opts: IndexOptions) {
    this.db = openWithRetry(file, opts);
    this.putObjectTx = this.db.transaction((record: ObjectRecord, verify?: () => void) => this.putObjectIn(record, verify)).immediate;
    this.settleTx = this.db.transaction((ref: ObjectRef, ts: Timestamp, blamed: string[]) => this.settleIn(ref, ts, blamed)).immediate;
    this.wal = opts.fsync ? new GroupSync(`${file}-wal`) : undefined;
    this.sideCheckpoints = opts.fsync && process.env.CAIRN_WAL_CHECKPOINTER !== '0';
    if (this.sideCheckpoints) this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  }

  /**
   * Inside a transaction that changes an account or container record: counted, so other connections'
   * recordsVersion moves; ours moves once it commits (recordsChanged).
   */
  private countRecordsChange(): void {
    this.pendingChanges = this.stmt('UPDATE records_changes SET n = n + 1 WHERE id = 0 RETURNING n').pluck().get();
  }

  /** After a committed record change: this connection's number moves at once, and knows the count it stands for. */
  private recordsChanged(): void {
    this.seenChanges = this.pendingChanges;
    this.changesReadAt = performance.now();
    this.recordsAt = ++recordsVersions;
  }

  /** After a write commit: every CHECKPOINT_EVERY of them, a checkpoint on the worker thread. */
  private committed(): void {
    if (!this.sideCheckpoints || ++this.commits < CHECKPOINT_EVERY) return;
    this.commits = 0;
    void walCheckpointer().request(this.db.name);
  }

  /**
   * Resolves once every transaction this connection committed before the call is on disk (one WAL
   * fsync shared with every concurrent caller). Rejects if the fsync fails, and from then on always.
   */
  durable(): Promise<void> { return this.wal ? this.wal.sync() : Promise.resolve(); }

  close(): void {
    void this.wal?.close();
    this.db.close();
  }

  /**
   * A number that changes whenever the account or container records may have changed: at once for
   * this connection's own merges; for another connection's (another process sharing the brick, a
   * brick server's) once the records_changes count they bump is read again, at most RECORDS_CHECK_MS
   * after the last read. Object writes leave it alone. Equal numbers mean the same records.
   */
  recordsVersion(): number {
    const now = performance.now();
    if (now - this.changesReadAt < RECORDS_CHECK_MS) return this.recordsAt;
    this.changesReadAt = now;
    this.changesStmt ??= this.db.prepare('SELECT n FROM records_changes WHERE id = 0').pluck();
    const n = this.changesStmt.get();
    if (n !== this.seenChanges) {
      this.seenChanges = n;
      this.recordsAt = ++recordsVersions;
    }
    return this.recordsAt;
  }

  /** The connection's journal mode, synchronous level and automatic checkpoint (pages) (for tests and `cairn volume status`). */
  settings(): { journalMode: string; synchronous: number; walAutocheckpoint: number } {
    return {
      journalMode: this.db.pragma('journal_mode', { simple: true }) as string,
      synchronous: this.db.pragma('synchronous', { simple: true }) as number,
      walAutocheckpoint: this.db.pragma('wal_autocheckpoint', { simple: true }) as number,
    };
  }

  get isOpen(): boolean { return this.db.open; }

  private stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) { s = this.db.prepare(sql); this.cache.set(sql, s); }
    return s;
  }

  private rawStmt(sql: string): Database.Statement {
    let s = this.rawCache.get(sql);
    if (!s) { s = this.db.prepare(sql).raw(true); this.rawCache.set(sql, s); }
    return s;
  }

  // -- objects ------------------------------------------------------------------------------------

  getObject(ref: ObjectRef): ObjectRecord | undefined {
    const row = this.stmt(SELECT_OBJECT)
      .get(ref.account, ref.container, ref.object) as ObjectRow | undefined;
    return row && toRecord(row);
  }

  /**
   * Store `record` newest-wins in one transaction with its counters. Throws Conflict when the stored
   * record's timestamp is >= the new one. `verify` runs inside the transaction after the newest-wins
   * check (e.g. "the data file is there"); if it throws, nothing changes. Returns the superseded record.
   */
  putObject(record: ObjectRecord, verify?: () => void): ObjectRecord | undefined {
    const prev = this.putObjectTx(record, verify);
    this.committed();
    return prev;
  }

  /** putObject's transaction body (run in putObjectTx). */
  private putObjectIn(record: ObjectRecord, verify?: () => void): ObjectRecord | undefined {
    const stored = this.getObject({ account: record.account, container: record.container, object: record.name });
    if (stored && stored.timestamp >= record.timestamp) throw new Conflict(stored.timestamp, record.timestamp);
    verify?.();
    this.stmt(REPLACE_OBJECT)
      .run(...toRow(record));
    const before = usageOf(stored);
    const after = usageOf(record);
    const dCount = after.objectCount - before.objectCount;
    const dBytes = after.bytesUsed - before.bytesUsed;
    if (dCount !== 0 || dBytes !== 0) {
      this.stmt(`INSERT INTO container_usage (account, container, object_count, bytes_used) VALUES (?, ?, ?, ?)
        ON CONFLICT (account, container) DO UPDATE SET object_count = object_count + excluded.object_count,
        bytes_used = bytes_used + excluded.bytes_used`).run(record.account, record.container, dCount, dBytes);
      this.stmt(`INSERT INTO account_usage (account, object_count, bytes_used) VALUES (?, ?, ?)
        ON CONFLICT (account) DO UPDATE SET object_count = object_count + excluded.object_count,
        bytes_used = bytes_used + excluded.bytes_used`).run(record.account, dCount, dBytes);
    }
    return stored;
  }

  /** The record naming `dataFile`, if any (an indexed lookup). */
  recordNaming(dataFile: string): ObjectRecord | undefined {
    const row = this.stmt(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE data_file = ? LIMIT 1`).get(dataFile) as ObjectRow | undefined;
    return row && toRecord(row);
  }

  listObjects(account: string, container: string, query: BrickListQuery): ObjectRecord[] {
    if (query.limit <= 0) return [];
    const w = windowSql('name', listBounds(query));
    const rows = this.rawStmt(`SELECT ${LISTED_COLUMNS} FROM objects WHERE account = ? AND container = ?${w.where} ${w.order} LIMIT ?`)
      .all(account, container, ...w.params, query.limit) as ListedRow[];
    return rows.map((r) => listedRecord(account, container, r));
  }

  /** The query plan of a listing, for tests that pin "uses the primary key, no sort". */
  explainListObjects(account: string, container: string, query: BrickListQuery): string[] {
    const w = windowSql('name', listBounds(query));
    const rows = this.db.prepare(`EXPLAIN QUERY PLAN SELECT ${OBJECT_COLUMNS} FROM objects
      WHERE account = ? AND container = ?${w.where} ${w.order} LIMIT ?`).all(account, container, ...w.params, query.limit);
    return (rows as Array<{ detail: string }>).map((r) => r.detail);
  }

  scanObjects(after: ObjectRef | undefined, limit: number): ObjectRecord[] {
    if (limit <= 0) return [];
    const rows = after
      ? this.stmt(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE (account, container, name) > (?, ?, ?)
          ORDER BY account, container, name LIMIT ?`).all(after.account, after.container, after.object, limit)
      : this.stmt(`SELECT ${OBJECT_COLUMNS} FROM objects ORDER BY account, container, name LIMIT ?`).all(limit);
    return (rows as ObjectRow[]).map(toRecord);
  }

  listExpired(before: number, limit: number): ObjectRecord[] {
    if (limit <= 0) return [];
    const rows = this.stmt(`SELECT ${OBJECT_COLUMNS} FROM objects
      WHERE delete_at IS NOT NULL AND deleted = 0 AND delete_at <= ?
      ORDER BY delete_at, account, container, name LIMIT ?`).all(before, limit) as ObjectRow[];
    return rows.map(toRecord);
  }

  containerUsage(account: string, container: string): UsageCounters {
    const row = this.stmt('SELECT object_count, bytes_used FROM container_usage WHERE account = ? AND container = ?')
      .get(account, container) as { object_count: number; bytes_used: number } | undefined;
    return { objectCount: row?.object_count ?? 0, bytesUsed: row?.bytes_used ?? 0 };
  }

  accountUsage(account: string): UsageCounters {
    const row = this.stmt('SELECT object_count, bytes_used FROM account_usage WHERE account = ?')
      .get(account) as { object_count: number; bytes_used: number } | undefined;
    return { objectCount: row?.object_count ?? 0, bytesUsed: row?.bytes_used ?? 0 };
  }

  // -- accounts and containers ----------------------------------------------------------------------

  getAccount(account: string): AccountRecord | undefined {
    const row = this.stmt('SELECT account, put_timestamp, delete_timestamp, metadata FROM accounts WHERE account = ?')
      .get(account) as AccountRow | undefined;
    return row && toAccount(row);
  }

  mergeAccount(record: AccountRecord): AccountRecord {
    const merged = this.db.transaction((): AccountRecord => {
      const merged = mergeAccountRecords(this.getAccount(record.account), record);
      this.stmt('INSERT OR REPLACE INTO accounts (account, put_timestamp, delete_timestamp, metadata) VALUES (?, ?, ?, ?)')
        .run(merged.account, merged.putTimestamp, merged.deleteTimestamp ?? null, JSON.stringify(merged.metadata));
      this.countRecordsChange();
      return merged;
    }).immediate();
    this.recordsChanged();
    this.committed();
    return merged;
  }

  getContainer(account: string, container: string): ContainerRecord | undefined {
    const row = this.stmt(`SELECT account, container, put_timestamp, delete_timestamp, metadata, storage_policy
      FROM containers WHERE account = ? AND container = ?`).get(account, container) as ContainerRow | undefined;
    return row && toContainer(row);
  }

  mergeContainer(record: ContainerRecord): ContainerRecord {
    const merged = this.db.transaction((): ContainerRecord => {
      const merged = mergeContainerRecords(this.getContainer(record.account, record.container), record);
      this.stmt(`INSERT OR REPLACE INTO containers (account, container, put_timestamp, delete_timestamp, metadata, storage_policy)
        VALUES (?, ?, ?, ?, ?, ?)`).run(merged.account, merged.container, merged.putTimestamp,
        merged.deleteTimestamp ?? null, JSON.stringify(merged.metadata), merged.storagePolicy);
      this.countRecordsChange();
      return merged;
    }).immediate();
    this.recordsChanged();
    this.committed();
    return merged;
  }

  listContainers(account: string, query: BrickListQuery): Array<ContainerRecord & UsageCounters> {
    if (query.limit <= 0) return [];
    const w = windowSql('c.container', listBounds(query));
    const rows = this.stmt(`SELECT c.account, c.container, c.put_timestamp, c.delete_timestamp, c.metadata, c.storage_policy,
        coalesce(u.object_count, 0) AS object_count, coalesce(u.bytes_used, 0) AS bytes_used
      FROM containers c LEFT JOIN container_usage u ON u.account = c.account AND u.container = c.container
      WHERE c.account = ?${w.where} ${w.order} LIMIT ?`).all(account, ...w.params, query.limit) as
      Array<ContainerRow & { object_count: number; bytes_used: number }>;
    return rows.map((r) => ({ ...toContainer(r), objectCount: r.object_count, bytesUsed: r.bytes_used }));
  }

  // -- heal marks (one row per object and transaction timestamp) ------------------------------------------

  markDirty(ref: ObjectRef, timestamp: Timestamp): void {
    this.stmt(`INSERT OR IGNORE INTO marks (account, container, name, timestamp, kind, blamed) VALUES (?, ?, ?, ?, 'dirty', '[]')`)
      .run(ref.account, ref.container, ref.object, timestamp);
    this.committed();
  }

  settle(ref: ObjectRef, timestamp: Timestamp, blamed: string[]): void {
    this.settleTx(ref, timestamp, blamed);
    this.committed();
  }

  /** settle's transaction body (run in settleTx). */
  private settleIn(ref: ObjectRef, timestamp: Timestamp, blamed: string[]): void {
    const key = [ref.account, ref.container, ref.object, timestamp];
    if (blamed.length === 0) {
      this.stmt('DELETE FROM marks WHERE account = ? AND container = ? AND name = ? AND timestamp = ?').run(...key);
      return;
    }
    const prior = this.stmt('SELECT kind, blamed FROM marks WHERE account = ? AND container = ? AND name = ? AND timestamp = ?')
      .get(...key) as { kind: string; blamed: string } | undefined;
    const all = new Set([...(prior?.kind === 'pending' ? JSON.parse(prior.blamed) as string[] : []), ...blamed]);
    this.stmt(`INSERT OR REPLACE INTO marks (account, container, name, timestamp, kind, blamed) VALUES (?, ?, ?, ?, 'pending', ?)`)
      .run(...key, JSON.stringify([...all].sort()));
  }

  /** Oldest transactions first. */
  listMarks(limit: number): HealMark[] {
    if (limit <= 0) return [];
    const rows = this.stmt('SELECT account, container, name, timestamp, kind, blamed FROM marks ORDER BY timestamp, account, container, name LIMIT ?')
      .all(limit) as MarkRow[];
    return rows.map((r) => ({
      ref: { account: r.account, container: r.container, object: r.name },
      kind: r.kind as HealMark['kind'], blamed: JSON.parse(r.blamed) as string[], timestamp: r.timestamp,
    }));
  }

  /** Remove the object's marks (with `through`, only those of transactions at or before it). */
  clearMark(ref: ObjectRef, through?: Timestamp): void {
    if (through === undefined) {
      this.stmt('DELETE FROM marks WHERE account = ? AND container = ? AND name = ?').run(ref.account, ref.container, ref.object);
      this.committed();
      return;
    }
    this.stmt('DELETE FROM marks WHERE account = ? AND container = ? AND name = ? AND timestamp <= ?')
      .run(ref.account, ref.container, ref.object, through);
    this.committed();
  }

  /** Remove the record of `ref` if it is a tombstone of exactly `timestamp` (it counts nothing: no counters move). */
  reclaimTombstone(ref: ObjectRef, timestamp: Timestamp): boolean {
    const res = this.stmt('DELETE FROM objects WHERE account = ? AND container = ? AND name = ? AND deleted = 1 AND timestamp = ?')
      .run(ref.account, ref.container, ref.object, timestamp);
    this.committed();
    return res.changes > 0;
  }

  /** Account records in name order after `after`. */
  scanAccounts(after: string | undefined, limit: number): AccountRecord[] {
    if (limit <= 0) return [];
    const rows = (after === undefined
      ? this.stmt('SELECT account, put_timestamp, delete_timestamp, metadata FROM accounts ORDER BY account LIMIT ?').all(limit)
      : this.stmt('SELECT account, put_timestamp, delete_timestamp, metadata FROM accounts WHERE account > ? ORDER BY account LIMIT ?')
        .all(after, limit)) as AccountRow[];
    return rows.map(toAccount);
  }
}
