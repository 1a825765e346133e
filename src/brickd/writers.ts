/**
 * The writes in progress on one served brick, by write id. A write is: create (the LocalWriter opens
 * its tmp file), one streamed upload into it, then commit or abort — each a separate request.
 *
 * Cleanup without the gateway's help: an upload that fails (the gateway's connection dies, the disk
 * fails) aborts its writer at once; a writer nobody touches for `idleMs` (a gateway that vanished
 * between upload and commit) is aborted by a sweep. Either way its tmp file goes, as LocalWriter.abort does.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { BrickWriter, ObjectRecord } from '../storage/brick/brick.js';
import { NOT_FOUND, WireFailure } from '../storage/brick/remote-errors.js';
import { ClientDisconnected, InvalidArgument, StoreError } from '../storage/errors.js';

interface Entry {
  writer: BrickWriter;
  state: 'created' | 'uploading' | 'uploaded' | 'committing' | 'failed';
  touched: number;
}

export class WriterTable {
  private readonly entries = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly idleMs: number) {
    this.timer = setInterval(() => { void this.sweep(); }, Math.max(100, Math.min(idleMs / 2, 30_000)));
    this.timer.unref();
  }

  get size(): number { return this.entries.size; }

  add(writer: BrickWriter): string {
    const id = randomUUID();
    this.entries.set(id, { writer, state: 'created', touched: Date.now() });
    return id;
  }

  private get(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new WireFailure(NOT_FOUND, `no write ${id} (committed, aborted, or swept after ${this.idleMs} ms idle)`);
    e.touched = Date.now();
    return e;
  }

  /** Stream the request body into the writer; a failed upload aborts the writer. */
  async upload(id: string, req: IncomingMessage): Promise<void> {
    const e = this.get(id);
    if (e.state !== 'created') throw new InvalidArgument(`write ${id} is ${e.state}: one upload per write`);
    e.state = 'uploading';
    try {
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
  }

  async commit(id: string, record: ObjectRecord): Promise<void> {
    const e = this.get(id);
    if (e.state !== 'uploaded') throw new InvalidArgument(`write ${id} is ${e.state}: commit needs a finished upload`);
    e.state = 'committing';
    try {
      await e.writer.commit(record);
      this.entries.delete(id);
    } catch (err) {
      // Kept for the gateway's abort (allowed after a failed commit); the sweep gets it otherwise.
      e.state = 'failed';
      e.touched = Date.now();
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

  /** Abort writers idle past idleMs (uploads in progress are not idle: their connection is watched). */
  async sweep(now = Date.now()): Promise<number> {
    const stale = [...this.entries].filter(([, e]) => e.state !== 'uploading' && e.state !== 'committing' && now - e.touched > this.idleMs);
    for (const [id] of stale) this.entries.delete(id);
    await Promise.all(stale.map(([, e]) => e.writer.abort().catch(() => undefined)));
    return stale.length;
  }

  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.writer.abort().catch(() => undefined)));
  }
}
