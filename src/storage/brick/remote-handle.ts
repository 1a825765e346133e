/**
 * RemoteDataHandle: an open data file on a brick server. The server opened the file when the handle
 * was made and keeps that descriptor under the handle id, so the version stays readable even if a
 * newer write or a delete unlinks it meanwhile (the local contract: "pinned even if superseded").
 * `read` streams a range over HTTP (a `Range` header); `close` releases the pin. Releases are batched
 * (HandleReleaser): every GET ends with a close, and one request per close would be a fifth of a small
 * GET's requests. A handle is opened under this process's session with the server (remote-session.ts),
 * so the server releases it when this process goes away; one the gateway forgets to close, or opened
 * without a session, is released after an idle timeout.
 */
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgument, RangeNotSatisfiable } from '../errors.js';
import type { ByteRange } from '../store.js';
import type { DataHandle } from './brick.js';
import type { RemoteClient, Tracked } from './remote-client.js';
import { paths } from './remote-protocol.js';
import { failedStream, validRange } from './streams.js';

export class RemoteDataHandle implements DataHandle {
  private closed = false;

  constructor(private readonly client: RemoteClient, private readonly brick: string, private readonly id: string,
              readonly size: number, private readonly releaser: HandleReleaser) {}

  /** Stream the whole file or an inclusive range; errors (as StoreErrors) reach the reader. */
  read(range?: ByteRange): Readable {
    if (this.closed) return failedStream(new InvalidArgument('data handle is closed'));
    if (range && !validRange(range, this.size)) return failedStream(new RangeNotSatisfiable(this.size));
    if (!this.client.isOpen) return failedStream(this.client.closedError());
    const out = new PassThrough({ highWaterMark: 64 * 1024 });
    const t = this.client.track(); // no overall timeout: a read lasts as long as its reader takes
    // The response may fail before the caller attaches to the stream: without a listener that 'error'
    // would kill the process. It stays visible to the caller (listeners, pipeline and finished see it).
    out.on('error', () => undefined);
    // The reader went away before the end: stop the transfer instead of letting the server keep sending.
    out.once('close', () => { if (!out.readableEnded) t.abort(new InvalidArgument('reader went away')); });
    void this.fetch(range, out, t);
    return out;
  }

  private async fetch(range: ByteRange | undefined, out: PassThrough, t: Tracked): Promise<void> {
    try {
      const res = await this.client.send({
        method: 'GET', path: paths.handle(this.brick, this.id), signal: t.signal,
        ...(range ? { headers: { range: `bytes=${range.start}-${range.end}` } } : {}),
      });
      if (res.statusCode !== 200 && res.statusCode !== 206) throw await this.client.errorOf(res);
      // undici checks the body against Content-Length: a server dying mid-file is an error, not a short read.
      await pipeline(res.body, out);
    } catch (err) {
      if (!out.destroyed) out.destroy(this.client.failure(err, t.signal));
    } finally {
      t.dispose();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.releaser.release(this.id);
  }
}

/** Most ids one release request carries. */
const MAX_BATCH = 1000;

/**
 * Collects handle closes and sends them as one request per turn of the event loop (best effort: a
 * release that fails leaves the pins to the server's idle sweep; a brick closed meanwhile, to the end
 * of this process's session when it was the server's last open brick here, else to the idle sweep).
 */
export class HandleReleaser {
  private pending: string[] = [];
  private scheduled = false;

  constructor(private readonly client: RemoteClient, private readonly brick: string) {}

  release(id: string): void {
    if (!this.client.isOpen) return;
    this.pending.push(id);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0 && this.client.isOpen) {
      const ids = this.pending.splice(0, MAX_BATCH);
      void this.client.call(paths.release(this.brick), { ids }).catch(() => undefined);
    }
    this.pending = [];
  }
}
