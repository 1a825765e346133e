/**
 * Swift's limits and input checks (swift/common/constraints.py), in one place. Limits can be overridden
 * from config (`constraints:`) the way swift.conf's [swift-constraints] overrides them; /info publishes them.
 * Lengths are byte lengths of the UTF-8 encoding, as in Swift.
 */
import { httpError } from './errors.js';
import type { SwiftRequest } from './http.js';

export interface Constraints {
  max_file_size: number;
  max_meta_name_length: number;
  max_meta_value_length: number;
  max_meta_count: number;
  max_meta_overall_size: number;
  max_header_size: number;
  max_object_name_length: number;
  container_listing_limit: number;
  account_listing_limit: number;
  max_account_name_length: number;
  max_container_name_length: number;
  extra_header_count: number;
  valid_api_versions: string[];
}

export const DEFAULT_CONSTRAINTS: Constraints = {
  max_file_size: 5368709122,
  max_meta_name_length: 128,
  max_meta_value_length: 256,
  max_meta_count: 90,
  max_meta_overall_size: 4096,
  max_header_size: 8192,
  max_object_name_length: 1024,
  container_listing_limit: 10000,
  account_listing_limit: 10000,
  max_account_name_length: 256,
  max_container_name_length: 256,
  extra_header_count: 0,
  valid_api_versions: ['v1', 'v1.0'],
};

export function byteLength(s: string): number { return Buffer.byteLength(s, 'utf8'); }

/** Valid UTF-8 (JS strings from our decoder always are, unless they carry U+FFFD from bad bytes) and no NUL. */
export function isValidUtf8Name(s: string): boolean {
  return !s.includes('\0') && !s.includes('\ufffd') && !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Header values arrive as latin-1 strings of the raw bytes; this re-reads them as UTF-8 (undefined if invalid). */
export function headerToUtf8(value: string): string | undefined {
  if (/^[\x00-\x7f]*$/.test(value)) return value;
  try { return strictUtf8.decode(Buffer.from(value, 'latin1')); } catch { return undefined; }
}

/**
 * Check X-<type>-Meta-* headers of a request (Swift's check_metadata). Throws 400 with Swift's message.
 * Removal headers (X-Remove-*) and empty values count toward no limit beyond the name check.
 */
export function checkMetadata(req: SwiftRequest, type: 'account' | 'container' | 'object', c: Constraints): void {
  const prefix = `x-${type}-meta-`;
  let count = 0;
  let size = 0;
  for (const [name, rawValue] of Object.entries(req.headers)) {
    if (!name.startsWith(prefix)) continue;
    const key = name.slice(prefix.length);
    if (!key) throw httpError(400, 'Metadata name cannot be empty');
    const value = rawValue;
    if (type !== 'object' && headerToUtf8(value) === undefined) throw httpError(400, 'Metadata must be valid UTF-8');
    count += 1;
    const keyLen = Buffer.byteLength(key, 'latin1');
    const valueLen = Buffer.byteLength(value, 'latin1');
    size += keyLen + valueLen;
    if (keyLen > c.max_meta_name_length) {
      throw httpError(400, `Metadata name too long: ${prefix}${key}`);
    }
    if (valueLen > c.max_meta_value_length) {
      throw httpError(400, `Metadata value longer than ${c.max_meta_value_length}: ${prefix}${key}`);
    }
    if (count > c.max_meta_count) throw httpError(400, `Too many metadata items; max ${c.max_meta_count}`);
    if (size > c.max_meta_overall_size) {
      throw httpError(400, `Total metadata too large; max ${c.max_meta_overall_size}`);
    }
  }
}

/** Content-Length as a number; undefined when absent; 400 when malformed (Swift: 'Invalid Content-Length'). */
export function contentLength(req: SwiftRequest): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw httpError(400, 'Invalid Content-Length');
  return Number(v.trim());
}

/** True when the body is sent with chunked transfer coding; 501 for other transfer codings (Swift). */
export function isChunked(req: SwiftRequest): boolean {
  const te = req.headers['transfer-encoding'];
  if (te === undefined) return false;
  const codings = te.split(',').map((s) => s.trim().toLowerCase());
  if (codings[codings.length - 1] !== 'chunked') throw httpError(501, 'Not Implemented');
  if (codings.some((c) => c !== 'chunked' && c !== 'identity')) throw httpError(501, 'Not Implemented');
  return true;
}

/** Swift's check_object_creation, minus metadata (see checkMetadata) and content-type defaulting. */
export function checkObjectCreation(req: SwiftRequest, objectName: string, c: Constraints): { length?: number } {
  const chunked = isChunked(req);
  const length = chunked ? undefined : contentLength(req);
  if (length !== undefined && length > c.max_file_size) throw httpError(413, 'Your request is too large.');
  if (length === undefined && !chunked) throw httpError(411, 'Missing Content-Length header.');
  if (req.headers['x-copy-from'] !== undefined && length) {
    throw httpError(400, 'Copy requests require a zero byte body');
  }
  const nameLen = byteLength(objectName);
  if (nameLen > c.max_object_name_length) {
    throw httpError(400, `Object name length of ${nameLen} longer than ${c.max_object_name_length}`);
  }
  const ct = req.headers['content-type'];
  if (ct !== undefined && headerToUtf8(ct) === undefined) throw httpError(400, 'Invalid Content-Type');
  return length === undefined ? {} : { length };
}

/** Container name limits (Swift's proxy checks in the container controller). */
export function checkContainerName(name: string, c: Constraints): void {
  const len = byteLength(name);
  if (len > c.max_container_name_length) {
    throw httpError(400, `Container name length of ${len} longer than ${c.max_container_name_length}`);
  }
}

export function checkAccountName(name: string, c: Constraints): void {
  const len = byteLength(name);
  if (len > c.max_account_name_length) {
    throw httpError(400, `Account name length of ${len} longer than ${c.max_account_name_length}`);
  }
}
