/**
 * Query parameters as Swift reads them (swob's `req.params` + request_helpers.get_param): the query
 * string is split on '&', '+' is a space, blank values are kept, the LAST occurrence of a name wins
 * (Python's dict(parse_qsl(...))), and a value that is not valid UTF-8 is a 400
 * `"<name>" parameter not valid UTF-8` (text/plain). URLSearchParams cannot be used for this: it
 * silently replaces invalid bytes with U+FFFD.
 */
import { httpError } from './errors.js';
import type { SwiftRequest } from './http.js';

const fatal = new TextDecoder('utf-8', { fatal: true });

/** One decoded parameter: `value` is undefined when its bytes are not valid UTF-8. */
interface RawParam { name: string; value: string | undefined }

const cache = new WeakMap<SwiftRequest, Map<string, RawParam>>();

function percentDecode(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2b) { bytes.push(0x20); continue; }
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
      continue;
    }
    if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes);
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

/** Rebuild a query string with `name` set to `value` (others kept verbatim), as swob's params setter. */
export function withParam(rawQuery: string, name: string, value: string): string {
  const parts = rawQuery ? rawQuery.split('&').filter((part) => {
    if (!part) return false;
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    return decodeUtf8(percentDecode(rawName)) !== name;
  }) : [];
  parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  return parts.join('&');
}

/** Swift's config_true_value: 'true', '1', 'yes', 'on', 't', 'y' (any case). */
export function trueValue(v: string | undefined | boolean): boolean {
  if (typeof v === 'boolean') return v;
  return v !== undefined && ['true', '1', 'yes', 'on', 't', 'y'].includes(v.trim().toLowerCase());
}
