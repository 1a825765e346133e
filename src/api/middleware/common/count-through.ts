/**
 * A byte-counting pass-through for a body stream (proxy-logging and metrics count what comes in and
 * goes out), linked to its source as stream.pipeline links streams, without pipeline's per-call
 * machinery: an AbortController, end-of-stream watchers on both sides and a DOMException when it
 * settles cost ~12 µs per body against ~1.5 µs for pipe() (measured), on every request.
 *
 * - The source's bytes flow through with the source's backpressure (pipe).
 * - The source failing, or closing before its end, destroys the pass-through with that error.
 * - The pass-through closing before the source ended (whoever read it went away) destroys the source.
 * `onClose(bytes, complete)` runs once, when the pass-through closes; `complete` when it reached its end.
 */
import { Transform, type Readable } from 'node:stream';
import { toSwiftError } from '../../errors.js';
import type { SwiftRequest, SwiftResponse } from '../../http.js';

export function countThrough(source: Readable, onClose: (bytes: number, complete: boolean) => void): Transform {
  let bytes = 0;
  let ended = false;
  const counter = new Transform({ transform(chunk: Buffer, _enc, cb) { bytes += chunk.length; cb(null, chunk); } });
  counter.once('end', () => { ended = true; });
  counter.once('close', () => {
    onClose(bytes, ended);
    if (!source.destroyed && !source.readableEnded) source.destroy();
  });
  source.once('error', (err) => { counter.destroy(err); });
  source.once('close', () => {
    if (!source.readableEnded && !counter.destroyed) {
      counter.destroy(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    }
  });
  source.pipe(counter);
  return counter;
}

/** Whether a request carries a body to count (a length other than 0, or chunked). */
function expectsBody(req: SwiftRequest): boolean {
  const cl = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl.trim() !== '0');
}

/** Request bodies counted by countBodyIn: the counter each became, and what it counted once closed. */
const tallies = new WeakMap<Readable, { bytes: number }>();

/**
 * The request with its body counted, once however many middlewares ask (metrics and proxy-logging
 * both do): a body that already is a counter made here is shared, not wrapped again (a stream
 * layer less per upload). `bytesIn()` is the count once the body has closed (0 before, and for a
 * request without a body); `counter` is the counting stream, if there is one.
 */
export function countBodyIn(req: SwiftRequest): { req: SwiftRequest; bytesIn: () => number; counter?: Transform } {
  if (!expectsBody(req)) return { req, bytesIn: () => 0 };
  const body = req.body as Readable;
  const known = tallies.get(body);
  if (known) return { req, bytesIn: () => known.bytes, counter: body as Transform };
  const tally = { bytes: 0 };
  const counter = countThrough(body, (n) => { tally.bytes = n; });
  tallies.set(counter, tally);
  return { req: { ...req, body: counter }, bytesIn: () => tally.bytes, counter };
}

/**
 * Run `call` (the rest of the pipeline) and report, once, the status and body bytes the client gets:
 * for a thrown error, the status catch_errors (outside) will answer with and no bytes; for a
 * buffered body, at once; for a streamed body, when it closes, as 499 when it closed before its
 * end (a client that went away, as Swift logs it). HEAD, 204 and 304 bodies are not sent, so they
 * count as no bytes and never as 499.
 */
export async function reportSent(call: () => Promise<SwiftResponse>, method: string,
                                 report: (status: number, bytes: number) => void): Promise<SwiftResponse> {
  let res: SwiftResponse;
  try {
    res = await call();
  } catch (err) {
    report(toSwiftError(err)?.status ?? 500, 0);
    throw err;
  }
  const body = res.body;
  const noBody = method === 'HEAD' || res.status === 204 || res.status === 304;
  if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
    report(res.status, noBody || body === undefined ? 0 : Buffer.byteLength(body));
    return res;
  }
  const counter = countThrough(body, (n, complete) => report(complete || noBody ? res.status : 499, n));
  return { ...res, body: counter };
}
