/**
 * Container listings through SLO (Swift's handle_container_listing): a manifest is listed with the
 * override the manifest PUT set, hash "<manifest md5>; slo_etag=<slo etag>"; SLO splits it into
 * "hash": "<manifest md5>" and "slo_etag": "\"<slo etag>\"". Only JSON listings (what the container
 * controller always produces below listing_formats) of at most 20,480,000 bytes are rewritten.
 */
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import { pyDumps } from '../../pyjson.js';
import { isSuccess } from '../common/body.js';
import { responseLength, readBody } from '../lo/subrequest.js';
import type { SloEnv } from './env.js';

/** listing_formats.MAX_CONTAINER_LISTING_CONTENT_LENGTH. */
const MAX_LISTING_LENGTH = 1024 * 10000 * 2;

export async function handleContainerListing(req: SwiftRequest, env: SloEnv): Promise<SwiftResponse> {
  const res = await env.next(req);
  const type = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (!isSuccess(res.status) || type !== 'application/json' || res.body === undefined) return res;
  const length = typeof res.body === 'string' || Buffer.isBuffer(res.body) ? Buffer.byteLength(res.body) : responseLength(res);
  if (length === undefined || length > MAX_LISTING_LENGTH) return res;
  const body = await readBody(res, MAX_LISTING_LENGTH);
  let listing: unknown;
  try {
    listing = JSON.parse(body.toString('utf8'));
  } catch {
    return { ...res, body };
  }
  if (!Array.isArray(listing)) return { ...res, body };
  let changed = false;
  for (const item of listing as Array<Record<string, unknown>>) {
    if (typeof item !== 'object' || item === null || 'subdir' in item || typeof item['hash'] !== 'string') continue;
    const { value, params } = parseHeader(item['hash']);
    const slo = params.get('slo_etag');
    if (slo === undefined) continue;
    params.delete('slo_etag');
    item['hash'] = value + [...params].map(([k, v]) => `; ${k}=${v}`).join('');
    item['slo_etag'] = `"${slo}"`;
    changed = true;
  }
  if (!changed) return { ...res, body };
  const out = pyDumps(listing);
  return { ...res, headers: { ...res.headers, 'content-length': String(Buffer.byteLength(out)) }, body: out };
}

/** Python's cgi.parse_header: the first part, then ';'-separated key=value parameters (keys lower-cased, quotes removed). */
function parseHeader(line: string): { value: string; params: Map<string, string> } {
  const parts = line.split(';');
  const params = new Map<string, string>();
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    let val = p.slice(eq + 1).trim();
    if (val.length >= 2 && val.startsWith('"') && val.endsWith('"')) val = val.slice(1, -1).replace(/\\\\/g, '\\').replace(/\\"/g, '"');
    params.set(key, val);
  }
  return { value: parts[0]!.trim(), params };
}
