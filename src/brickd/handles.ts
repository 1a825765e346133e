/**
 * Open data handles of one served brick, by handle id. A handle pins one version (the server holds
 * its file descriptor, so an overwrite or delete cannot pull the bytes away mid-read) until the gateway
 * closes it, until the gateway session it was opened under ends (sessions.ts: the gateway went away),
 * or until it has been unused for `idleMs` (the backstop: a gateway that forgot it, a handle of no
 * session).
 *
 * A close that arrives while a read of the handle is still streaming waits for that read to end:
 * the descriptor is released after the last byte, never under a running transfer.
 *
 * A read cut short (the gateway went away mid-transfer) is parked, not destroyed, until the handle
 * closes: destroying a LocalDataHandle read stream closes the handle's shared file descriptor (Node's
 * ReadStream closes a FileHandle on destroy even with autoClose off), which would break every later
 * read of the same handle. A parked stream holds at most its read-ahead buffer.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { DataHandle } from '../storage/brick/brick.js';
import { NOT_FOUND, WireFailure } from '../storage/brick/remote-errors.js';
import type { ByteRange } from '../storage/store.js';
import { streamed } from '../storage/young-gc.js';

interface Entry {
  handle: DataHandle;
  reads: number;
  touched: number;
  closing: boolean;
  /** The gateway session it was opened under, if any. */
  session: string | undefined;
  /** Reads cut short, destroyed only when the handle closes (see above). */
  parked: Readable[];
}

export class HandleTable {
  private readonly entries = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly idleMs: number) {
    this.timer = setInterval(() => this.sweep(), Math.max(100, Math.min(idleMs / 2, 30_000)));
    this.timer.unref();
  }

  get size(): number { return this.entries.size; }

  /** Keep `handle` under a new handle id, in gateway session `session` when given. */
  add(handle: DataHandle, session?: string): string {
    const id = randomUUID();
    this.entries.set(id, { handle, reads: 0, touched: Date.now(), closing: false, session, parked: [] });
    return id;
  }

  /** The handle's size; throws NOT_FOUND for an unknown (closed, swept) handle. */
  sizeOf(id: string): number { return this.get(id).handle.size; }

  private get(id: string): Entry {
    const e = this.entries.get(id);
    if (!e || e.closing) throw new WireFailure(NOT_FOUND, `no data handle ${id} (closed, released when its gateway's session ended, or after ${this.idleMs} ms idle)`);
    e.touched = Date.now();
    return e;
  }

  /** Stream `range` of the handle into `res` (headers already decided by the caller). */
  async read(id: string, range: ByteRange | undefined, res: ServerResponse): Promise<void> {
    const e = this.get(id);
    e.reads++;
    const src = e.handle.read(range);
    try {
      await forward(src, res);
    } catch (err) {
      e.parked.push(src);
      throw err;
    } finally {
      e.reads--;
      e.touched = Date.now();
      if (e.closing && e.reads === 0) release(e);
    }
  }

  close(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    e.closing = true;
    if (e.reads === 0) release(e);
  }

  /** Gateway session `session` ended: close its handles (one being read is released when the read ends). */
  endSession(session: string): number {
    let n = 0;
    for (const [id, e] of this.entries) {
      if (e.session === session) { this.close(id); n++; }
    }
    return n;
  }

  sweep(now = Date.now()): number {
    let n = 0;
    for (const [id, e] of this.entries) {
      if (e.reads === 0 && now - e.touched > this.idleMs) { this.close(id); n++; }
    }
    return n;
  }

  closeAll(): void {
    clearInterval(this.timer);
    for (const id of [...this.entries.keys()]) this.close(id);
  }
}

function release(e: Entry): void {
  for (const s of e.parked.splice(0)) s.destroy();
  e.handle.close();
}

/**
 * Pipe `src` into `res` with backpressure; resolves once `res` has finished. Unlike `pipeline`, never
 * destroys `src`: on an early close of `res` it is unpiped and paused, and the promise rejects.
 */
function forward(src: Readable, res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      src.off('data', onData);
      src.off('error', onError);
      res.off('close', onClose);
      res.off('finish', onFinish);
      src.unpipe(res);
      if (err) {
        src.pause();
        reject(err);
      } else {
        resolve();
      }
    };
    const onError = (err: Error): void => { res.destroy(err); done(err); };
    const onClose = (): void => done(new Error('connection closed before the end of the data'));
    const onFinish = (): void => done();
    const onData = (chunk: Buffer): void => streamed(chunk.length);
    src.on('data', onData);
    src.once('error', onError);
    res.once('close', onClose);
    res.once('finish', onFinish);
    src.pipe(res);
  });
}
