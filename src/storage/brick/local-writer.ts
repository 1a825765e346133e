/**
 * LocalWriter: one write of an object version into a LocalBrick (DESIGN §3).
 *
 * Bytes go through `stream` into `tmp/<pid>.<uuid>.tmp` (positional writes on one fd, backpressure
 * from the Writable's buffer). `commit`, once the stream has finished: fsync the file, move it to its
 * deterministic `data/<aa>/<bb>/<hash>.<ts>.data`, fsync the directory, and only then commit the index
 * row (newest-wins) in one transaction, and wait for that commit to be durable (the WAL's group fsync,
 * index.ts). A crash at any step leaves the old version (the new file is in tmp/ or is an orphan the
 * auditor removes) or the new one; never a row naming a missing file.
 * The move never replaces a file already there (place.ts): processes sharing the brick may write
 * one version name at once.
 */
import { promises as fsp, unlinkSync, type promises } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Conflict, InvalidArgument, SizeMismatch, StoreError, fromErrno } from '../errors.js';
import type { ObjectRef } from '../store.js';
import type { BrickWriter, ObjectRecord } from './brick.js';
import type { BrickIndex } from './index.js';
import { fsyncDir, inside, mkdirDurable, tmpName } from './local-files.js';
import { placeNoClobber } from './place.js';
import { checkObjectRecord, dataFileName, refOf } from './records.js';

/** What a writer needs from its brick. */
export interface WriterHost {
  readonly id: string;
  readonly root: string;
  readonly fsync: boolean;
  /** The open index; throws BrickUnavailable when the brick is closed. */
  index(): BrickIndex;
  /** Run `fn` alone among this brick's sections for the same object. */
  exclusive<T>(ref: ObjectRef, fn: () => Promise<T>): Promise<T>;
  /** tmp/ names being written by this process (the sweep and the auditor leave them alone). */
  readonly inflight: Set<string>;
  /** Data files renamed into place whose row is not committed yet (the auditor leaves them alone). */
  readonly placing: Set<string>;
  /** Resolves once every index commit made so far is on disk; BrickUnavailable if the fsync failed. */
  durable(): Promise<void>;
  /** Unlink `prev`'s data file if `next` replaced it and no record names it any more. */
  dropSuperseded(prev: ObjectRecord | undefined, next: ObjectRecord): void;
}

const HIGH_WATER = 256 * 1024;

export class LocalWriter implements BrickWriter {
  readonly stream: Writable;
  private written = 0;
  private fileClosed = false;
  private state: 'open' | 'committing' | 'committed' | 'failed' | 'aborted' = 'open';
  private committing: Promise<void> | undefined;

  private constructor(private readonly host: WriterHost, private readonly ref: ObjectRef, readonly dataFile: string,
                      private readonly tmp: string, private readonly fh: promises.FileHandle) {
    this.stream = new Writable({
      highWaterMark: HIGH_WATER,
      writev: (chunks, cb) => {
        this.append(chunks.map((c) => c.chunk as Buffer)).then(() => cb(), (err: unknown) => cb(fromErrno(err, host.id)));
      },
    });
  }

  /** Open the temporary file of version `timestamp` of `ref`. */
  static async create(host: WriterHost, ref: ObjectRef, timestamp: string): Promise<LocalWriter> {
    const dataFile = dataFileName(ref, timestamp); // validates the timestamp before any file is made
    host.index();
    const tmp = tmpName('tmp');
    try {
      const fh = await fsp.open(inside(host.root, tmp), 'wx', 0o644);
      host.inflight.add(tmp);
      return new LocalWriter(host, ref, dataFile, tmp, fh);
    } catch (err) {
      throw fromErrno(err, host.id);
    }
  }

  /** Write every byte of `bufs` at the end of the file (a short write is continued, as fs.WriteStream does). */
  private async append(bufs: Buffer[]): Promise<void> {
    let rest = bufs.filter((b) => b.length > 0);
    while (rest.length > 0) {
      const { bytesWritten } = await this.fh.writev(rest, this.written);
      if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      this.written += bytesWritten;
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
    const r = refOf(record);
    if (r.account !== this.ref.account || r.container !== this.ref.container || r.object !== this.ref.object
        || record.deleted || record.dataFile !== this.dataFile) {
      throw new InvalidArgument(`record does not describe this writer's data (${this.dataFile})`);
    }
    checkObjectRecord(record);
    if (record.size !== this.written) throw new SizeMismatch(record.size, this.written);
    const { host } = this;
    await host.exclusive(this.ref, async () => {
      // Refuse early when a newer version is stored: no fsync, no rename, the tmp file is left to abort().
      const stored = host.index().getObject(this.ref);
      if (stored && stored.timestamp >= record.timestamp) throw new Conflict(stored.timestamp, record.timestamp);
      if (host.fsync) await this.fh.sync();
      this.fileClosed = true;
      await this.fh.close();
      const abs = inside(host.root, this.dataFile);
      await mkdirDurable(path.dirname(abs), host.fsync);
      host.placing.add(this.dataFile);
      try {
        // Never over another file of that name: another process sharing the brick may be writing this
        // version (same timestamp) with other bytes (place.ts). Then it keeps the name and we lose.
        if (await placeNoClobber(inside(host.root, this.tmp), abs) === 'taken') throw new Conflict(record.timestamp, record.timestamp);
        host.inflight.delete(this.tmp);
        try {
          if (host.fsync) await fsyncDir(path.dirname(abs));
          const prev = host.index().putObject(record);
          // Acknowledged only once the row is on disk (a group commit shared with concurrent writes);
          // the superseded file goes after that, so a crash never leaves the old row naming nothing.
          await host.durable();
          host.dropSuperseded(prev, record);
        } catch (err) {
          this.unplace(abs);
          throw err;
        }
      } finally {
        host.placing.delete(this.dataFile);
      }
    });
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
    if (!this.stream.destroyed) this.stream.destroy();
    if (!this.fileClosed) {
      this.fileClosed = true;
      await this.fh.close().catch(() => undefined); // waits for a write still in flight
    }
    await fsp.unlink(inside(this.host.root, this.tmp)).catch(() => undefined);
    this.host.inflight.delete(this.tmp);
  }
}
