/**
 * The writes in progress on one served brick, by write id. A write is: create (the LocalWriter opens
 * its tmp file), one streamed upload into it, then commit or abort — each a separate request.
 *
 * Cleanup without the gateway's help: an upload that fails (the gateway's connection dies, the disk
 * fails) aborts its writer at once. A writer created under a gateway session (sessions.ts) is aborted
 * as soon as that session ends, i.e. its gateway went away between two requests (after create, or
 * between upload and commit); one whose upload or commit is running then is left to finish, and is
 * aborted when that ends without a commit. A writer nobody touches for `idleMs` is aborted by a sweep:
 * the backstop for writers of no session. Whichever way, its tmp file goes, as LocalWriter.abort does.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { BrickWriter, ObjectRecord } from '../storage/brick/brick.js';
import { NOT_FOUND, WireFailure } from '../storage/brick/remote-errors.js';
import { ClientDisconnected, InvalidArgument, StoreError } from '../storage/errors.js';
import { streamed } from '../storage/young-gc.js';

interface Entry {
  writer: BrickWriter;
  state: 'created' | 'uploading' | 'uploaded' | 'committing' | 'failed';
  touched: number;
  /** The gateway session it was created under, if any. */
  session: string | undefined;
  /** Its session ended while an upload or commit was running: abort it once that ends uncommitted. */
  orphaned: boolean;
}

export class WriterTable {
  private readonly entries = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly idleMs: number) {
    this.timer = setInterval(() => { void this.sweep(); }, Math.max(100, Math.min(idleMs / 2, 30_000)));
    this.timer.unref();
  }

  get size(): number { return this.entries.size; }

  /** Keep `writer` under a new write id, in gateway session `session` when given. */
  add(writer: BrickWriter, session?: string): string {
    const id = randomUUID();
    this.entries.set(id, { writer, state: 'created', touched: Date.now(), session, orphaned: false });
    return id;
  }

  private get(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new WireFailure(NOT_FOUND, `no write ${id} (committed, aborted, released when its gateway's session ended, or swept after ${this.idleMs} ms idle)`);
    e.touched = Date.now();
    return e;
  }

  /** Stream the request body into the writer; a failed upload aborts the writer. */
  async upload(id: string, req: IncomingMessage): Promise<void> {
    const e = this.get(id);
    if (e.state !== 'created') throw new InvalidArgument(`write ${id} is ${e.state}: one upload per write`);
    e.state = 'uploading';
    try {
      req.on('data', (chunk: Buffer) => streamed(chunk.length));
      await pipeline(req, e.writer.stream);
      e.state = 'uploaded';
      e.touched = Date.now();
    } catch (err) {
      e.state = 'failed';
      this.entries.delete(id);
      await e.writer.abort().catch(() => undefined);
      // The writer's own failure (ENOSPC, say) matters to the gateway; a cut connection is just that.
      throw err instanceof StoreError ? err : new ClientDisconnected({ cause: err });
    }
    if (e.orphaned) {
      await this.abort(id).catch(() => undefined);
      throw new WireFailure(NOT_FOUND, `write ${id} was released: its gateway's session ended during the upload`);
    }
  }

  async commit(id: string, record: ObjectRecord): Promise<void> {
    const e = this.get(id);
    if (e.state !== 'uploaded') throw new InvalidArgument(`write ${id} is ${e.state}: commit needs a finished upload`);
    e.state = 'committing';
    try {
      await e.writer.commit(record);
      this.entries.delete(id);
    } catch (err) {
      // Kept for the gateway's abort (allowed after a failed commit), unless its gateway is gone; the sweep gets it otherwise.
      e.state = 'failed';
      e.touched = Date.now();
      if (e.orphaned) await this.abort(id).catch(() => undefined);
      throw err;
    }
  }

  /** Abort a write; unknown ids are fine (already aborted, swept, or never uploaded). */
  async abort(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    await e.writer.abort();
  }

  /**
   * Gateway session `session` ended: abort its writers now, except those with an upload or commit
   * running (a running upload fails by itself when its gateway is gone; a commit must not lose its
   * file underneath it), which are marked to be aborted when that ends uncommitted. Resolves with
   * the number aborted now.
   */
  async endSession(session: string): Promise<number> {
    const now: Array<[string, Entry]> = [];
    for (const [id, e] of this.entries) {
      if (e.session !== session) continue;
      if (e.state === 'uploading' || e.state === 'committing') e.orphaned = true;
      else now.push([id, e]);
    }
    return this.drop(now);
  }

  /** Abort writers idle past idleMs (uploads in progress are not idle: their connection is watched). */
  async sweep(now = Date.now()): Promise<number> {
    return this.drop([...this.entries].filter(([, e]) => e.state !== 'uploading' && e.state !== 'committing' && now - e.touched > this.idleMs));
  }

  /** Forget `entries` and abort their writers (failures ignored: nobody is left to tell). */
  private async drop(entries: Array<[string, Entry]>): Promise<number> {
    for (const [id] of entries) this.entries.delete(id);
    await Promise.all(entries.map(([, e]) => e.writer.abort().catch(() => undefined)));
    return entries.length;
  }

  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    await this.drop([...this.entries]);
  }
}
