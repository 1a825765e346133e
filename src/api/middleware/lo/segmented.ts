/**
 * The body of a large object: its segments fetched one by one with GET subrequests and streamed
 * as one sequence of chunks (Swift's SegmentedIterable, swift/common/request_helpers.py).
 *
 * Contract:
 * - Each object segment is fetched with `?multipart-manifest=get` (so a segment is always the plain
 *   object stored under that name, whose etag is the MD5 of its bytes) and a Range when only part of
 *   it is needed. Nothing is buffered: a chunk is yielded as soon as the segment's stream gives it.
 * - A segment that answers non-2xx, or whose etag/size differ from what the manifest recorded, or
 *   whose bytes do not hash to its etag (whole-segment reads), raises SegmentError; a 5xx raises
 *   503. Before the first byte has been produced the caller turns these into the response (409 or
 *   503, see `startStream`); after it, the error destroys the stream and so the client connection,
 *   which is how Swift tells a client its large object download is broken.
 * - Every segment response body is consumed or destroyed (also when the consumer stops early).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Handler, ResponseBody, SwiftRequest } from '../../http.js';
import { subrequest } from '../../http.js';
import { httpError } from '../../errors.js';
import { isSuccess } from '../common/body.js';
import { inheritHeaders, readBody, responseLength } from './subrequest.js';
import { normalizeEtag } from '../../controllers/object/conditional.js';
import { callBelow } from '../common/call-below.js';

/** A segment is missing or no longer what the manifest says (Swift's SegmentError). */
export class SegmentError extends Error {
  constructor(message: string) { super(message); this.name = 'SegmentError'; }
}

/** The list of segments could not be produced (Swift's ListingIterError). */
export class ListingIterError extends Error {
  constructor(message: string) { super(message); this.name = 'ListingIterError'; }
}

/** Part of a stored object. */
export interface ObjectSegment {
  /** Decoded path, /v1/account/container/object. */
  path: string;
  /** Inclusive bounds within the segment object; undefined means its first / last byte. */
  firstByte?: number;
  lastByte?: number;
  /** Etag (unquoted) the segment object must have; undefined: not checked. */
  etag?: string;
  /** Size the whole segment object must have; undefined or 0: not checked (as Swift). */
  size?: number;
}

/** Bytes inlined in an SLO manifest (already decoded), with the inclusive bounds to send. */
export interface DataSegment {
  data: Buffer;
  firstByte: number;
  lastByte: number;
}

export type Segment = ObjectSegment | DataSegment;

export function isDataSegment(s: Segment): s is DataSegment { return 'data' in s; }

export interface SegmentedOptions {
  /** The client's request (subrequests share its context: identity, transaction, abort signal). */
  req: SwiftRequest;
  /** The handler below the middleware. */
  app: Handler;
  segments: AsyncIterable<Segment>;
  /** The large object's path (for messages). */
  name: string;
  /** 'SLO' or 'DLO' (the subrequests' swift.source). */
  source: string;
  /** Seconds a whole GET may take (Swift's max_get_time). */
  maxGetTime: number;
  /** When known, exactly this many bytes must come out (more or fewer is a SegmentError). */
  responseBodyLength?: number;
}

/** The chunks of the large object (see the module doc for the error contract). */
export async function* segmentChunks(o: SegmentedOptions): AsyncGenerator<Buffer, void, undefined> {
  const start = Date.now();
  let left = o.responseBodyLength;
  for await (const { where, chunk } of segmentBytes(o)) {
    if (left === undefined) {
      yield chunk;
    } else if (left >= chunk.length) {
      left -= chunk.length;
      yield chunk;
    } else {
      const over = chunk.length - left;
      yield chunk.subarray(0, left);
      throw new SegmentError(`Too many bytes for ${o.name}; truncating in ${where} with ${over} bytes left`);
    }
    if ((Date.now() - start) / 1000 > o.maxGetTime) {
      throw new SegmentError(`While processing manifest ${o.name}, max LO GET time of ${o.maxGetTime}s exceeded`);
    }
  }
  if (left) throw new SegmentError(`Expected another ${left} bytes for ${o.name}; closing connection`);
}

async function* segmentBytes(o: SegmentedOptions): AsyncGenerator<{ where: string; chunk: Buffer }> {
  for await (const seg of o.segments) {
    if (isDataSegment(seg)) {
      yield { where: 'data segment', chunk: seg.data.subarray(seg.firstByte, seg.lastByte + 1) };
      continue;
    }
    yield* objectSegmentBytes(o, seg);
  }
}

