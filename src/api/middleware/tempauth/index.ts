/**
 * tempauth (Swift's swift/common/middleware/tempauth.py): users from config, tokens from
 * <auth_prefix> (see get-token.ts), and Swift's authorization rules (see authorize.ts).
 *
 * On each request: a token starting with the first reseller prefix is looked up (an unknown or
 * expired one is a 401 right away: TempAuth is the definitive auth for its tokens); a valid
 * X-Service-Token adds its groups (for require_group on e.g. SERVICE_ accounts). The request then
 * carries ctx.identity and ctx.authorize. Anonymous requests to accounts of our prefixes get
 * ctx.authorize too, so referrer ACLs can let them in; anything else is denied unless another auth
 * middleware already claimed it.
 *
 * Tokens are signed by default, so every worker and every gateway sharing the secret accepts them
 * (token-store.ts, signed-tokens.ts, token-secret.ts).
 */
import type { MiddlewareFactory } from '../../pipeline.js';
import { parseSwiftPath } from '../../path.js';
import { makeAuthorize } from './authorize.js';
import { deniedResponse, realmOf, unauthorized } from './deny.js';
import { handleAuthRequest } from './get-token.js';
import { accountPrefix, resolveSettings, TEMPAUTH_DEFAULTS, validateOptions, type TempAuthOptions } from './settings.js';
import { makeTokenStore } from './token-store.js';
import type { TokenStore } from './tokens.js';

export type { TempAuthOptions } from './settings.js';
export type { TokenStore, TokenRecord } from './tokens.js';

export const tempauth: MiddlewareFactory<TempAuthOptions> = {
  name: 'tempauth',
  defaults: TEMPAUTH_DEFAULTS,
  validate: validateOptions,
  registerInfo(_opts, info) {
    info.register('tempauth', { account_acls: true });
  },
  create(opts, deps) {
    const s = resolveSettings(opts);
    const tokens: TokenStore = makeTokenStore(opts, s, deps);
    const authorize = makeAuthorize(s, deps);
    const denied = async (req: Parameters<typeof deniedResponse>[0]) => deniedResponse(req);

    const isDefinitive = (path: string): boolean => {
      try {
        const p = parseSwiftPath(path);
        return p.account !== undefined && accountPrefix(s, p.account) !== undefined;
      } catch {
        return false;
      }
    };

    return (next) => async (req) => {
      // Swift's allow_overrides: a request a middleware above already authorized (tempurl,
      // formpost: swift.authorize_override) is not ours to judge.
      if (req.ctx.preAuthorized) return next(req);
      if (req.path.startsWith(s.authPrefix)) return handleAuthRequest(req, s, tokens, deps);
      const token = req.headers['x-auth-token'] ?? req.headers['x-storage-token'];
      const serviceToken = req.headers['x-service-token'];
      if (token && token.startsWith(s.resellerPrefix)) {
        let groups = (await tokens.lookup(token))?.groups;
        if (serviceToken && groups) {
          const serviceGroups = (await tokens.lookup(serviceToken))?.groups;
          if (serviceGroups) groups = [...groups, ...serviceGroups];
        }
        if (groups) {
          req.ctx.identity = { user: groups[1] ?? groups[0]!, groups };
          req.ctx.authorize = authorize;
        } else if (s.resellerPrefix) {
          return unauthorized(realmOf(req.path));
        } else if (!req.ctx.authorize) {
          req.ctx.authorize = denied;
        }
      } else if (isDefinitive(req.path)) {
        req.ctx.authorize = authorize;
      } else if (s.resellerPrefix === '') {
        if (!req.ctx.authorize) req.ctx.authorize = authorize;
      } else if (!req.ctx.authorize) {
        req.ctx.authorize = denied;
      }
      return next(req);
    };
  },
};
