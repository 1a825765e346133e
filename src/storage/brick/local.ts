/**
 * LocalBrick: the Brick on a directory, laid out as DESIGN §3:
 *
 *   <brick>/brick.json                       id, volume id, format version (written once at create)
 *   <brick>/data/<aa>/<bb>/<hash>.<ts>.data  object bytes; immutable once renamed into place
 *   <brick>/tmp/                             in-flight writes (`<pid>.<uuid>.tmp`); swept at open
 *   <brick>/index.db                         the SQLite index (see index.ts)
 *
 * `<hash>` is the SHA-256 of `account/container/object` (names are bytes to hash, never paths) and
 * `<ts>` the version's data timestamp, so replicas of one version share the file name. Objects are
 * streamed, never buffered. Writes: see local-writer.ts. Every fs error leaves as a StoreError
 * (`fromErrno`: ENOSPC -> InsufficientStorage, anything else -> BrickUnavailable).
 *
 * Several processes may open one brick (node cluster workers): the index serialises them (WAL,
 * busy timeout), the tmp/ sweep spares files of live processes, and the auditor spares files younger
 * than `auditGraceMs`. Newest-wins is exact across processes (checked inside the index transaction).
 */
import { promises as fsp, constants as fsc, statSync, type promises } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BrickUnavailable, Conflict, InvalidArgument, RangeNotSatisfiable, StoreError, fromErrno } from '../errors.js';
import type { ByteRange, ObjectRef, Timestamp } from '../store.js';
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
import { BrickIndex } from './index.js';
import { retryBusy } from './index-busy.js';
import { establishIdentity, type BrickIdentity } from './local-identity.js';
import { KeyedLock } from './keyed-lock.js';
import {
  BRICK_JSON, DATA_DIR, DataDirs, INDEX_DB, TMP_DIR,
  fsyncDir, fsyncDirs, inside, isDataFileName, makeDirs, processAlive, tmpName, tmpOwner, walkData,
} from './local-files.js';
import { placeNoClobber } from './place.js';
import { LocalWriter, type WriterHost } from './local-writer.js';
import { checkObjectRecord, checkTimestamp, dataFileName, refOf } from './records.js';
import { positionalReadable, readWhole } from './local-read.js';
import { BufferDataHandle, failedStream, validRange } from './streams.js';

export { BrickIdentityMismatch, FORMAT_VERSION, type BrickIdentity } from './local-identity.js';

export interface LocalBrickOptions {
  /** The brick's id; defaults to the one in brick.json (or a new UUID when the brick is created). */
  id?: string;
  /** The volume this brick belongs to; open() refuses a brick.json naming another. */
  volumeId: string;
  /** fsync data files, directories and index commits (default true). */
  fsync?: boolean;
  /**
   * audit() leaves unreferenced data files younger than this alone (default 60 s): another process
   * may be between renaming a file into place and committing its row, or between linkData and putRecord.
   */
  auditGraceMs?: number;
}

/** Large objects are read in chunks of this size (fewer reads, events and socket writes per MB). */
const READ_CHUNK = 1024 * 1024;
/** Objects up to this size are read into memory whole when opened (bounded: 64 KiB per open reader). */
const SMALL_OBJECT = 64 * 1024;

export class LocalBrick implements Brick, WriterHost {
  readonly root: string;
  readonly fsync: boolean;
  readonly inflight = new Set<string>();
  readonly placing = new Set<string>();
  private idx: BrickIndex | undefined;
  private opening: Promise<void> | undefined;
  private identity: BrickIdentity | undefined;
  private readonly locks = new KeyedLock();
  private readonly graceMs: number;
  /** data/<aa>/<bb> directories known to exist, so a write does not ask the filesystem every time. */
  private dirs = new DataDirs();

  constructor(dir: string, private readonly opts: LocalBrickOptions) {
    this.root = path.resolve(dir);
    this.fsync = opts.fsync ?? true;
    this.graceMs = opts.auditGraceMs ?? 60_000;
  }

  /** opts.id, else the id in brick.json once opened, else the directory's name. */
  get id(): string { return this.opts.id ?? this.identity?.id ?? path.basename(this.root); }

  // -- lifecycle ------------------------------------------------------------------------------------

  async open(): Promise<void> {
    if (this.idx) return;
    this.opening ??= this.doOpen().finally(() => { this.opening = undefined; });
    return this.opening;
  }

