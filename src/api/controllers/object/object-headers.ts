/**
 * Object headers <-> store attributes (what Swift's object server keeps in its metadata and sends
 * back on GET/HEAD).
 *
 * Stored, per object version:
 * - `metadata` (replaced wholesale by POST): X-Object-Meta-*, X-Object-Transient-Sysmeta-*, and the
 *   object server's allowed_headers: Content-Disposition, Content-Encoding, X-Object-Manifest,
 *   Cache-Control, Content-Language, Expires, X-Robots-Tag.
 * - `systemMetadata` (set at PUT, kept by POST): X-Object-Sysmeta-* and X-Static-Large-Object
 *   (Swift's DATAFILE_SYSTEM_META: a POST cannot change it).
 * - `contentType`, and X-Delete-At as `deleteAt`.
 *
 * Keys are lower-case header names. Values are Unicode strings: Node hands header values over as
 * latin-1 strings of the raw bytes, so they are decoded as UTF-8 on the way in (bytes that are not
 * UTF-8 are kept as latin-1 characters) and encoded back on the way out.
 */
import type { Metadata, ObjectInfo } from '../../../storage/store.js';
import { toHttpDate } from '../../../storage/timestamp.js';
import { fromHeader, toHeader } from '../../headers.js';

/** Request headers the object server stores verbatim and POST replaces (Swift's allowed_headers). */
export const OBJECT_ALLOWED_HEADERS: readonly string[] = [
  'content-disposition', 'content-encoding', 'x-object-manifest', 'cache-control', 'content-language',
  'expires', 'x-robots-tag',
];

/** Stored at PUT time and kept through POST (Swift's DATAFILE_SYSTEM_META). */
export const DATAFILE_SYSTEM_HEADERS: readonly string[] = ['x-static-large-object'];

const USER_META = 'x-object-meta-';
const SYSMETA = 'x-object-sysmeta-';
const TRANSIENT_SYSMETA = 'x-object-transient-sysmeta-';

function hasPrefix(key: string, prefix: string): boolean {
  return key.length > prefix.length && key.startsWith(prefix);
}

/** True for keys POST replaces (user metadata, transient sysmeta, allowed headers). */
export function isPostReplaceable(key: string): boolean {
  return hasPrefix(key, USER_META) || hasPrefix(key, TRANSIENT_SYSMETA) || OBJECT_ALLOWED_HEADERS.includes(key);
}

/** True for keys stored at PUT time only (sysmeta, X-Static-Large-Object). */
export function isDatafileSystem(key: string): boolean {
  return hasPrefix(key, SYSMETA) || DATAFILE_SYSTEM_HEADERS.includes(key);
}

/** The POST-replaceable metadata a request carries (for PUT and POST alike). */
export function metadataFromRequest(headers: Record<string, string>): Metadata {
  const meta: Metadata = {};
  for (const [key, value] of Object.entries(headers)) {
    if (isPostReplaceable(key)) meta[key] = fromHeader(value);
  }
  return meta;
}

/** The system metadata a PUT request carries (only middlewares can send it: gatekeeper strips it). */
export function systemMetadataFromRequest(headers: Record<string, string>): Metadata {
  const meta: Metadata = {};
  for (const [key, value] of Object.entries(headers)) {
    if (isDatafileSystem(key)) meta[key] = fromHeader(value);
  }
  return meta;
}

/** Swift's clean_content_type: drop a trailing ";swift_bytes=N" parameter. */
export function cleanContentType(value: string): string {
  const semi = value.lastIndexOf(';');
  if (semi >= 0 && value.slice(semi + 1).trimStart().startsWith('swift_bytes=')) return value.slice(0, semi);
  return value;
}

/** X-Delete-At as Swift writes it: ten digits, zero-padded (normalize_delete_at_timestamp). */
export function formatDeleteAt(deleteAt: number): string {
  return String(Math.min(Math.max(0, Math.floor(deleteAt)), 9999999999)).padStart(10, '0');
}

/** X-Timestamp as Swift shows it to clients: the normal form, without an offset. */
export function normalTimestamp(ts: string): string {
  return ts.slice(0, 16);
}

/** Last-Modified in whole unix seconds (the timestamp rounded up, as Swift's Timestamp.ceil()). */
export function lastModifiedSeconds(info: ObjectInfo): number {
  return Math.ceil(Number(info.timestamp.slice(0, 16)));
}

/**
 * The headers of a GET/HEAD (and of its 304/412/416) for this version, without Content-Length:
 * Content-Type, Etag (unquoted: Swift's proxy strips the object server's quotes), Last-Modified,
 * X-Timestamp, Accept-Ranges, X-Delete-At, the stored metadata and system metadata (the
 * gatekeeper removes sysmeta and X-Backend-* before the client sees them).
 */
export function objectResponseHeaders(info: ObjectInfo): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(info.systemMetadata)) headers[k] = toHeader(v);
  for (const [k, v] of Object.entries(info.metadata)) headers[k] = toHeader(v);
  headers['content-type'] = toHeader(cleanContentType(info.contentType));
  headers['etag'] = info.etag;
  headers['last-modified'] = toHttpDate(info.timestamp);
  headers['x-timestamp'] = normalTimestamp(info.timestamp);
  headers['x-backend-timestamp'] = info.timestamp;
  headers['x-backend-data-timestamp'] = info.dataTimestamp;
  headers['accept-ranges'] = 'bytes';
  if (info.deleteAt !== undefined) headers['x-delete-at'] = formatDeleteAt(info.deleteAt);
  return headers;
}

/**
 * Look up a header-named item of the object (metadata or system metadata), as Swift's object server
 * does for X-Backend-Etag-Is-At and X-Backend-Ignore-Range-If-Metadata-Present.
 */
export function objectItem(info: ObjectInfo, name: string): string | undefined {
  const key = name.trim().toLowerCase();
  return info.metadata[key] ?? info.systemMetadata[key];
}
