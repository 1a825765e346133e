/**
 * TempAuth's options, validated, and the settings derived from them (Swift's TempAuth.__init__ and
 * config_read_reseller_options).
 */
import { ConfigError } from '../../pipeline.js';
import { pyQuote } from '../../pyjson.js';

/** One user, as Swift's `user_<account>_<user> = <key> [group ...] [storage_url]`. */
export interface TempAuthUserConfig {
  account: string;
  user: string;
  key: string;
  /** `.admin` (owns the account), `.reseller_admin` (owns every account of the prefixes),
   * `.reseller_reader` (reads every account), or any plain group (for ACLs and require_group). */
  groups?: string[];
  /** Storage URL handed back; `$HOST` is replaced by the request's scheme://host. */
  url?: string;
}

export interface TempAuthOptions {
  users: TempAuthUserConfig[];
  /** One prefix or a list (the first is used for tokens and storage URLs). '_' is appended if missing. */
  reseller_prefix: string | string[];
  /** A group every owner must also have: one name for all prefixes, or per prefix ({SERVICE: 'service'}). */
  require_group: string | Record<string, string>;
  auth_prefix: string;
  /** Seconds a token lives (Swift's default 86400). */
  token_life: number;
  /** 'default' keeps the request's scheme; anything else replaces the storage URL's scheme. */
  storage_url_scheme: string;
  /** 'signed' (default): HMAC-signed tokens any process with the secret accepts (signed-tokens.ts);
   *  'memory': tokens in this process only (forced to 'signed' when workers > 1). */
  token_store: string;
  /** The HMAC key for signed tokens (>= 16 characters); '' derives or makes one (token-secret.ts). */
  token_secret: string;
}

export const TEMPAUTH_DEFAULTS: TempAuthOptions = {
  users: [],
  reseller_prefix: 'AUTH',
  require_group: '',
  auth_prefix: '/auth/',
  token_life: 86400,
  storage_url_scheme: 'default',
  token_store: 'signed',
  token_secret: '',
};

export interface TempAuthUser { key: string; url: string; groups: string[] }

export interface TempAuthSettings {
  prefixes: string[];
  /** The first prefix: tokens start with it, default storage URLs use it. */
  resellerPrefix: string;
  requireGroup: Map<string, string>;
  authPrefix: string;
  tokenLife: number;
  storageUrlScheme: string;
  /** "account:user" -> user. */
  users: Map<string, TempAuthUser>;
}

function appendUnderscore(p: string): string {
  return p && !p.endsWith('_') ? `${p}_` : p;
}

function key(k: string): string { return `middleware.tempauth.${k}`; }

export function validateOptions(o: TempAuthOptions): void {
  if (!Array.isArray(o.users)) throw new ConfigError(key('users'), 'must be a list');
  o.users.forEach((u, i) => {
    if (u === null || typeof u !== 'object') throw new ConfigError(key(`users[${i}]`), 'must be a mapping');
    for (const f of ['account', 'user', 'key'] as const) {
      if (typeof u[f] !== 'string' || !u[f]) throw new ConfigError(key(`users[${i}].${f}`), 'must be a non-empty string');
    }
    if (u.groups !== undefined && (!Array.isArray(u.groups) || !u.groups.every((g) => typeof g === 'string'))) {
      throw new ConfigError(key(`users[${i}].groups`), 'must be a list of strings');
    }
    if (u.url !== undefined && typeof u.url !== 'string') throw new ConfigError(key(`users[${i}].url`), 'must be a string');
  });
  const rp = o.reseller_prefix;
  if (typeof rp !== 'string' && !(Array.isArray(rp) && rp.every((p) => typeof p === 'string'))) {
    throw new ConfigError(key('reseller_prefix'), 'must be a string or a list of strings');
  }
  const rg = o.require_group;
  if (typeof rg !== 'string' && (rg === null || typeof rg !== 'object'
      || !Object.values(rg).every((g) => typeof g === 'string'))) {
    throw new ConfigError(key('require_group'), 'must be a group name or a mapping of prefix to group name');
  }
  if (typeof o.auth_prefix !== 'string') throw new ConfigError(key('auth_prefix'), 'must be a string');
  if (!Number.isFinite(o.token_life) || o.token_life <= 0) throw new ConfigError(key('token_life'), 'must be a positive number');
  if (typeof o.storage_url_scheme !== 'string') throw new ConfigError(key('storage_url_scheme'), 'must be a string');
  if (o.token_store !== 'signed' && o.token_store !== 'memory') throw new ConfigError(key('token_store'), 'must be "signed" or "memory"');
  if (typeof o.token_secret !== 'string' || (o.token_secret !== '' && o.token_secret.length < 16)) {
    throw new ConfigError(key('token_secret'), 'must be a string of at least 16 characters (or empty)');
  }
}

