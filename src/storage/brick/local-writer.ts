/**
 * LocalWriter: one write of an object version into a LocalBrick (DESIGN §3).
 *
 * Bytes go through `stream` into `tmp/<pid>.<uuid>.tmp` (positional writes on one fd, backpressure
 * from the Writable's buffer); a small write is held in memory and its tmp file made whole at commit
 * (SMALL_WRITE, io-pool.ts). `commit`, once the stream has finished: move the whole file to its
 * deterministic `data/<aa>/<bb>/<hash>.<ts>.data` (its bytes never change after), fsync it and its
 * directory, and only then commit the index row (newest-wins) in one transaction, and wait for that
 * commit to be durable (the WAL's group fsync, index.ts). A crash at any step leaves the old version
 * (the new file is in tmp/ or is an orphan the auditor removes) or the new one; never a row naming a
 * missing or partly durable file.
 * The move never replaces a file already there (place.ts): processes sharing the brick may write
 * one version name at once.
 */
import { promises as fsp, unlinkSync, type promises } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Conflict, InvalidArgument, StoreError, fromErrno } from '../errors.js';
import type { ObjectRef } from '../store.js';
import type { BrickWriter, ObjectRecord } from './brick.js';
import type { BrickIndex } from './index.js';
import { fsyncDir, fsyncDirs, fsyncFile, inside, tmpName } from './local-files.js';
import { ioPool, isWorkerLost } from './io-pool.js';
import { placeNoClobber, type Placement } from './place.js';
import { checkWriterRecord, dataFileName } from './records.js';

/** What a writer needs from its brick. */
export interface WriterHost {
  readonly id: string;
  readonly root: string;
  readonly fsync: boolean;
  /** The open index; throws BrickUnavailable when the brick is closed. */
  index(): BrickIndex;
  /** Run an index call; a lock held by another process is waited for off the event loop (index-busy.ts). */
  withIndex<T>(fn: (index: BrickIndex) => T): Promise<T>;
  /** Run `fn` alone among this brick's sections for the same object. */
  exclusive<T>(ref: ObjectRef, fn: () => Promise<T>): Promise<T>;
  /** tmp/ names being written by this process (the sweep and the auditor leave them alone). */
  readonly inflight: Set<string>;
  /** Data files renamed into place whose row is not committed yet (the auditor leaves them alone). */
  readonly placing: Set<string>;
  /** Resolves once every index commit made so far is on disk; BrickUnavailable if the fsync failed. */
  durable(): Promise<void>;
  /** Unlink `prev`'s data file if `next` replaced it and no record names it any more (in the object's exclusive section). */
  dropSuperseded(prev: ObjectRecord | undefined, next: ObjectRecord): Promise<void>;
  /**
   * Make the directory of `dataFile` exist, unless it is known to. Returns the directories whose new
   * entries still need an fsync (none when fsync is off): the caller fsyncs them after the data
   * directory's own fsync, which on journaling filesystems (XFS) has already forced their changes to
   * the log, so theirs cost no disk write; then it calls rememberDataDir.
   */
  makeDataDir(dataFile: string): Promise<string[]>;
  /** Whether the directory of `dataFile` is known to exist. */
  knowsDataDir(dataFile: string): boolean;
  /** Note that the directory of `dataFile` exists durably (later writes into it skip the mkdir). */
  rememberDataDir(dataFile: string): void;
  /** Forget that the directory of `dataFile` exists (it was found missing). */
  forgetDataDir(dataFile: string): void;
}

/** Bytes a writer buffers before pushing back: large writes go out as few big writev calls (1 MiB: a 256 MiB PUT ran ~20% faster than with 256 KiB). */
const HIGH_WATER = 1024 * 1024;
/**
 * A write is held in memory until its bytes pass this size (at most 64 KiB per writer, less than the
 * stream's own buffer), and a small object's file is then made whole at commit by an I/O worker
 * (io-pool.ts). Larger writes stream into their tmp file as they come.
 */
export const SMALL_WRITE = 64 * 1024;

