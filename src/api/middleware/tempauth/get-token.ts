/**
 * TempAuth's token endpoint (handle / handle_request / handle_get_token): GET <auth_prefix>v1.0,
 * <auth_prefix>auth (X-Auth-User "account:user" + X-Auth-Key, or X-Storage-User/-Pass) and
 * <auth_prefix>v1/<account>/auth (X-Storage-User may then be the bare user). A live token with the
 * same groups is handed out again; otherwise a new one is minted. The answer carries X-Auth-Token,
 * X-Storage-Token, X-Auth-Token-Expires (seconds left) and X-Storage-Url.
 */
import { errorResponse } from '../../errors.js';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import { InvalidPath, splitPath } from '../../path.js';
import type { AppDeps } from '../../pipeline.js';
import { swobResponse } from '../../swob.js';
import { unauthorized } from './deny.js';
import { userGroups, type TempAuthSettings } from './settings.js';
import type { TokenStore } from './tokens.js';

function sameSet(a: string[], b: string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}

export async function handleAuthRequest(req: SwiftRequest, s: TempAuthSettings, tokens: TokenStore,
                                        deps: AppDeps): Promise<SwiftResponse> {
  if (req.method !== 'GET') return errorResponse(405);
  // path_info_pop: drop the auth prefix's first segment ("/auth/v1.0" -> "/v1.0").
  const pathInfo = req.path.slice(s.authPrefix.length - 1);
  let version: string | undefined;
  try {
    [version] = splitPath(pathInfo, 1, 4, true);
  } catch (err) {
    if (err instanceof InvalidPath) return errorResponse(404);
    throw err;
  }
  if (!['v1', 'v1.0', 'auth'].includes(version ?? '')) return errorResponse(400);
  return getToken(req, pathInfo, s, tokens, deps);
}

async function getToken(req: SwiftRequest, pathInfo: string, s: TempAuthSettings, tokens: TokenStore,
                        deps: AppDeps): Promise<SwiftResponse> {
  let segs: Array<string | undefined>;
  try {
    segs = splitPath(pathInfo, 1, 3, true);
  } catch {
    return errorResponse(404);
  }
  const h = req.headers;
  let account: string | undefined;
  let user: string | undefined;
  let key: string | undefined;
  if (segs[0] === 'v1' && segs[2] === 'auth') {
    account = segs[1];
    user = h['x-storage-user'];
    if (!user) {
      user = h['x-auth-user'];
      if (!user || !user.includes(':')) return unauthorized(account ?? 'unknown');
      const i = user.indexOf(':');
      if (user.slice(0, i) !== account) return unauthorized(account ?? 'unknown');
      user = user.slice(i + 1);
    }
    key = h['x-storage-pass'] || h['x-auth-key'];
  } else if (segs[0] === 'auth' || segs[0] === 'v1.0') {
    const given = h['x-auth-user'] || h['x-storage-user'];
    if (!given || !given.includes(':')) return unauthorized('unknown');
    const i = given.indexOf(':');
    account = given.slice(0, i);
    user = given.slice(i + 1);
    key = h['x-auth-key'] || h['x-storage-pass'];
  } else {
    return errorResponse(400);
  }
  const realm = account || 'unknown';
  if (!account || !user || !key) return unauthorized(realm);
  const accountUser = `${account}:${user}`;
  const entry = s.users.get(accountUser);
  if (!entry || entry.key !== key) return unauthorized(realm);
  const accountId = entry.url.slice(entry.url.lastIndexOf('/') + 1);
  const groups = userGroups(s, account, accountUser, accountId);

  let token: string | undefined;
  let expires = 0;
  const candidate = await tokens.userToken(accountUser);
  if (candidate) {
    const rec = await tokens.lookup(candidate);
    if (rec && rec.expires > Date.now() / 1000 && sameSet(rec.groups, groups)) {
      token = candidate;
      expires = rec.expires;
    }
  }
  if (!token) ({ token, expires } = await tokens.issue(accountUser, groups, s.tokenLife));

  const host = req.headers['host'] || `${deps.config.listen.host}:${deps.config.listen.port}`;
  let url = entry.url.replace('$HOST', `http://${host}`);
  if (s.storageUrlScheme !== 'default') url = `${s.storageUrlScheme}:${url.slice(url.indexOf(':') + 1)}`;
  return swobResponse(200, {
    'x-auth-token': token,
    'x-storage-token': token,
    'x-auth-token-expires': String(Math.trunc(expires - Date.now() / 1000)),
    'x-storage-url': url,
  });
}
