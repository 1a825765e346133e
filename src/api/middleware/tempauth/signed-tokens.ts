/**
 * Signed tokens: a TokenStore that keeps nothing to look up. A token carries what it stands for
 * (account, user, groups, expiry) and an HMAC-SHA256 over it, so any process holding the same secret
 * accepts it: every `cairn serve --workers N` worker, and gateways on other hosts sharing the config.
 * That is what lets gateways scale out without Swift's memcache.
 *
 * Format (the `tk` after the reseller prefix kept, as Swift clients and logs expect):
 *
 *   <prefix>tk<payload>.<mac>
 *   payload = base64url(JSON [account, user, groups, expires])
 *   mac     = base64url(HMAC-SHA256(secret, "<prefix>tk<payload>"))
 *
 * The MAC covers the prefix too, so a token cannot be moved to another reseller prefix. Verification
 * compares MACs in constant time and enforces the expiry. Tokens cannot be revoked before they expire
 * except by changing the secret (which revokes all of them), as with any bearer token that is not stored.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { TokenRecord, TokenStore } from './tokens.js';

/** Longer tokens are refused before any work (a client cannot make us hash megabytes). */
const MAX_TOKEN_LENGTH = 4096;
const MAC_BYTES = 32;

export class SignedTokenStore implements TokenStore {
  /** The last token issued by this process per user: handed out again while it lives, as Swift does. */
  private readonly lastIssued: LRUCache<string, string>;
  /**
   * Tokens already verified, with their records: every request carries its token, and an HMAC, a
   * base64 decode and a JSON parse per request cost more than a lookup. Safe because a verified token
   * stays valid until its expiry (checked on every hit) and nothing revokes it before (see above).
   */
  private readonly verified = new LRUCache<string, TokenRecord>({ max: 10_000 });

  /**
   * @param prefix the reseller prefix tokens start with (e.g. "AUTH_")
   * @param secret the HMAC key, shared by every process that must accept the tokens (>= 16 bytes)
   */
  constructor(private readonly prefix: string, private readonly secret: Buffer, max = 100_000) {
    if (secret.length < 16) throw new RangeError('token secret must be at least 16 bytes');
    this.lastIssued = new LRUCache<string, string>({ max });
  }

  async lookup(token: string): Promise<TokenRecord | undefined> {
    const now = Date.now() / 1000;
    const known = this.verified.get(token);
    if (known) {
      if (known.expires > now) return { expires: known.expires, groups: [...known.groups] }; // callers may not share it
      this.verified.delete(token);
      return undefined;
    }
    const record = this.verify(token, now);
    if (record) this.verified.set(token, { expires: record.expires, groups: [...record.groups] });
    return record;
  }

  async userToken(accountUser: string): Promise<string | undefined> {
    return this.lastIssued.get(accountUser);
  }

  async issue(accountUser: string, groups: string[], lifeSeconds: number): Promise<{ token: string; expires: number }> {
    const colon = accountUser.indexOf(':');
    const account = colon < 0 ? accountUser : accountUser.slice(0, colon);
    const user = colon < 0 ? '' : accountUser.slice(colon + 1);
    // Millisecond precision is plenty and keeps the payload short.
    const expires = Math.round((Date.now() / 1000 + lifeSeconds) * 1000) / 1000;
    const payload = Buffer.from(JSON.stringify([account, user, groups, expires])).toString('base64url');
    const signed = `${this.prefix}tk${payload}`;
    const token = `${signed}.${this.mac(signed).toString('base64url')}`;
    this.lastIssued.set(accountUser, token, { ttl: Math.max(1, Math.ceil(lifeSeconds * 1000)) });
    return { token, expires };
  }

  /** The record of a well-formed, authentic, unexpired token at `now` (unix seconds); else undefined. */
  verify(token: string, now: number): TokenRecord | undefined {
    const head = `${this.prefix}tk`;
    if (token.length > MAX_TOKEN_LENGTH || !token.startsWith(head)) return undefined;
    const dot = token.lastIndexOf('.');
    if (dot <= head.length) return undefined;
    const signed = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    // Only the length can leak here, and every genuine MAC has the same one.
    if (given.length !== MAC_BYTES || !timingSafeEqual(given, this.mac(signed))) return undefined;
    const record = parsePayload(signed.slice(head.length));
    if (!record || !(record.expires > now)) return undefined;
    return record;
  }

  private mac(data: string): Buffer {
    return createHmac('sha256', this.secret).update(data).digest();
  }
}

/** The payload of a token whose MAC checked out; undefined if it is not what `issue` writes. */
function parsePayload(b64: string): TokenRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(b64, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 4) return undefined;
  const [account, user, groups, expires] = value as unknown[];
  if (typeof account !== 'string' || typeof user !== 'string' || typeof expires !== 'number'
      || !Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) return undefined;
  return { expires, groups: groups as string[] };
}
