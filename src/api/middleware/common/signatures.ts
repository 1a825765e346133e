/**
 * HMAC signatures shared by tempurl and formpost (Swift's get_hmac, extract_digest_and_algorithm,
 * streq_const_time and get_tempurl_keys_from_metadata).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '../../../storage/store.js';

export type DigestName = 'sha1' | 'sha256' | 'sha512';
export const SUPPORTED_DIGESTS: readonly DigestName[] = ['sha1', 'sha256', 'sha512'];

const HEX_LENGTHS: Record<number, DigestName> = { 40: 'sha1', 64: 'sha256', 128: 'sha512' };

/**
 * Split a signature into (algorithm, lower-case hex digest), as Swift 2.30 accepts it:
 * - plain hex, whose length names the algorithm (40 sha1, 64 sha256, 128 sha512);
 * - `<algo>:<base64>`, standard or URL-safe base64, padding optional.
 * Returns undefined for anything else (the caller answers 401).
 */
export function parseSignature(sig: string): { algorithm: string; hex: string } | undefined {
  const colon = sig.indexOf(':');
  if (colon >= 0) {
    const algorithm = sig.slice(0, colon);
    let b64 = sig.slice(colon + 1);
    if (/[-_]/.test(b64) && !/[+/]/.test(b64)) b64 = b64.replace(/-/g, '+').replace(/_/g, '/');
    // Swift's strict_b64decode: only the base64 alphabet, and a length that decodes exactly.
    const unpadded = b64.replace(/=+$/, '');
    if (!/^[A-Za-z0-9+/]*$/.test(unpadded) || unpadded.length % 4 === 1) return undefined;
    const hex = Buffer.from(unpadded, 'base64').toString('hex');
    if (!hex) return undefined;
    return { algorithm, hex };
  }
  if (!/^[0-9a-fA-F]*$/.test(sig)) return undefined;
  const algorithm = HEX_LENGTHS[sig.length];
  return algorithm ? { algorithm, hex: sig.toLowerCase() } : undefined;
}

/** Hex HMAC of `body` with `key` (keys and bodies are UTF-8, as Swift encodes them). */
export function hmacHex(algorithm: DigestName, key: string, body: string): string {
  return createHmac(algorithm, Buffer.from(key, 'utf8')).update(Buffer.from(body, 'utf8')).digest('hex');
}

/** Constant-time comparison of two strings (Swift's streq_const_time); unequal lengths are unequal. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  if (x.length !== y.length) {
    // Still spend the comparison so a wrong length costs the same as a wrong digest.
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}

/**
 * TempURL keys from account or container metadata (keyed by lower-case header names):
 * X-{Account,Container}-Meta-Temp-URL-Key and -Key-2.
 */
export function tempUrlKeys(metadata: Metadata | undefined, scope: 'account' | 'container'): string[] {
  if (!metadata) return [];
  const out: string[] = [];
  for (const suffix of ['temp-url-key', 'temp-url-key-2']) {
    const v = metadata[`x-${scope}-meta-${suffix}`];
    if (v !== undefined && v !== '') out.push(v);
  }
  return out;
}

/** Normalise a configured digest list (string of names or array) to the supported, sorted set. */
export function allowedDigests(value: unknown, key: string, fail: (key: string, msg: string) => never): DigestName[] {
  const names = (Array.isArray(value) ? value.map(String) : String(value).split(/[\s,]+/))
    .map((s) => s.trim().toLowerCase()).filter(Boolean);
  const ok = [...new Set(names.filter((n): n is DigestName => (SUPPORTED_DIGESTS as string[]).includes(n)))].sort();
  if (ok.length === 0) fail(key, 'no valid digest algorithms are configured');
  return ok;
}
