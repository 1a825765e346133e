/**
 * Header <-> metadata mapping for accounts and containers (Swift's Controller.transfer_headers on the
 * way in, the account/container servers' response headers on the way out), and the metadata checks
 * Swift makes in the proxy (check_metadata) and in the databases (validate_metadata).
 *
 * Metadata keys in the store are lower-case header names ("x-container-meta-color"); values are
 * real Unicode strings. Node hands us header values as latin-1 strings of the raw bytes, and will
 * only send latin-1 strings, so values are converted at both edges (`fromHeader` / `toHeader`).
 */
import type { Metadata, MetadataUpdate } from '../storage/store.js';
import type { Constraints } from './constraints.js';
import { checkMetadata, headerToUtf8 } from './constraints.js';
import { httpError } from './errors.js';
import type { SwiftRequest } from './http.js';

export type MetaTarget = 'account' | 'container';

/**
 * Headers only the account owner may see or set (Swift's default swift_owner_headers). They are
 * dropped from responses and from container PUT/POST requests when ctx.swiftOwner is false.
 */
export const SWIFT_OWNER_HEADERS: readonly string[] = [
  'x-container-read', 'x-container-write', 'x-container-sync-key', 'x-container-sync-to',
  'x-account-meta-temp-url-key', 'x-account-meta-temp-url-key-2',
  'x-container-meta-temp-url-key', 'x-container-meta-temp-url-key-2', 'x-account-access-control',
];

/**
 * Container settings stored verbatim besides user metadata and sysmeta (Swift's container server
 * save_headers, plus the versioning locations, which Cairn keeps as plain container metadata for the
 * versioning middleware to read).
 */
export const CONTAINER_SAVED_HEADERS: readonly string[] = [
  'x-container-read', 'x-container-write', 'x-container-sync-key', 'x-container-sync-to',
  'x-versions-location', 'x-history-location',
];

/** The value of a raw header as Unicode (invalid UTF-8 is kept byte-for-byte as latin-1). */
export function fromHeader(raw: string): string {
  return headerToUtf8(raw) ?? raw;
}

/** A Unicode value as the latin-1 byte string Node writes to the wire (UTF-8 bytes). */
export function toHeader(value: string): string {
  return /^[\x00-\x7f]*$/.test(value) ? value : Buffer.from(value, 'utf8').toString('latin1');
}

function isUserMeta(type: string, key: string): boolean {
  const p = `x-${type}-meta-`;
  return key.length > p.length && key.startsWith(p);
}

function isSysMeta(type: string, key: string): boolean {
  const p = `x-${type}-sysmeta-`;
  return key.length > p.length && key.startsWith(p);
}

/** True for keys the store keeps for this target type (user meta, sysmeta, saved settings). */
export function isStoredKey(type: MetaTarget, key: string): boolean {
  if (isUserMeta(type, key) || isSysMeta(type, key)) return true;
  return type === 'container' && CONTAINER_SAVED_HEADERS.includes(key);
}

/**
 * The metadata change a PUT/POST asks for (transfer_headers): `X-Remove-<Type>-Meta-Foo` and the
 * container's `X-Remove-Container-Read` etc. map to '' (remove), then explicitly given values win;
 * an empty value also removes (the store's rule for '').
 */
export function metadataUpdate(req: SwiftRequest, type: MetaTarget): MetadataUpdate {
  const update: MetadataUpdate = {};
  const removePrefix = `x-remove-${type}-meta-`;
  for (const name of Object.keys(req.headers)) {
    if (name.startsWith(removePrefix) && name.length > removePrefix.length) {
      update[`x-${type}-meta-${name.slice(removePrefix.length)}`] = '';
    } else if (type === 'container' && name.startsWith('x-remove-')) {
      const target = `x-${name.slice('x-remove-'.length)}`;
      if (CONTAINER_SAVED_HEADERS.includes(target)) update[target] = '';
    }
  }
  for (const [name, raw] of Object.entries(req.headers)) {
    if (isStoredKey(type, name)) update[name] = fromHeader(raw).trim();
  }
  return update;
}

/** The stored metadata as response headers: non-empty values of stored keys, latin-1 encoded. */
export function metadataHeaders(type: MetaTarget, meta: Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (v !== '' && isStoredKey(type, k)) out[k] = toHeader(v);
  }
  return out;
}

/**
 * Swift's proxy check_metadata: any header value over max_header_size, then the X-<Type>-Meta-*
 * limits of this request. Throws 400 (text/plain, Swift's messages).
 */
export function checkRequestMetadata(req: SwiftRequest, type: MetaTarget, c: Constraints): void {
  for (const [k, v] of Object.entries(req.headers)) {
    if (v.length > c.max_header_size) {
      throw httpError(400, `Header value too long: ${k.slice(0, c.max_meta_name_length)}`,
                      { 'content-type': 'text/plain' });
    }
  }
  try {
    checkMetadata(req, type, c);
  } catch (err) {
    // Same status and message; Swift sends these as text/plain.
    if (err instanceof Error && 'status' in err && (err as { status: number }).status === 400) {
      // Swift names the header as WSGI re-spells it: the prefix as written, the rest title-cased.
      const m = /^(Metadata (?:name too long|value longer than \d+): x-[a-z]+-meta-)(.*)$/s.exec(err.message);
      const msg = m ? m[1]! + pyTitle(m[2]!) : err.message;
      throw httpError(400, msg, { 'content-type': 'text/plain' });
    }
    throw err;
  }
}

/** Python's str.title(): upper after every non-letter, lower elsewhere. */
function pyTitle(s: string): string {
  let out = '';
  let prevLetter = false;
  for (const ch of s) {
    const letter = ch.toLowerCase() !== ch.toUpperCase();
    out += letter ? (prevLetter ? ch.toLowerCase() : ch.toUpperCase()) : ch;
    prevLetter = letter;
  }
  return out;
}

/**
 * Swift's DatabaseBroker.validate_metadata on the metadata as it would be after `update`: the
 * count and total size limits apply to everything stored, not just this request.
 */
export function validateMergedMetadata(type: MetaTarget, existing: Metadata, update: MetadataUpdate,
                                       c: Constraints): void {
  const merged: Metadata = { ...existing, ...update };
  const prefix = `x-${type}-meta-`;
  let count = 0;
  let size = 0;
  for (const [k, v] of Object.entries(merged)) {
    if (!v || !k.startsWith(prefix)) continue;
    count += 1;
    size += Buffer.byteLength(k.slice(prefix.length)) + Buffer.byteLength(v);
  }
  if (count > c.max_meta_count) throw httpError(400, `Too many metadata items; max ${c.max_meta_count}`);
  if (size > c.max_meta_overall_size) throw httpError(400, `Total metadata too large; max ${c.max_meta_overall_size}`);
}

/** Remove owner-only headers from a header map in place (responses and non-owner requests). */
export function stripOwnerHeaders(headers: Record<string, string>): void {
  for (const h of SWIFT_OWNER_HEADERS) delete headers[h];
}
