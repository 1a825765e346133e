/**
 * Validation of a manifest sent with ?multipart-manifest=put (Swift's parse_and_validate_input):
 * the same checks, in the same order, with the same messages, so clients (and Swift's functional
 * tests) see identical 400 bodies. Problems found per entry are collected and answered together as
 * one text/plain 400, one "Index N: ..." line each.
 */
import { httpError } from '../../errors.js';
import { parseRange, rangesForLength, type RangeSpec } from '../../controllers/object/ranges.js';
import { pyString } from '../../pyjson.js';

/** An entry that names an object (checked later against a HEAD of that object). */
export interface PathEntry {
  kind: 'path';
  /** As sent, e.g. "/cont/obj" or "cont/obj". */
  path: string;
  etag?: string;
  sizeBytes?: number;
  range?: RangeSpec;
}

/** An inline data entry: `data` is the base64 re-encoded with canonical padding. */
export interface DataEntry {
  kind: 'data';
  data: string;
  bytes: Buffer;
}

export type ManifestEntry = PathEntry | DataEntry;

const SLO_KEYS: Record<'data' | 'path', string[]> = { data: [], path: ['range', 'etag', 'size_bytes'] };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parse and check a manifest body. `reqPath` is the manifest's decoded path (/v1/a/c/o); an entry
 * naming it is refused.
 */
export function parseManifest(body: Buffer, reqPath: string, version: string, account: string): ManifestEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(body));
  } catch {
    throw httpError(400, 'Manifest must be valid JSON.\n');
  }
  if (!Array.isArray(parsed)) throw httpError(400, 'Manifest must be a list.\n');

  const errors: string[] = [];
  const out: ManifestEntry[] = [];
  parsed.forEach((seg: unknown, i: number) => {
    const problem = checkEntry(seg, i, parsed.length, reqPath, version, account, out);
    if (problem) errors.push(`Index ${i}: ${problem}`);
  });
  if (parsed.length > 0 && parsed.every((d) => isObject(d) && 'data' in d)) {
    errors.push('Inline data segments require at least one object-backed segment.');
  }
  if (errors.length) {
    throw httpError(400, errors.map((e) => `${e}\n`).join(''), { 'content-type': 'text/plain' });
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Check one entry; push it to `out` and return undefined, or return the problem. */
function checkEntry(seg: unknown, index: number, count: number, reqPath: string, version: string, account: string,
                    out: ManifestEntry[]): string | undefined {
  if (!isObject(seg)) return 'not a JSON object';
  const type = (['data', 'path'] as const).find((k) => k in seg);
  if (type === undefined) return "expected keys to include one of 'data' or 'path'";
  const allowed = new Set([type, ...SLO_KEYS[type]]);
  const extra = Object.keys(seg).filter((k) => !allowed.has(k)).sort();
  if (extra.length) return `extraneous keys ${extra.map((k) => pyString(k)).join(', ')}`;

  if (type === 'data') {
    const bytes = strictB64Decode(seg['data']);
    if (bytes === undefined) return 'data must be valid base64';
    if (bytes.length < 1) return 'too small; each segment must be at least 1 byte.';
    out.push({ kind: 'data', data: bytes.toString('base64'), bytes });
    return undefined;
  }

  const path = seg['path'];
  if (typeof path !== 'string') return '"path" must be a string';
  const etag = seg['etag'];
  if (!(etag === undefined || etag === null || typeof etag === 'string')) return '"etag" must be a string or null (if provided)';
  if (!stripChar(path, '/').includes('/')) {
    return 'path does not refer to an object. Path must be of the form /container/object.';
  }
  const entry: PathEntry = { kind: 'path', path };
  if (typeof etag === 'string') entry.etag = etag;

  const rawSize = seg['size_bytes'];
  if (rawSize !== undefined && rawSize !== null) {
    const size = pyInt(rawSize);
    if (size === undefined) return 'invalid size_bytes';
    if (size < 1 && index !== count - 1) return 'too small; each segment must be at least 1 byte.';
    entry.sizeBytes = size;
  }
  if (`/${version}/${account}/${path.replace(/^\/+/, '')}` === reqPath) {
    return 'manifest must not include itself as a segment';
  }
  const range = seg['range'];
  if (isTruthy(range)) {
    const specs = typeof range === 'string' || typeof range === 'number' ? parseRange(`bytes=${String(range)}`) : undefined;
    if (specs === undefined) return 'invalid range';
    if (specs.length > 1) return 'multiple ranges (only one allowed)';
    // If the client told us the size we can check the range now; a lie is caught by the HEAD.
    if (entry.sizeBytes !== undefined && rangesForLength(specs, entry.sizeBytes).length !== 1) return 'unsatisfiable range';
    entry.range = specs[0]!;
  }
  out.push(entry);
  return undefined;
}

/** Python truthiness for JSON values. */
function isTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return true;
}

/** Python's int() on a JSON value: ints, floats (truncated), bools, and integer strings. */
function pyInt(v: unknown): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === 'string' && /^\s*[+-]?\d+(_\d+)*\s*$/.test(v)) return Number(v.trim().replace(/_/g, ''));
  return undefined;
}

function stripChar(s: string, ch: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s[a] === ch) a++;
  while (b > a && s[b - 1] === ch) b--;
  return s.slice(a, b);
}

/**
 * Swift's strict_b64decode: only the base64 alphabet (with '=' padding at the ends), and enough
 * padding for the data characters (excess padding is tolerated, as Python's decoder does).
 */
export function strictB64Decode(v: unknown): Buffer | undefined {
  if (typeof v !== 'string') return undefined;
  const core = stripChar(v, '=');
  if (!/^[A-Za-z0-9+/]*$/.test(core)) return undefined;
  const pad = v.length - v.replace(/=+$/, '').length;
  const rem = core.length % 4;
  if (rem === 1 || (rem === 2 && pad < 2) || (rem === 3 && pad < 1)) return undefined;
  return Buffer.from(core, 'base64');
}
