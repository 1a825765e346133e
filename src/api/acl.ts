/**
 * Swift's ACL syntax (swift/common/middleware/acl.py), shared by every auth middleware.
 *
 * Version 1 (container X-Container-Read / X-Container-Write): a comma list of groups/users and
 * referrer designations `.r:[-]host` (`.r:*`, `.r:.example.com`, `.r:-bad.example.com`) plus
 * `.rlistings`. Version 2 (account X-Account-Access-Control): a JSON object
 * `{"admin": [...], "read-write": [...], "read-only": [...]}` kept in account sysmeta
 * `x-account-sysmeta-core-access-control`.
 */
import { pyDumps, pyRepr } from './pyjson.js';

/** The sysmeta key the account ACL is stored under. */
export const ACCOUNT_ACL_SYSMETA = 'x-account-sysmeta-core-access-control';

/** Thrown by cleanAcl with Swift's message (the container controller answers 400 with it). */
export class AclError extends Error {}

/**
 * Swift's clean_acl: normalise a v1 ACL header ("bob , sue" -> "bob,sue", ".ref:*.x.com" ->
 * ".r:.x.com") and reject referrers in write ACLs, empty referrer values and unknown designators.
 */
export function cleanAcl(name: string, value: string): string {
  const lname = name.toLowerCase();
  const values: string[] = [];
  for (let raw of value.split(',')) {
    raw = raw.trim();
    if (!raw) continue;
    if (!raw.includes(':')) { values.push(raw); continue; }
    const idx = raw.indexOf(':');
    const first = raw.slice(0, idx).trim();
    let second = raw.slice(idx + 1).trim();
    if (!first || first[0] !== '.') {
      values.push(raw);
    } else if (['.r', '.ref', '.referer', '.referrer'].includes(first)) {
      if (lname.includes('write')) throw new AclError(`Referrers not allowed in write ACL: ${pyRepr(raw)}`);
      let negate = false;
      if (second && second[0] === '-') { negate = true; second = second.slice(1).trim(); }
      if (second && second !== '*' && second[0] === '*') second = second.slice(1).trim();
      if (!second || second === '.') {
        throw new AclError(`No host/domain value after referrer designation in ACL: ${pyRepr(raw)}`);
      }
      values.push(`.r:${negate ? '-' : ''}${second}`);
    } else {
      throw new AclError(`Unknown designator ${pyRepr(first)} in ACL: ${pyRepr(raw)}`);
    }
  }
  return values.join(',');
}

/** Swift's parse_acl_v1: (referrers without '.r:', groups). */
export function parseAclV1(acl: string | undefined): { referrers: string[]; groups: string[] } {
  const referrers: string[] = [];
  const groups: string[] = [];
  if (acl) {
    for (const v of acl.split(',')) {
      if (v.startsWith('.r:')) referrers.push(v.slice(3));
      else groups.push(v);
    }
  }
  return { referrers, groups };
}

/** Swift's parse_acl_v2: undefined for absent or non-object JSON, {} for ''. */
export function parseAclV2(data: string | undefined): Record<string, unknown> | undefined {
  if (data === undefined) return undefined;
  if (data === '') return {};
  try {
    const v: unknown = JSON.parse(data);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/** Swift's format_acl_v2: compact, sorted, ASCII-only JSON. */
export function formatAclV2(acl: Record<string, unknown>): string {
  return pyDumps(acl, { compact: true, sortKeys: true });
}

/** Host of a URL as Python's urlparse(...).hostname (lower-cased, no port, no brackets). */
function hostnameOf(referrer: string | undefined): string | undefined {
  if (!referrer) return undefined;
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(referrer);
  if (!m) return undefined;
  let netloc = m[1]!;
  const at = netloc.lastIndexOf('@');
  if (at >= 0) netloc = netloc.slice(at + 1);
  let host: string;
  if (netloc.startsWith('[')) host = netloc.slice(1, netloc.indexOf(']') < 0 ? undefined : netloc.indexOf(']'));
  else host = netloc.split(':')[0]!;
  return host ? host.toLowerCase() : undefined;
}

/** Swift's referrer_allowed: designations apply in order; '-host' denies, '*', 'host', '.domain' allow. */
export function referrerAllowed(referrer: string | undefined, referrerAcl: string[]): boolean {
  let allow = false;
  if (referrerAcl.length) {
    const rhost = hostnameOf(referrer) ?? 'unknown';
    for (let mhost of referrerAcl) {
      if (mhost[0] === '-') {
        mhost = mhost.slice(1);
        if (mhost === rhost || (mhost[0] === '.' && rhost.endsWith(mhost))) allow = false;
      } else if (mhost === '*' || mhost === rhost || (mhost[0] === '.' && rhost.endsWith(mhost))) {
        allow = true;
      }
    }
  }
  return allow;
}

export interface TempAuthAcl { admin: string[]; 'read-write': string[]; 'read-only': string[] }

const ACCESS_CLASSES = ['admin', 'read-write', 'read-only'] as const;

/**
 * Swift's dict_to_tempauth_acl: undefined for an empty ACL; throws for unknown keys or non-list values.
 */
export function dictToTempAuthAcl(input: Record<string, unknown> | undefined): TempAuthAcl | undefined {
  if (!input || Object.keys(input).length === 0) return undefined;
  const out: TempAuthAcl = { admin: [], 'read-write': [], 'read-only': [] };
  for (const cls of ACCESS_CLASSES) {
    const members = input[cls] ?? [];
    if (!Array.isArray(members)) throw new AclError(`Value of ${cls} must be a list`);
    out[cls] = members.map(String);
  }
  const bad = Object.keys(input).filter((k) => !(ACCESS_CLASSES as readonly string[]).includes(k));
  if (bad.length) throw new AclError(`Unknown access class: ${bad.join(', ')}`);
  return out;
}

/** Swift's acls_from_account_info over an account's stored metadata. */
export function aclsFromAccountMetadata(meta: Record<string, string> | undefined): TempAuthAcl | undefined {
  const data = meta?.[ACCOUNT_ACL_SYSMETA];
  if (data === undefined) return undefined;
  return dictToTempAuthAcl(parseAclV2(data));
}

/**
 * TempAuth's extract_acl_and_report_errors: a user-readable error for an invalid
 * X-Account-Access-Control value, or undefined when it is acceptable.
 */
export function accountAclError(data: string): string | undefined {
  const result = parseAclV2(data);
  if (result === undefined) return `Syntax error in input (${pyRepr(data)})`;
  for (const key of Object.keys(result)) {
    if (!(ACCESS_CLASSES as readonly string[]).includes(key)) return `Key ${pyDumps(key)} not recognized`;
  }
  for (const key of ACCESS_CLASSES) {
    if (!(key in result)) continue;
    const v = result[key];
    if (!Array.isArray(v)) return `Value for key ${pyDumps(key)} must be a list`;
    if (!v.every((g) => typeof g === 'string')) return `Elements of ${pyDumps(key)} list must be strings`;
  }
  return undefined;
}