export class LocalWriter implements BrickWriter {
  readonly stream: Writable;
  /** Bytes accepted so far (held, or written to the tmp file). */
  private written = 0;
  /** The bytes of a write still small enough to hold; undefined once they went to the tmp file. */
  private held: Buffer[] | undefined = [];
  /** The tmp file, once the bytes outgrew SMALL_WRITE (or no I/O worker was free at commit). */
  private tmp: string | undefined;
  private fh: promises.FileHandle | undefined;
  private fileClosed = false;
  /** The last write to the tmp file (it may be opening it): abort() waits for it before cleaning up. */
  private writing: Promise<void> | undefined;
  private state: 'open' | 'committing' | 'committed' | 'failed' | 'aborted' = 'open';
  private committing: Promise<void> | undefined;

  private constructor(private readonly host: WriterHost, private readonly ref: ObjectRef, readonly dataFile: string) {
    this.stream = new Writable({
      highWaterMark: HIGH_WATER,
      writev: (chunks, cb) => {
        const bufs = chunks.map((c) => c.chunk as Buffer);
        const n = bufs.reduce((sum, b) => sum + b.length, 0);
        if (this.held && this.written + n <= SMALL_WRITE) {
          this.held.push(...bufs);
          this.written += n;
          cb();
          return;
        }
        this.writing = this.toFile(bufs);
        this.writing.then(() => cb(), (err: unknown) => cb(fromErrno(err, host.id)));
      },
    });
  }

  /** A writer of version `timestamp` of `ref`; its tmp file is made only when needed. */
  static async create(host: WriterHost, ref: ObjectRef, timestamp: string): Promise<LocalWriter> {
    const dataFile = dataFileName(ref, timestamp); // validates the timestamp before any file is made
    host.index();
    return new LocalWriter(host, ref, dataFile);
  }

  /** Open the tmp file and write what is held into it; from then on bytes go straight to the file. */
  private async spill(): Promise<promises.FileHandle> {
    if (this.fh) return this.fh;
    const tmp = tmpName('tmp');
    this.fh = await fsp.open(inside(this.host.root, tmp), 'wx', 0o644);
    this.tmp = tmp;
    this.host.inflight.add(tmp);
    const held = this.held ?? [];
    this.held = undefined;
    await this.append(held, 0);
    return this.fh;
  }

  private async toFile(bufs: Buffer[]): Promise<void> {
    await this.spill();
    await this.append(bufs, this.written);
    this.written += bufs.reduce((sum, b) => sum + b.length, 0);
  }

  /** Write every byte of `bufs` at `pos` (a short write is continued, as fs.WriteStream does). */
  private async append(bufs: Buffer[], pos: number): Promise<void> {
    let rest = bufs.filter((b) => b.length > 0);
    while (rest.length > 0) {
      const { bytesWritten } = await this.fh!.writev(rest, pos);
      if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      pos += bytesWritten;
      let skip = bytesWritten;
      while (rest.length > 0 && skip >= rest[0]!.length) skip -= rest.shift()!.length;
      if (skip > 0) rest[0] = rest[0]!.subarray(skip);
    }
  }

  async commit(record: ObjectRecord): Promise<void> {
    if (this.state !== 'open') throw new InvalidArgument(`writer is ${this.state}`);
    if (!this.stream.writableEnded) throw new InvalidArgument('commit before the stream was ended');
    this.state = 'committing';
    this.committing = this.doCommit(record);
    try {
      await this.committing;
      this.state = 'committed';
    } catch (err) {
      this.state = 'failed';
      throw err instanceof StoreError ? err : fromErrno(err, this.host.id);
    }
  }

  private async doCommit(record: ObjectRecord): Promise<void> {
    await finished(this.stream);
    checkWriterRecord(record, this.ref, this.dataFile, this.written);
    const { host } = this;
    await host.exclusive(this.ref, async () => {
      // No early look for a newer stored version: the replica set looked before the body was read,
      // and the index's newest-wins check below decides (a refused file is then removed by unplace).
      const abs = inside(host.root, this.dataFile);
      host.placing.add(this.dataFile);
      try {
        // Never over another file of that name: another process sharing the brick may be writing this
        // version (same timestamp) with other bytes (place.ts). Then it keeps the name and we lose.
        if (await this.placeData(abs) === 'taken') throw new Conflict(record.timestamp, record.timestamp);
        try {
          const prev = await host.withIndex((index) => index.putObject(record));
          // Acknowledged only once the row is on disk (a group commit shared with concurrent writes);
          // the superseded file goes after that, so a crash never leaves the old row naming nothing.
          await host.durable();
          await host.dropSuperseded(prev, record);
        } catch (err) {
          this.unplace(abs);
          throw err;
        }
      } finally {
        host.placing.delete(this.dataFile);
      }
    });
  }