async function* objectSegmentBytes(o: SegmentedOptions, seg: ObjectSegment): AsyncGenerator<{ where: string; chunk: Buffer }> {
  const first = seg.firstByte ?? 0;
  const toEnd = seg.lastByte === undefined || (seg.size !== undefined && seg.lastByte === seg.size - 1);
  const ranged = first !== 0 || !toEnd;
  const headers = inheritHeaders(o.req);
  if (ranged) headers['range'] = `bytes=${first}-${toEnd ? '' : String(seg.lastByte)}`;
  const sub = subrequest(o.req, { method: 'GET', path: seg.path, query: 'multipart-manifest=get', headers, source: o.source });
  const res = await callBelow(o.app, sub);

  if (!isSuccess(res.status)) {
    const body = await shortBody(res.body);
    const msg = `While processing manifest ${o.name}, got ${res.status} (${body}) while retrieving ${seg.path}`;
    if (res.status >= 500) {
      o.req.ctx.log.error(msg);
      throw httpError(503, undefined, { 'content-type': 'text/plain' });
    }
    throw new SegmentError(msg);
  }
  const etag = normalizeEtag(res.headers['etag']);
  const length = responseLength(res);
  if ((seg.etag && etag !== seg.etag) || (seg.size && length !== seg.size && !ranged)) {
    discard(res.body);
    throw new SegmentError(`Object segment no longer valid: ${seg.path} etag: ${etag} != ${seg.etag} or ${length} != ${seg.size}.`);
  }

  // Only a whole-segment read can be checked against the segment's etag.
  const hash = etag && !ranged ? createHash('md5') : undefined;
  let got = 0;
  for await (const chunk of chunksOf(res.body)) {
    if (hash) hash.update(chunk);
    got += chunk.length;
    yield { where: seg.path, chunk };
  }
  if (hash) {
    if (got !== length) {
      throw new SegmentError(`Bad response length for ${seg.path} as part of ${o.name}: headers had ${length}, but response length was actually ${got}`);
    }
    const actual = hash.digest('hex');
    if (actual !== etag) {
      throw new SegmentError(`Bad MD5 checksum for ${seg.path} as part of ${o.name}: headers had ${etag}, but object MD5 was actually ${actual}`);
    }
  }
}

/** The chunks of a response body; a stream left early (consumer stopped, error) is destroyed. */
export async function* chunksOf(body: ResponseBody | undefined): AsyncGenerator<Buffer> {
  if (body === undefined) return;
  if (typeof body === 'string') { if (body) yield Buffer.from(body, 'utf8'); return; }
  if (Buffer.isBuffer(body)) { if (body.length) yield body; return; }
  try {
    for await (const chunk of body) yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
  } finally {
    if (!body.destroyed) body.destroy();
  }
}

function discard(body: ResponseBody | undefined): void {
  if (body instanceof Readable) body.destroy();
}

/** An error body for a message: at most 60 characters, as Swift shortens it. */
async function shortBody(body: ResponseBody | undefined): Promise<string> {
  let text = '';
  try {
    text = (await readBody({ status: 0, headers: {}, ...(body === undefined ? {} : { body }) }, 4096)).toString('utf8');
  } catch {
    discard(body);
  }
  return text.length <= 60 ? text : `${text.slice(0, 57)}...`;
}

/**
 * Start streaming: pull the first chunk now (Swift's validate_first_segment), so that a missing or
 * changed first segment is still answered with a status (409 Conflict, or the 5xx-derived 503)
 * instead of a broken body. Returns the whole body as a byte stream whose destruction (client gone)
 * closes the generator and with it the open segment stream.
 */
export async function startStream(req: SwiftRequest, gen: AsyncGenerator<Buffer, void, undefined>): Promise<Readable> {
  let first: IteratorResult<Buffer, void> | undefined;
  try {
    first = await gen.next();
  } catch (err) {
    if (err instanceof SegmentError || err instanceof ListingIterError) {
      req.ctx.log.error({ err }, err.message);
      throw httpError(409);
    }
    throw err;
  }
  const it: AsyncIterableIterator<Buffer> = {
    next: async () => {
      if (first !== undefined) {
        const f = first;
        first = undefined;
        return f as IteratorResult<Buffer>;
      }
      try {
        return (await gen.next()) as IteratorResult<Buffer>;
      } catch (err) {
        // Past the first byte the status is sent: log why the connection is cut.
        req.ctx.log.error({ err }, err instanceof Error ? err.message : 'large object read failed');
        throw err;
      }
    },
    return: async () => { await gen.return(undefined); return { done: true, value: undefined }; },
    throw: async (e?: unknown) => { await gen.throw(e); return { done: true, value: undefined }; },
    [Symbol.asyncIterator]() { return this; },
  };
  return Readable.from(it, { objectMode: false });
}