  private async doOpen(): Promise<void> {
    try {
      await fsp.mkdir(this.root, { recursive: true });
      this.identity = await establishIdentity(this.root, { ...this.opts, fsync: this.fsync });
      await fsp.mkdir(path.join(this.root, DATA_DIR), { recursive: true });
      await fsp.mkdir(path.join(this.root, TMP_DIR), { recursive: true });
      await this.sweepTmp();
      this.dirs = new DataDirs(); // a reopened brick may have been wiped or replaced meanwhile
      this.idx = new BrickIndex(path.join(this.root, INDEX_DB), { fsync: this.fsync });
    } catch (err) {
      throw fromErrno(err, this.id);
    }
  }

  /** Remove tmp/ entries left by dead processes (and by this process, unless still being written). */
  private async sweepTmp(): Promise<number> {
    let removed = 0;
    for (const entry of await fsp.readdir(path.join(this.root, TMP_DIR))) {
      const owner = tmpOwner(entry);
      if (this.inflight.has(`${TMP_DIR}/${entry}`)) continue;
      if (owner !== undefined && owner !== process.pid && processAlive(owner)) continue;
      await fsp.rm(path.join(this.root, TMP_DIR, entry), { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.opening) await this.opening.catch(() => undefined);
    this.idx?.close();
    this.idx = undefined;
  }

  async health(): Promise<BrickHealth> {
    const base = { id: this.id, totalBytes: 0, freeBytes: 0 };
    if (!this.idx) return { ...base, ok: false, readOnly: false, detail: 'not open' };
    let stats;
    try {
      stats = await fsp.statfs(this.root);
    } catch (err) {
      return { ...base, ok: false, readOnly: false, detail: `brick directory unavailable: ${(err as Error).message}` };
    }
    const space = { totalBytes: stats.blocks * stats.bsize, freeBytes: stats.bavail * stats.bsize };
    try {
      const id = JSON.parse(await fsp.readFile(path.join(this.root, BRICK_JSON), 'utf8')) as BrickIdentity;
      // An unmounted disk shows its empty mount point: make sure this is still the same brick.
      if (id.volumeId !== this.opts.volumeId || id.id !== this.identity?.id) {
        return { ...base, ...space, ok: false, readOnly: false, detail: `${BRICK_JSON} changed under the brick` };
      }
    } catch (err) {
      return { ...base, ...space, ok: false, readOnly: false, detail: `${BRICK_JSON} unreadable: ${(err as Error).message}` };
    }
    try {
      await fsp.access(path.join(this.root, TMP_DIR), fsc.W_OK);
      await fsp.access(path.join(this.root, DATA_DIR), fsc.W_OK);
    } catch (err) {
      return { ...base, ...space, ok: false, readOnly: true, detail: `not writable: ${(err as Error).message}` };
    }
    return { ...base, ...space, ok: true, readOnly: false };
  }

  recordsVersion(): number | undefined {
    try {
      return this.idx?.recordsVersion();
    } catch {
      return undefined; // closed under us, or unreadable: the catalog reads the bricks again
    }
  }

  // -- WriterHost ---------------------------------------------------------------------------------------

  index(): BrickIndex {
    if (!this.idx) throw new BrickUnavailable(this.id, { cause: new Error('brick is not open') });
    return this.idx;
  }

  exclusive<T>(ref: ObjectRef, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(`${ref.account}\u0000${ref.container}\u0000${ref.object}`, fn);
  }

  /**
   * Callers hold the object's exclusive section: a data file's name belongs to one object (its hash is
   * in the name), and every write of this process that could name the file (a writer's commit, a
   * record, a link to this name) takes that section, so none can between the check and the unlink.
   * The unlink runs on the threadpool: a synchronous one blocked every request for as long as it took.
   */
  async dropSuperseded(prev: ObjectRecord | undefined, next: ObjectRecord): Promise<void> {
    try {
      if (!prev?.dataFile || prev.dataFile === next.dataFile || this.index().recordNaming(prev.dataFile)) return;
      await fsp.unlink(inside(this.root, prev.dataFile));
    } catch {
      // already gone, the brick closed, or an I/O error: the auditor removes unreferenced files later
    }
  }

  async makeDataDir(dataFile: string): Promise<string[]> {
    if (this.dirs.has(dataFile)) return [];
    const parents = await makeDirs(path.dirname(inside(this.root, dataFile)));
    return this.fsync ? parents : [];
  }

  knowsDataDir(dataFile: string): boolean { return this.dirs.has(dataFile); }
  rememberDataDir(dataFile: string): void { this.dirs.add(dataFile); }
  forgetDataDir(dataFile: string): void { this.dirs.forget(dataFile); }

  /**
   * Run an index call, turning driver and fs errors into StoreErrors. A call that finds the index
   * locked by another process is tried again after a timer, never waited for on the event loop
   * (index-busy.ts). The first try runs synchronously, as a plain call would.
   */
  withIndex<T>(fn: (index: BrickIndex) => T): Promise<T> {
    return retryBusy(() => fn(this.index())).catch((err: unknown) => {
      throw err instanceof StoreError ? err : fromErrno(err, this.id);
    });
  }

  // -- objects ------------------------------------------------------------------------------------

  createWriter(ref: ObjectRef, timestamp: Timestamp): Promise<BrickWriter> {
    return LocalWriter.create(this, ref, timestamp);
  }

  async putRecord(record: ObjectRecord): Promise<void> {
    checkObjectRecord(record);
    await this.exclusive(refOf(record), async () => {
      const prev = await this.withIndex((index) => index.putObject(record, record.deleted ? undefined : () => {
        // Inside the transaction: the row never names a file this brick lacks.
        const st = statSync(inside(this.root, record.dataFile!), { throwIfNoEntry: false });
        if (!st || st.size !== record.size) {
          throw new BrickUnavailable(this.id, { cause: new Error(`data file ${record.dataFile} ${st ? 'has the wrong size' : 'not held'}`) });
        }
      }));
      // The superseded file goes only once the new row is durable: a crash must not leave the old row naming nothing.
      await this.durable();
      await this.dropSuperseded(prev, record);
    });
  }

  /** Wait until every index commit made so far is on disk (group commit: see index.ts). */
  async durable(): Promise<void> {
    const index = this.index();
    try {
      await index.durable();
    } catch (err) {
      throw new BrickUnavailable(this.id, { cause: err });
    }
  }

  getRecord(ref: ObjectRef): Promise<ObjectRecord | undefined> { return this.withIndex((i) => i.getObject(ref)); }

  async openData(record: ObjectRecord): Promise<DataHandle> {
    if (record.deleted || record.dataFile === undefined) {
      throw new BrickUnavailable(this.id, { cause: new Error('record has no data (tombstone)') });
    }
    if (record.dataFile !== dataFileName(refOf(record), record.dataTimestamp)) {
      throw new InvalidArgument(`record data file ${record.dataFile} is not its deterministic name`);
    }
    this.index();
    if (record.size <= SMALL_OBJECT) {
      // Small objects are read whole at once: one open, one read, one close, and no stat (the read
      // itself finds a file of the wrong size). The bytes in memory pin the version as an fd would.
      try {
        return new BufferDataHandle(await readWhole(inside(this.root, record.dataFile), record.size));
      } catch (err) {
        throw new BrickUnavailable(this.id, { cause: err });
      }
    }
    let fh: promises.FileHandle;
    try {
      fh = await fsp.open(inside(this.root, record.dataFile), 'r'); // pins this version even if unlinked later
    } catch (err) {
      throw new BrickUnavailable(this.id, { cause: err });
    }
    try {
      const st = await fh.stat();
      if (st.size !== record.size) throw new Error(`data file is ${st.size} bytes, record says ${record.size}`);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw new BrickUnavailable(this.id, { cause: err });
    }
    return new LocalDataHandle(fh, record.size);
  }

  async linkData(source: ObjectRecord, dst: ObjectRef, timestamp: Timestamp): Promise<string | undefined> {
    checkObjectRecord(source);
    if (source.deleted) throw new InvalidArgument('cannot link the data of a tombstone');
    const name = dataFileName(dst, timestamp);
    const src = inside(this.root, source.dataFile!);
    const st = await fsp.stat(src).catch(() => undefined);
    if (!st || st.size !== source.size) return undefined; // not held here: the caller copies from elsewhere
    return this.exclusive(dst, async () => {
      const holder = await this.withIndex((i) => i.recordNaming(name));
      if (holder) throw new Conflict(holder.timestamp, timestamp);
      const abs = inside(this.root, name);
      const tmp = tmpName('link');
      this.inflight.add(tmp);
      try {
        try {
          await fsp.link(src, inside(this.root, tmp));
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EMLINK' || code === 'ENOENT') return undefined;
          throw err;
        }
        const parents = await this.makeDataDir(name);
        // Never over another file of that name (another process's version of this timestamp): copy instead.
        const outcome = await placeNoClobber(inside(this.root, tmp), abs);
        if (outcome !== 'taken' && this.fsync) await fsyncDir(path.dirname(abs));
        // New parents after the leaf (see makeDataDir), whatever the outcome: the directory stays.
        await fsyncDirs(parents);
        this.rememberDataDir(name);
        if (outcome === 'taken') {
          await fsp.unlink(inside(this.root, tmp)).catch(() => undefined);
          return undefined;
        }
        return name;
      } catch (err) {
        await fsp.unlink(inside(this.root, tmp)).catch(() => undefined);
        throw fromErrno(err, this.id);
      } finally {
        this.inflight.delete(tmp);
      }
    });
  }

  listObjects(account: string, container: string, query: BrickListQuery): Promise<ObjectRecord[]> {
    return this.withIndex((i) => i.listObjects(account, container, query));
  }

  scanObjects(after: ObjectRef | undefined, limit: number): Promise<ObjectRecord[]> {
    return this.withIndex((i) => i.scanObjects(after, limit));
  }

  async reclaimTombstone(ref: ObjectRef, timestamp: Timestamp): Promise<boolean> {
    checkTimestamp(timestamp);
    return this.exclusive(ref, () => this.withIndex((i) => i.reclaimTombstone(ref, timestamp)));
  }

  listExpired(before: number, limit: number): Promise<ObjectRecord[]> { return this.withIndex((i) => i.listExpired(before, limit)); }

  containerUsage(account: string, container: string): Promise<UsageCounters> {
    return this.withIndex((i) => i.containerUsage(account, container));
  }

  accountUsage(account: string): Promise<UsageCounters> { return this.withIndex((i) => i.accountUsage(account)); }

  // -- accounts and containers ----------------------------------------------------------------------

  async mergeAccount(record: AccountRecord): Promise<AccountRecord> {
    checkTimestamp(record.putTimestamp);
    const merged = await this.withIndex((i) => i.mergeAccount(record));
    await this.durable();
    return merged;
  }

  getAccount(account: string): Promise<AccountRecord | undefined> { return this.withIndex((i) => i.getAccount(account)); }

  async mergeContainer(record: ContainerRecord): Promise<ContainerRecord> {
    checkTimestamp(record.putTimestamp);
    const merged = await this.withIndex((i) => i.mergeContainer(record));
    await this.durable();
    return merged;
  }

  getContainer(account: string, container: string): Promise<ContainerRecord | undefined> {
    return this.withIndex((i) => i.getContainer(account, container));
  }

  listContainers(account: string, query: BrickListQuery): Promise<Array<ContainerRecord & UsageCounters>> {
    return this.withIndex((i) => i.listContainers(account, query));
  }

  scanAccounts(after: string | undefined, limit: number): Promise<AccountRecord[]> {
    return this.withIndex((i) => i.scanAccounts(after, limit));
  }

  // -- heal marks (no fsync of their own: the record commit of the same write syncs them, see index.ts) --

  markDirty(ref: ObjectRef, timestamp: Timestamp): Promise<void> { return this.withIndex((i) => i.markDirty(ref, timestamp)); }

  settle(ref: ObjectRef, timestamp: Timestamp, blamed: string[]): Promise<void> {
    return this.withIndex((i) => i.settle(ref, timestamp, blamed));
  }

  listMarks(limit: number): Promise<HealMark[]> { return this.withIndex((i) => i.listMarks(limit)); }
  clearMark(ref: ObjectRef, through?: Timestamp): Promise<void> { return this.withIndex((i) => i.clearMark(ref, through)); }

  // -- maintenance ------------------------------------------------------------------------------------

  /**
   * Remove tmp/ entries no live writer owns and files under data/ that no record names (older than
   * `auditGraceMs`, and not being placed by this process). Walks the directory; one indexed lookup per file.
   */
  async audit(): Promise<number> {
    this.index();
    try {
      let removed = await this.sweepTmp();
      const cutoff = Date.now() - this.graceMs;
      for await (const rel of walkData(this.root)) {
        if (this.placing.has(rel)) continue;
        if (isDataFileName(rel) && this.index().recordNaming(rel)) continue;
        const abs = inside(this.root, rel);
        if (this.graceMs > 0) {
          // (With no grace there is nothing to compare: file times have sub-ms parts Date.now() lacks.)
          const st = await fsp.lstat(abs).catch(() => undefined);
          if (!st || Math.max(st.mtimeMs, st.ctimeMs) > cutoff) continue;
        }
        if (isDataFileName(rel) && this.index().recordNaming(rel)) continue; // named while we looked
        await fsp.rm(abs, { recursive: true, force: true });
        removed++;
      }
      return removed;
    } catch (err) {
      throw err instanceof StoreError ? err : fromErrno(err, this.id);
    }
  }
}

/** An open data file: positional reads on one pinned fd, which only close() closes. */
class LocalDataHandle implements DataHandle {
  private closed = false;

  constructor(private readonly fh: promises.FileHandle, readonly size: number) {}

  read(range?: ByteRange): Readable {
    if (this.closed) return failedStream(new InvalidArgument('data handle is closed'));
    if (range && !validRange(range, this.size)) return failedStream(new RangeNotSatisfiable(this.size));
    return positionalReadable(this.fh, range?.start ?? 0, range?.end ?? this.size - 1, READ_CHUNK);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fh.close().catch(() => undefined);
  }
}
