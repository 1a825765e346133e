/**
 * The response for a large object (SLO or DLO) GET/HEAD, as swob's Response(conditional_response=
 * True) builds it around a SegmentedIterable:
 *
 *   1. If-None-Match / If-Match / If-(Un)Modified-Since against the large object's etag and
 *      Last-Modified -> 304 / 412 with an empty body (no segment is read);
 *   2. HEAD -> the headers only (Content-Length = the whole size);
 *   3. Range -> 416 (Content-Range: bytes *\/size, swob's default body), 206 with Content-Range for
 *      one range, 206 multipart/byteranges for several; a zero-size object is served whole;
 *   4. otherwise 200 with the whole body.
 *
 * The body is produced by `open(range)`, a generator of the large object's bytes over one half-open
 * range (or all of it); its first chunk is pulled before the status is chosen (see startStream).
 */
import type { Readable } from 'node:stream';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import { errorResponse } from '../../errors.js';
import { conditionalStatus, parseHttpDate } from '../../controllers/object/conditional.js';
import {
  contentRangeValue, multipartContentType, multipartLength, multipartTerminator, newBoundary,
  parseRange, partHeader, rangesForLength, type ResolvedRange,
} from '../../controllers/object/ranges.js';
import { startStream } from './segmented.js';

export type OpenRange = (range?: ResolvedRange) => AsyncGenerator<Buffer, void, undefined>;

export interface LargeObjectInit {
  /** Headers to send (the manifest's, adjusted); content-length/content-range are set here. */
  headers: Record<string, string>;
  /** Size of the whole large object; undefined when unknown (then Range is ignored, no Content-Length). */
  size: number | undefined;
  /** The etag conditionals compare against (unquoted); undefined: etag conditions are skipped. */
  etag: string | undefined;
  /** Consider this Range header (default: the request's; pass undefined explicitly to ignore it). */
  range?: string | undefined;
  open: OpenRange;
}

/** Build the response for `req` (GET or HEAD) of a large object. */
export async function largeObjectResponse(req: SwiftRequest, init: LargeObjectInit): Promise<SwiftResponse> {
  const headers = { ...init.headers };
  delete headers['content-length'];
  delete headers['content-range'];
  const lastModified = parseHttpDate(headers['last-modified']);
  const cond = conditionalStatus(req.headers, { etag: init.etag ?? '', lastModified: lastModified ?? NaN });
  if (cond !== undefined) {
    return { status: cond, headers: { ...headers, 'content-length': '0' }, body: '' };
  }
  const size = init.size;
  if (req.method === 'HEAD') {
    return { status: 200, headers: size === undefined ? headers : { ...headers, 'content-length': String(size) } };
  }
  const rangeHeader = 'range' in init ? init.range : req.headers['range'];
  const specs = size === undefined ? undefined : parseRange(rangeHeader);
  if (specs !== undefined && size !== undefined) {
    const ranges = rangesForLength(specs, size);
    if (ranges.length === 0) {
      const err = errorResponse(416);
      const body = err.body as string;
      return {
        status: 416,
        headers: { ...headers, 'content-range': `bytes */${size}`, 'content-length': String(Buffer.byteLength(body)) },
        body,
      };
    }
    if (size > 0 && ranges.length === 1) {
      const r = ranges[0]!;
      const body = await startStream(req, init.open(r));
      return {
        status: 206,
        headers: { ...headers, 'content-range': contentRangeValue(r, size), 'content-length': String(r.stop - r.start) },
        body,
      };
    }
    if (size > 0) {
      const boundary = newBoundary();
      const ct = headers['content-type'] ?? 'application/octet-stream';
      const body = await startStream(req, multipart(init.open, ranges, boundary, ct, size));
      return {
        status: 206,
        headers: {
          ...headers,
          'content-type': multipartContentType(boundary),
          'content-length': String(multipartLength(boundary, ct, ranges, size)),
        },
        body,
      };
    }
  }
  const body: Readable = await startStream(req, init.open(size === undefined ? undefined : { start: 0, stop: size }));
  return { status: 200, headers: size === undefined ? headers : { ...headers, 'content-length': String(size) }, body };
}

/**
 * The multipart/byteranges body (swob's multi_range_iterator). The first range's first chunk is read
 * before the first part header, so a broken first segment still becomes a status.
 */
async function* multipart(open: OpenRange, ranges: ResolvedRange[], boundary: string, contentType: string,
                          size: number): AsyncGenerator<Buffer, void, undefined> {
  for (const r of ranges) {
    const chunks = open(r);
    try {
      const head = await chunks.next();
      yield partHeader(boundary, contentType, r, size);
      if (!head.done) yield head.value;
      yield* chunks;
    } finally {
      await chunks.return(undefined);
    }
    yield Buffer.from('\r\n');
  }
  yield multipartTerminator(boundary);
}
