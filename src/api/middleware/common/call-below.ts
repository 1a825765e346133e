/**
 * How the versioning and symlink middlewares talk to the pipeline below them (Swift's
 * `req.get_response(self.app)` on a subrequest or on the rewritten original request).
 *
 * Handlers below may throw SwiftHttpError or store errors instead of returning a response; a
 * middleware that must react to a 404 or a 409 needs them as responses, so `callBelow` maps them
 * the same way catch_errors would. Unknown errors still propagate (a 500 is catch_errors' job).
 */
import type { Readable } from 'node:stream';
import { toLoggedSwiftError } from '../../errors.js';
import { emptyBody, encodePath, parseQuery, type Handler, type SwiftRequest, type SwiftResponse } from '../../http.js';
import { discardBody, readSmallBody } from './body.js';

/** Call `next` and always get a response back (thrown Swift and store errors become responses). */
export async function callBelow(next: Handler, req: SwiftRequest): Promise<SwiftResponse> {
  try {
    return await next(req);
  } catch (err) {
    const mapped = toLoggedSwiftError(err, req.ctx.log);
    if (mapped) return mapped.toResponse();
    throw err;
  }
}

/** A copy of `req` with headers set (undefined removes one); body and context are shared. */
export function withHeaders(req: SwiftRequest, changes: Record<string, string | undefined>): SwiftRequest {
  const headers = { ...req.headers };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete headers[k.toLowerCase()];
    else headers[k.toLowerCase()] = v;
  }
  return { ...req, headers };
}

/**
 * A copy of `req` sent to another (decoded) path, optionally with another method and query string:
 * what Swift does when it rewrites PATH_INFO / QUERY_STRING of the request it is handling. The
 * context (and so the authorization state) stays the original request's.
 */
export function retarget(req: SwiftRequest, change: { path?: string; method?: string; query?: string }): SwiftRequest {
  const path = change.path ?? req.path;
  const out: SwiftRequest = { ...req, method: change.method ?? req.method, path };
  if (change.path !== undefined) {
    out.rawPath = encodePath(path);
    // Same rule as http.ts subrequest(): a NUL marks the path as not a plain client path; the
    // proxy lets it through only with X-Backend-Allow-Reserved-Names (see reserved-names.ts).
    out.pathIsUtf8 = !path.includes('\0');
  }
  if (change.query !== undefined) {
    out.rawQuery = change.query;
    out.query = parseQuery(change.query);
  }
  return out;
}

/** A copy of `req` whose body is empty (after the middleware decided the client sent none). */
export function withoutBody(req: SwiftRequest): SwiftRequest {
  const headers: Record<string, string> = { ...req.headers, 'content-length': '0' };
  delete headers['transfer-encoding'];
  return { ...req, headers, body: emptyBody() };
}

/** Consume and drop a response body (errors and bodies of subrequests we only needed the status of). */
export function drain(res: SwiftResponse): void { discardBody(res.body); }

/** The JSON value of a small response body (listings); undefined when it is not JSON. */
export async function readJson(res: SwiftResponse, limit = 64 * 1024 * 1024): Promise<unknown> {
  return parseJson(await readSmallBody(res, limit));
}

/** JSON.parse of UTF-8 bytes; undefined when they are not JSON. */
export function parseJson(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Whether a request body has any bytes: by Content-Length when given, else by reading the first
 * non-empty chunk (Swift's `req.body_file.read(1)`). Only for requests that must be bodiless, so a
 * chunk read here is never needed afterwards.
 */
export async function hasBody(req: SwiftRequest): Promise<boolean> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && req.headers['transfer-encoding'] === undefined) return Number(declared) !== 0;
  return firstChunk(req.body);
}

async function firstChunk(body: Readable): Promise<boolean> {
  for await (const chunk of body) {
    if ((chunk as Buffer | string).length > 0) return true;
  }
  return false;
}
