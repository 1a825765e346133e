/**
 * Object GET and HEAD, as Swift's object server + proxy answer them:
 *
 * - Missing, deleted or expired (X-Delete-At reached) objects are 404 (with X-Backend-Timestamp
 *   of the tombstone when there is one), or 412 when If-Match contains '*'.
 * - Conditionals (see conditional.ts) give 304 (object headers, Content-Length: 0) or 412 (object
 *   headers but Swift's default Content-Type, Content-Length: 0). They compare against the etag
 *   named by X-Backend-Etag-Is-At when a middleware asks for that (SLO, encryption).
 * - HEAD ignores Range: 200 with the full Content-Length and no body.
 * - Range (see ranges.ts): 206 single range with Content-Range; 206 multipart/byteranges for
 *   several; 416 with Content-Range "bytes *\/size" and Swift's default body when unsatisfiable;
 *   an invalid header is ignored. X-Backend-Ignore-Range-If-Metadata-Present makes the object
 *   server ignore Range when the object has one of the listed items (SLO manifests).
 * - X-Newest is accepted and ignored: the store always reads the newest version.
 */
import * as E from '../../../storage/errors.js';
import type { ObjectInfo, ObjectReader } from '../../../storage/store.js';
import { errorResponse } from '../../errors.js';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import type { AppDeps } from '../../pipeline.js';
import { checkAccess, emptyResponse, objectRef, type ObjectTarget } from './common.js';
import { conditionalStatus } from './conditional.js';
import { lastModifiedSeconds, objectItem, objectResponseHeaders } from './object-headers.js';
import { closeOnce, multipartBody, rangeBody } from './read-body.js';
import { multipartContentType, multipartLength, newBoundary, parseRange, rangesForLength,
         contentRangeValue } from './ranges.js';

/** Answer for a missing object: 412 for If-Match: *, else 404 (the store's error carries the tombstone). */
function missing(req: SwiftRequest, err?: E.ObjectNotFound): SwiftResponse {
  if (conditionalStatus(req.headers, undefined) === 412) return emptyResponse(412);
  return errorResponse(404, undefined, err?.deletedAt ? { 'x-backend-timestamp': err.deletedAt } : {});
}

/** True when the object's X-Delete-At has passed (Swift's DiskFileExpired: delete_at <= now). */
export function isExpired(info: ObjectInfo, nowSeconds = Date.now() / 1000): boolean {
  return info.deleteAt !== undefined && info.deleteAt <= nowSeconds;
}

/** The etag conditionals use: the first item X-Backend-Etag-Is-At names that the object has, else its own. */
export function conditionalEtag(req: SwiftRequest, info: ObjectInfo): string {
  const names = req.headers['x-backend-etag-is-at'];
  if (names !== undefined) {
    for (const name of names.split(',')) {
      const v = name.trim() ? objectItem(info, name) : undefined;
      if (v !== undefined) return v;
    }
  }
  return info.etag;
}

/** True when the object has an item X-Backend-Ignore-Range-If-Metadata-Present lists. */
function ignoresRange(req: SwiftRequest, info: ObjectInfo): boolean {
  const names = req.headers['x-backend-ignore-range-if-metadata-present'];
  if (names === undefined) return false;
  return names.split(',').some((n) => n.trim() !== '' && objectItem(info, n) !== undefined);
}

/**
 * The response for an object that exists, before any body: a conditional 304/412, or undefined to
 * go on and serve it.
 */
function conditionalResponse(req: SwiftRequest, info: ObjectInfo, headers: Record<string, string>): SwiftResponse | undefined {
  const status = conditionalStatus(req.headers, { etag: conditionalEtag(req, info), lastModified: lastModifiedSeconds(info) });
  if (status === 304) return emptyResponse(304, headers);
  if (status === 412) {
    // Swift's proxy builds the 412 from the object server's headers but keeps its own Content-Type.
    const { 'content-type': _ct, 'accept-ranges': _ar, ...rest } = headers;
    return emptyResponse(412, rest);
  }
  return undefined;
}

export async function getOrHeadObject(req: SwiftRequest, target: ObjectTarget, deps: AppDeps): Promise<SwiftResponse> {
  const access = await checkAccess(req, target, deps, 'read');
  if ('denial' in access) return access.denial;
  // Swift's GET does not look at the container's existence: the object servers answer 404.
  if (!access.container) return missing(req);
  const ref = objectRef(target);

  if (req.method === 'HEAD') {
    let info: ObjectInfo;
    try {
      info = await deps.store.headObject(ref);
    } catch (err) {
      if (err instanceof E.ObjectNotFound) return missing(req, err);
      throw err;
    }
    if (isExpired(info)) return missing(req);
    const headers = objectResponseHeaders(info);
    return conditionalResponse(req, info, headers)
      ?? { status: 200, headers: { ...headers, 'content-length': String(info.size) } };
  }

  let reader: ObjectReader;
  try {
    reader = await deps.store.getObject(ref, { signal: req.ctx.signal });
  } catch (err) {
    if (err instanceof E.ObjectNotFound) return missing(req, err);
    throw err;
  }
  const close = closeOnce(reader);
  try {
    return serveReader(req, reader, close);
  } catch (err) {
    close();
    throw err;
  }
}

/** Build the GET response from an open reader; every path that returns no body closes it. */
function serveReader(req: SwiftRequest, reader: ObjectReader, close: () => void): SwiftResponse {
  const info = reader.info;
  if (isExpired(info)) {
    close();
    return missing(req);
  }
  const headers = objectResponseHeaders(info);
  const conditional = conditionalResponse(req, info, headers);
  if (conditional) {
    close();
    return conditional;
  }
  const specs = ignoresRange(req, info) ? undefined : parseRange(req.headers['range']);
  if (specs && specs.length > 0) {
    const ranges = rangesForLength(specs, info.size);
    if (ranges.length === 0) {
      close();
      const body = errorResponse(416).body as string;
      return {
        status: 416,
        headers: { ...headers, 'content-range': `bytes */${info.size}`, 'content-length': String(Buffer.byteLength(body)) },
        body,
      };
    }
    // A satisfiable suffix range of an empty object: Swift serves the (empty) object with 200.
    if (info.size > 0 && ranges.length === 1) {
      const r = ranges[0]!;
      return {
        status: 206,
        headers: { ...headers, 'content-range': contentRangeValue(r, info.size), 'content-length': String(r.stop - r.start) },
        body: rangeBody(reader, close, r),
      };
    }
    if (info.size > 0) {
      const boundary = newBoundary();
      const partType = headers['content-type']!;
      return {
        status: 206,
        headers: {
          ...headers,
          'content-type': multipartContentType(boundary),
          'content-length': String(multipartLength(boundary, partType, ranges, info.size)),
        },
        body: multipartBody(reader, close, ranges, boundary, partType, info.size),
      };
    }
  }
  return { status: 200, headers: { ...headers, 'content-length': String(info.size) }, body: rangeBody(reader, close) };
}
