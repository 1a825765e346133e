/**
 * Where TempAuth keeps its tokens (Swift keeps them in memcache under "<prefix>/token/<token>" and
 * "<prefix>/user/<account:user>"). Behind a small interface so a multi-process deployment can swap
 * the in-process LRU for a shared or signed-token store without touching the middleware.
 */
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** What a token stands for. */
export interface TokenRecord {
  /** Unix seconds after which the token is no longer valid. */
  expires: number;
  /** Swift's groups string as a list: account, account:user, the user's groups, owned account ids. */
  groups: string[];
}

export interface TokenStore {
  /** The record of a live token, or undefined (unknown or expired). */
  lookup(token: string): Promise<TokenRecord | undefined>;
  /** The last token issued to `accountUser` (it may have expired). */
  userToken(accountUser: string): Promise<string | undefined>;
  /** Mint a new token ("<prefix>tk<32 hex>") for the user, valid for `lifeSeconds`. */
  issue(accountUser: string, groups: string[], lifeSeconds: number): Promise<{ token: string; expires: number }>;
}

/** In-process tokens in an LRU cache whose entries expire with the token (as memcache's time=). */
export class LruTokenStore implements TokenStore {
  private readonly tokens: LRUCache<string, TokenRecord>;
  private readonly users: LRUCache<string, string>;

  constructor(private readonly prefix: string, max = 100_000) {
    this.tokens = new LRUCache<string, TokenRecord>({ max, ttlAutopurge: false });
    this.users = new LRUCache<string, string>({ max, ttlAutopurge: false });
  }

  async lookup(token: string): Promise<TokenRecord | undefined> {
    const rec = this.tokens.get(token);
    if (!rec || rec.expires < Date.now() / 1000) return undefined;
    return rec;
  }

  async userToken(accountUser: string): Promise<string | undefined> {
    return this.users.get(accountUser);
  }

  async issue(accountUser: string, groups: string[], lifeSeconds: number): Promise<{ token: string; expires: number }> {
    const token = `${this.prefix}tk${randomUUID().replace(/-/g, '')}`;
    const expires = Date.now() / 1000 + lifeSeconds;
    const ttl = Math.max(1, Math.ceil(lifeSeconds * 1000));
    this.tokens.set(token, { expires, groups: [...groups] }, { ttl });
    this.users.set(accountUser, token, { ttl });
    return { token, expires };
  }
}