  /**
   * Make the data file durable at `abs`: the tmp file moved into its (durably made) directory without
   * clobbering, then fsynced and closed, and that directory fsynced. A small write still held in memory
   * is handed whole to an idle I/O worker, which does the same steps with synchronous calls; with no
   * worker idle it goes to a tmp file here first.
   */
  private async placeData(abs: string): Promise<Placement> {
    const { host } = this;
    if (this.held) {
      const tmp = tmpName('tmp');
      const job = ioPool().tryRun({
        tmp: inside(host.root, tmp), dest: abs, dir: path.dirname(abs), makeDir: !host.knowsDataDir(this.dataFile),
        bytes: this.held, fsync: host.fsync,
      });
      if (job) {
        const held = this.held;
        this.held = undefined;
        this.tmp = tmp;
        host.inflight.add(tmp);
        try {
          const outcome = await job; // on failure the tmp file may be left: abort() removes it
          host.rememberDataDir(this.dataFile);
          if (outcome !== 'taken') host.inflight.delete(tmp);
          return outcome;
        } catch (err) {
          if (!isWorkerLost(err)) throw err;
          // The pool lost its thread, not the disk: redo the steps here. The thread may have got as far
          // as placing the file; placing the same bytes again answers 'same'.
          await fsp.rm(inside(host.root, tmp), { force: true });
          host.inflight.delete(tmp);
          this.tmp = undefined;
          this.held = held;
        }
      }
      await this.spill();
    }
    const fh = this.fh!;
    let parents: string[] = [];
    let outcome: Placement;
    try {
      parents = await host.makeDataDir(this.dataFile);
      outcome = await this.place(abs, parents);
      // Placed first, fsynced after: the file's fsync then also forces the link to the log, and the
      // directory's fsync finds nothing left to write (one log force instead of two). Until both
      // fsyncs are done no row names the file, so a crash leaves an orphan for the auditor.
      if (host.fsync && outcome === 'placed') await fh.sync();
    } finally {
      this.fileClosed = true;
      await fh.close();
    }
    if (outcome !== 'taken') {
      host.inflight.delete(this.tmp!);
      if (host.fsync) {
        // Another writer's identical file may not be fsynced yet: it must be before our row names it.
        if (outcome === 'same') await fsyncFile(abs);
        await fsyncDir(path.dirname(abs));
      }
    }
    // Directories made above: after the data directory's fsync (see WriterHost.makeDataDir).
    await fsyncDirs(parents);
    host.rememberDataDir(this.dataFile);
    return outcome;
  }

  /**
   * Move the tmp file to `abs`; a directory found missing (removed behind the brick's back) is made
   * again, once, its new parents added to `parents`.
   */
  private async place(abs: string, parents: string[]): Promise<Placement> {
    const tmp = inside(this.host.root, this.tmp!);
    try {
      return await placeNoClobber(tmp, abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.host.forgetDataDir(this.dataFile);
      parents.push(...await this.host.makeDataDir(this.dataFile));
      return placeNoClobber(tmp, abs);
    }
  }

  /** After a failed commit, remove the renamed file unless a record names it (another process won). */
  private unplace(abs: string): void {
    try {
      if (this.host.index().recordNaming(this.dataFile)) return;
      unlinkSync(abs);
    } catch {
      // the brick is closed or the file is gone: the auditor removes what is left
    }
  }

  async abort(): Promise<void> {
    if (this.committing) await this.committing.catch(() => undefined);
    if (this.state === 'committed' || this.state === 'aborted') return;
    this.state = 'aborted';
    this.held = undefined;
    if (!this.stream.destroyed) this.stream.destroy();
    await this.writing?.catch(() => undefined); // a tmp file being opened right now must not outlive us
    if (this.fh && !this.fileClosed) {
      this.fileClosed = true;
      await this.fh.close().catch(() => undefined); // waits for a write still in flight
    }
    if (this.tmp === undefined) return; // nothing ever reached the disk
    await fsp.unlink(inside(this.host.root, this.tmp)).catch(() => undefined);
    this.host.inflight.delete(this.tmp);
  }
}
