/**
 * The SLO manifest as stored (the body of the manifest object), Swift's format exactly:
 *
 *   [{"name": "/c/o", "bytes": 1048576, "hash": "<md5>", "content_type": "...",
 *     "last_modified": "2024-01-02T03:04:05.000000"[, "range": "0-99"][, "sub_slo": true]},
 *    {"data": "<base64>"}, ...]
 *
 * and what is derived from it: each segment's length, the SLO etag (MD5 of the segments' etags, a
 * ranged one as "etag:range;", inline data as the MD5 of the data), and the `format=raw` form that
 * can be PUT back with multipart-manifest=put.
 */
import { createHash } from 'node:crypto';
import { pyDumps } from '../../pyjson.js';

export const SYSMETA_SLO_ETAG = 'x-object-sysmeta-slo-etag';
export const SYSMETA_SLO_SIZE = 'x-object-sysmeta-slo-size';
export const OVERRIDE_ETAG = 'x-object-sysmeta-container-update-override-etag';
export const OVERRIDE_SIZE = 'x-object-sysmeta-container-update-override-size';

/** One stored manifest entry (object-backed or inline data). */
export interface StoredSegment {
  name?: string;
  bytes?: number;
  hash?: string;
  content_type?: string;
  last_modified?: string;
  range?: string;
  sub_slo?: boolean;
  data?: string;
}

/** A stored entry decoded for reading: inline data as bytes, the range parsed, the length known. */
export interface SloSegment {
  /** "/container/object" (absent for inline data). */
  name?: string;
  hash?: string;
  /** Size of the whole referenced object. */
  bytes: number;
  /** Inclusive range within the referenced object, as stored ("N-M"). */
  range?: { start: number; end: number; text: string };
  subSlo: boolean;
  raw?: Buffer;
  /** Bytes this entry contributes to the large object. */
  length: number;
}

/** Parse a stored manifest body; invalid JSON reads as no segments (Swift 2.30's _get_manifest_read). */
export function parseStoredManifest(body: Buffer): StoredSegment[] {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return Array.isArray(parsed) ? (parsed as StoredSegment[]) : [];
  } catch {
    return [];
  }
}

/** swift_bytes=N in a content type overrides the size (override_bytes_from_content_type). */
function swiftBytes(contentType: string | undefined): number | undefined {
  const m = /;\s*swift_bytes=(\d+)/.exec(contentType ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Decode stored entries for reading. A malformed entry is an internal error (Swift raises too). */
export function annotate(stored: StoredSegment[]): SloSegment[] {
  return stored.map((s) => {
    if (typeof s !== 'object' || s === null) throw new Error('malformed SLO manifest entry');
    if (typeof s.data === 'string') {
      const raw = Buffer.from(s.data, 'base64');
      return { bytes: raw.length, subSlo: false, raw, length: raw.length };
    }
    const subSlo = s.sub_slo === true || (typeof s.sub_slo === 'string' && /^(true|1|yes|on|t|y)$/i.test(s.sub_slo));
    let bytes = Number(s.bytes);
    if (subSlo) bytes = swiftBytes(s.content_type) ?? bytes;
    if (!Number.isFinite(bytes) || typeof s.name !== 'string') throw new Error('malformed SLO manifest entry');
    const seg: SloSegment = { name: s.name, bytes, subSlo, length: bytes };
    if (typeof s.hash === 'string') seg.hash = s.hash;
    if (typeof s.range === 'string' && s.range) {
      const [a, b] = s.range.split('-').map(Number) as [number, number];
      seg.range = { start: a, end: b, text: s.range };
      seg.length = b - a + 1;
    }
    return seg;
  });
}

/** The SLO etag of a manifest (hex MD5, unquoted). */
export function sloEtag(entries: Array<{ data?: string; hash?: string; range?: string; raw?: Buffer }>): string {
  const md5 = createHash('md5');
  for (const e of entries) {
    if (e.raw !== undefined) md5.update(createHash('md5').update(e.raw).digest('hex'), 'latin1');
    else if (typeof e.data === 'string') md5.update(createHash('md5').update(Buffer.from(e.data, 'base64')).digest('hex'), 'latin1');
    else if (e.range) md5.update(`${e.hash}:${e.range};`, 'utf8');
    else md5.update(e.hash ?? '', 'utf8');
  }
  return md5.digest('hex');
}

/** The etag and size of a manifest computed from its segments (for manifests without SLO sysmeta). */
export function computedAttrs(segments: SloSegment[]): { etag: string; size: number } {
  return {
    etag: sloEtag(segments.map((s) => ({ ...(s.raw ? { raw: s.raw } : {}), ...(s.hash !== undefined ? { hash: s.hash } : {}),
                                          ...(s.range ? { range: s.range.text } : {}) }))),
    size: segments.reduce((n, s) => n + s.length, 0),
  };
}

/**
 * The manifest as the client PUT it (multipart-manifest=get&format=raw): name/bytes/hash renamed to
 * path/size_bytes/etag, content_type/last_modified/sub_slo dropped, keys sorted (json.dumps
 * sort_keys=True).
 */
export function toRawManifest(stored: StoredSegment[]): Buffer {
  const out = stored.map((s) => {
    if (typeof s !== 'object' || s === null || 'data' in s) return s;
    const { name, bytes, hash, content_type: _ct, last_modified: _lm, sub_slo: _sub, ...rest } = s;
    return { ...rest, path: name ?? null, size_bytes: bytes ?? null, etag: hash ?? null };
  });
  return Buffer.from(pyDumps(out, { sortKeys: true }), 'utf8');
}
