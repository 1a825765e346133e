/**
 * The PUT body as the store sees it. A chunked body is piped through a byte counter that fails the
 * upload once it runs past max_file_size (it has no length to check up front; Swift's proxy counts and
 * answers 413 the same way). A body of declared length goes to the store as it is: the length was
 * checked against the limit before (check_object_creation's 413), and the HTTP parser ends the body
 * there; the store is told to keep it (PutObjectOptions.keepBody) instead of the counter insulating it.
 *
 * The request stream is connected with `pipe`, not `pipeline`, on purpose: when the upload fails
 * (too large, bad ETag, store error) the request must not be destroyed, because destroying an
 * IncomingMessage closes the socket and the client would never see the 413/422. The server adapter
 * drains what is left of it after the response. Errors and premature closes of the request are
 * forwarded into the counter, so the store sees the upload fail and stores nothing.
 */
import { finished, Transform, type Readable } from 'node:stream';

export interface LimitedBody {
  /** What to hand to store.putObject. */
  stream: Readable;
  /** True once the body ran past the limit (the failure is then a 413). */
  readonly tooLarge: boolean;
  /** Bytes seen so far; undefined for a body of declared length (not counted). */
  readonly bytes: number | undefined;
  /** Whether the store must leave `stream` undestroyed when the write fails (it is the request body). */
  readonly keepBody: boolean;
  /** Detach from the request (after the store is done with the stream, whatever the outcome). */
  release(): void;
}

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLarge';
  }
}

/** The body for the store; `declaredLength` is the request's Content-Length (undefined when chunked). */
export function limitBody(source: Readable, limit: number, declaredLength?: number): LimitedBody {
  if (declaredLength !== undefined) {
    return { stream: source, tooLarge: false, bytes: undefined, keepBody: true, release() { /* nothing wrapped */ } };
  }
  let bytes = 0;
  let tooLarge = false;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > limit) {
        tooLarge = true;
        cb(new BodyTooLarge(limit));
        return;
      }
      cb(null, chunk);
    },
  });
  source.pipe(counter);
  // `finished` reports an error or a close before 'end' (a client that went away mid-body).
  const stopWatching = finished(source, (err) => { if (err) counter.destroy(err); });
  return {
    stream: counter,
    get tooLarge() { return tooLarge; },
    get bytes() { return bytes; },
    keepBody: false,
    release() {
      stopWatching();
      source.unpipe(counter);
      if (!counter.destroyed) counter.destroy();
    },
  };
}
