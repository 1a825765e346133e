/**
 * The request/response model of the Swift layer: Swift's WSGI pipeline in TypeScript.
 *
 * A `Handler` turns a SwiftRequest into a SwiftResponse; a `Middleware` wraps the handler below it.
 * Express is only the outermost adapter (src/server.ts); everything else is a Handler, so middlewares
 * send subrequests simply by calling the handler below them (Swift's make_subrequest), and tests can
 * drive any layer with fakes.
 */
import { Readable } from 'node:stream';
import type { RequestContext } from './context.js';
import { unquoteBytes } from './middleware/common/quote.js';

export interface SwiftRequest {
  method: string;
  /** The path exactly as received, still percent-encoded, without the query string. */
  rawPath: string;
  /** Percent-decoded path (invalid UTF-8 replaced by U+FFFD; see `pathIsUtf8`). */
  path: string;
  /** False when the decoded path is not valid UTF-8 or contains NUL (Swift answers 412). */
  pathIsUtf8: boolean;
  /** The raw query string without '?'. */
  rawQuery: string;
  query: URLSearchParams;
  /** Header names in lower case; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** The request body. Subrequests without a body get an empty stream. */
  body: Readable;
  ctx: RequestContext;
}

export type ResponseBody = Readable | Buffer | string;

export interface SwiftResponse {
  status: number;
  /** Header names in lower case; the adapter writes them title-cased as Swift does ("X-Object-Meta-Color"). */
  headers: Record<string, string>;
  body?: ResponseBody;
}

export type Handler = (req: SwiftRequest) => Promise<SwiftResponse>;
export type Middleware = (next: Handler) => Handler;

/** An empty body stream for subrequests and bodiless requests. */
export function emptyBody(): Readable { return Readable.from([]); }

/** Parse a query string the way Swift (Python's parse_qs) does: '+' is a space, blank values kept. */
export function parseQuery(raw: string): URLSearchParams { return new URLSearchParams(raw); }

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Percent-decode a path into UTF-8; `ok` is false for invalid UTF-8 or a NUL. */
export function decodePath(raw: string): { path: string; ok: boolean } {
  if (!raw.includes('%')) return { path: raw, ok: !raw.includes('\0') && !raw.includes('\ufffd') };
  const buf = unquoteBytes(raw);
  try {
    const path = strictUtf8.decode(buf);
    return { path, ok: !path.includes('\0') };
  } catch {
    return { path: buf.toString('utf8'), ok: false };
  }
}

/** Build a response. */
export function respond(status: number, headers: Record<string, string> = {}, body?: ResponseBody): SwiftResponse {
  return body === undefined ? { status, headers } : { status, headers, body };
}

/** Build a subrequest of `parent` (same context, new method/path/headers/body), as Swift's make_subrequest. */
export function subrequest(parent: SwiftRequest, init: {
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: Readable;
  /** Which middleware made it (logged as swift.source). */
  source: string;
  /** Skip authorization (Swift's make_pre_authed_request). */
  preAuthorized?: boolean;
}): SwiftRequest {
  const rawPath = encodePath(init.path);
  const ctx = parent.ctx.derive({ source: init.source, preAuthorized: init.preAuthorized ?? false });
  return {
    method: init.method,
    rawPath,
    path: init.path,
    pathIsUtf8: !init.path.includes('\0'),
    rawQuery: init.query ?? '',
    query: parseQuery(init.query ?? ''),
    headers: Object.fromEntries(Object.entries(init.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    body: init.body ?? emptyBody(),
    ctx,
  };
}

/** Percent-encode a decoded path, keeping '/' (and the characters Swift's quote() keeps). */
export function encodePath(path: string): string {
  return encodeURIComponent(path).replace(/%2F/g, '/');
}

const titleCache = new Map<string, string>();
/** "x-object-meta-color" -> "X-Object-Meta-Color" (swob's header casing). */
export function titleCase(name: string): string {
  let t = titleCache.get(name);
  if (t === undefined) {
    t = name.replace(/(^|-)([a-z])/g, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
    if (titleCache.size < 10000) titleCache.set(name, t);
  }
  return t;
}
