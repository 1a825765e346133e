/**
 * Query parameters as Swift reads them (swob's `req.params` + request_helpers.get_param): the query
 * string is split on '&', '+' is a space, blank values are kept, the LAST occurrence of a name wins
 * (Python's dict(parse_qsl(...))), and a value that is not valid UTF-8 is a 400
 * `"<name>" parameter not valid UTF-8` (text/plain). URLSearchParams cannot be used for this: it
 * silently replaces invalid bytes with U+FFFD.
 */
import { httpError } from './errors.js';
import type { SwiftRequest } from './http.js';
import { unquoteBytes } from './middleware/common/quote.js';

const fatal = new TextDecoder('utf-8', { fatal: true });

/** One decoded parameter: `value` is undefined when its bytes are not valid UTF-8. */
interface RawParam { name: string; value: string | undefined }

const cache = new WeakMap<SwiftRequest, Map<string, RawParam>>();

/** A query component's bytes: '+' is a space, %XX decoded (parse_qsl's unquote_plus). */
function percentDecode(s: string): Buffer {
  return unquoteBytes(s.includes('+') ? s.replace(/\+/g, ' ') : s);
}

function decodeUtf8(buf: Buffer): string | undefined {
  try { return fatal.decode(buf); } catch { return undefined; }
}

/** Parse a raw query string (without '?') the way swob does; last occurrence wins. */
export function parseParams(rawQuery: string): Map<string, RawParam> {
  const out = new Map<string, RawParam>();
  if (!rawQuery) return out;
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    const name = decodeUtf8(percentDecode(rawName)) ?? percentDecode(rawName).toString('latin1');
    out.set(name, { name, value: decodeUtf8(percentDecode(rawValue)) });
  }
  return out;
}

function paramsOf(req: SwiftRequest): Map<string, RawParam> {
  let p = cache.get(req);
  if (!p) {
    p = parseParams(req.rawQuery);
    cache.set(req, p);
  }
  return p;
}

/** True when the query names `name` at all (even blank). */
export function hasParam(req: SwiftRequest, name: string): boolean {
  return paramsOf(req).has(name);
}

/**
 * Swift's get_param: the value, or undefined when absent. Throws 400 when it is not valid UTF-8.
 */
export function getParam(req: SwiftRequest, name: string): string | undefined {
  const p = paramsOf(req).get(name);
  if (!p) return undefined;
  if (p.value === undefined) {
    throw httpError(400, `"${name}" parameter not valid UTF-8`, { 'content-type': 'text/plain' });
  }
  return p.value;
}

/** A raw `name=value` part's decoded name (undefined when not valid UTF-8). */
function partName(part: string): string | undefined {
  const eq = part.indexOf('=');
  return decodeUtf8(percentDecode(eq < 0 ? part : part.slice(0, eq)));
}

/** Rebuild a query string without `name` (others kept verbatim), as deleting from swob's params does. */
export function withoutParam(rawQuery: string, name: string): string {
  return rawQuery.split('&').filter((part) => part && partName(part) !== name).join('&');
}

/** Rebuild a query string with `name` set to `value` (others kept verbatim), as swob's params setter. */
export function withParam(rawQuery: string, name: string, value: string): string {
  const rest = withoutParam(rawQuery, name);
  const set = `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  return rest ? `${rest}&${set}` : set;
}