export function resolveSettings(o: TempAuthOptions): TempAuthSettings {
  const raw = typeof o.reseller_prefix === 'string' ? o.reseller_prefix.split(',') : o.reseller_prefix;
  const prefixes: string[] = [];
  for (let p of raw.map((s) => s.trim())) {
    if (p === "''") p = '';
    else if (!p) continue;
    p = appendUnderscore(p);
    if (!prefixes.includes(p)) prefixes.push(p);
  }
  if (prefixes.length === 0) prefixes.push('');
  const requireGroup = new Map<string, string>();
  for (const p of prefixes) {
    if (typeof o.require_group === 'string') {
      if (o.require_group) requireGroup.set(p, o.require_group);
    } else {
      const g = o.require_group[p] ?? o.require_group[p.replace(/_$/, '')] ?? (p === '' ? o.require_group["''"] : undefined);
      if (g) requireGroup.set(p, g);
    }
  }
  let authPrefix = o.auth_prefix;
  if (!authPrefix || !authPrefix.replace(/\//g, '')) authPrefix = '/auth/';
  if (!authPrefix.startsWith('/')) authPrefix = `/${authPrefix}`;
  if (!authPrefix.endsWith('/')) authPrefix += '/';
  const resellerPrefix = prefixes[0]!;
  const users = new Map<string, TempAuthUser>();
  for (const u of o.users) {
    users.set(`${u.account}:${u.user}`, {
      key: u.key,
      url: u.url ?? `$HOST/v1/${resellerPrefix}${pyQuote(u.account)}`,
      groups: [...(u.groups ?? [])],
    });
  }
  return { prefixes, resellerPrefix, requireGroup, authPrefix, tokenLife: o.token_life,
           storageUrlScheme: o.storage_url_scheme, users };
}

/** Which configured prefix an account belongs to ('' matches anything when configured), if any. */
export function accountPrefix(s: TempAuthSettings, account: string | undefined): string | undefined {
  if (account === undefined) return undefined;
  for (const p of s.prefixes) if (p !== '' && account.startsWith(p)) return p;
  return s.prefixes.includes('') ? '' : undefined;
}

/** Accounts whose name starts with '.' after the prefix are reserved (even reseller admins stay out). */
export function isDotAccount(s: TempAuthSettings, account: string): boolean {
  const p = accountPrefix(s, account);
  return p !== undefined && account[p.length] === '.';
}

/**
 * The groups a user's token carries (_get_user_groups): account, account:user, the user's groups;
 * `.admin` is replaced by every account id the user owns (one per non-empty prefix, plus the
 * account id of its storage URL).
 */
export function userGroups(s: TempAuthSettings, account: string, accountUser: string, accountId: string): string[] {
  const groups = [account, accountUser, ...s.users.get(accountUser)!.groups];
  const admin = groups.indexOf('.admin');
  if (admin >= 0) {
    groups.splice(admin, 1);
    for (const p of s.prefixes) if (p !== '') groups.push(`${p}${account}`);
    if (!groups.includes(accountId)) groups.push(accountId);
  }
  return groups;
}
