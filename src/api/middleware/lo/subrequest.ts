/**
 * What the large-object and copy middlewares share when they talk to the pipeline below them
 * (Swift's make_subrequest; the call itself is common/call-below.ts's callBelow, which turns a
 * thrown Swift or store error into the response the middleware needs to react to).
 *
 * Also the internal (x-backend-*) headers the middlewares send down. The gatekeeper strips
 * x-backend-* from clients, so only middleware can set them.
 */
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import { COPY_FROM_HEADER } from '../../controllers/object/internal.js';
import { readSmallBody } from '../common/body.js';
import { unquoteBytes } from '../common/quote.js';
import { getParam } from '../../params.js';

/**
 * Comma-separated names of metadata headers holding the etag conditionals must use instead of the
 * object's own (Swift's X-Backend-Etag-Is-At; SLO names X-Object-Sysmeta-Slo-Etag).
 */
export const ETAG_IS_AT = 'x-backend-etag-is-at';
/**
 * Comma-separated header names: if the object has any of them, the object server ignores Range and
 * answers 200 with the whole body (Swift's X-Backend-Ignore-Range-If-Metadata-Present), so a
 * manifest is always fetched whole.
 */
export const IGNORE_RANGE = 'x-backend-ignore-range-if-metadata-present';
/**
 * `<account>/<container>/<object>` (each component percent-encoded): the PUT carrying it has no body;
 * the object controller makes the object a server-side copy of that source (store.copyObject, a
 * hard link when both names land on one brick). Sent only by the copy middleware.
 */
export const COPY_FROM = COPY_FROM_HEADER;

/**
 * Request headers a subrequest inherits from the client's request (Swift's make_env copies these
 * from the environ): the Referer matters most, since `.r:` ACLs are judged on it for every segment.
 */
const INHERITED = ['x-auth-token', 'referer', 'origin', 'user-agent', 'host', 'x-timestamp', 'x-user-id', 'x-project-id'];

/** The inherited headers of `req`, plus `extra`. */
export function inheritHeaders(req: SwiftRequest, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of INHERITED) if (req.headers[h] !== undefined) out[h] = req.headers[h];
  return { ...out, ...extra };
}

/**
 * A header value naming something (X-Object-Manifest, X-Copy-From, Destination ...) as Swift reads
 * it with wsgi_unquote: the raw bytes (Node gives them as latin-1 characters) percent-decoded, then
 * read as UTF-8.
 */
export function unquoteHeader(raw: string): string {
  return unquoteBytes(raw, true).toString('utf8');
}

/** Swift's csv_append: add `value` to a comma-separated header value. */
export function csvAppend(existing: string | undefined, value: string): string {
  return existing ? `${existing},${value}` : value;
}

/** A response's Content-Length, or undefined when absent or not a number. */
export function responseLength(res: SwiftResponse): number | undefined {
  const v = res.headers['content-length'];
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v.trim());
}

/** Drop headers (by lower-case name) from a header map, returning a new map. */
export function without(headers: Record<string, string>, names: Iterable<string>): Record<string, string> {
  const out = { ...headers };
  for (const n of names) delete out[n];
  return out;
}

/**
 * Read a small response body (a manifest, a listing, an error message) of at most `limit` bytes,
 * then destroy the stream: a stream that ended is not always destroyed (file streams that do not
 * auto-destroy), and only destruction tells the object controller to close its store reader.
 */
export async function readBody(res: SwiftResponse, limit: number): Promise<Buffer> {
  try {
    return await readSmallBody(res, limit);
  } finally {
    if (res.body !== undefined && typeof res.body !== 'string' && !Buffer.isBuffer(res.body) && !res.body.destroyed) {
      res.body.destroy();
    }
  }
}

/**
 * A query parameter as these middlewares read it (Swift's req.params.get): a value that is not
 * valid UTF-8 simply matches nothing, instead of being the 400 that get_param would answer.
 */
export function queryParam(req: SwiftRequest, name: string): string | undefined {
  try { return getParam(req, name); } catch { return undefined; }
}
