/**
 * TempAuth's authorize (the callback controllers call through ctx.authorize), rule for rule as
 * Swift's tempauth.authorize:
 *  1. accounts outside the configured prefixes are refused;
 *  2. an X-Account-Access-Control header must be valid (400 otherwise) and is moved to account
 *     sysmeta, where only this check can put it;
 *  3. .reseller_admin owns every non-reserved account; .reseller_reader may GET/HEAD them;
 *  4. a user whose groups contain the account id owns it (except account PUT/DELETE), provided it
 *     also has the prefix's require_group;
 *  5. OPTIONS is allowed;
 *  6. the container ACL: a matching referrer allows objects (and listings with .rlistings); a
 *     matching group or account:user allows;
 *  7. account ACLs (admin -> owner; read-write -> containers/objects and account reads;
 *     read-only -> reads);
 *  8. otherwise 403 for a known user, 401 for an anonymous one.
 */
import { ACCOUNT_ACL_SYSMETA, AclError, accountAclError, aclsFromAccountMetadata, parseAclV1, referrerAllowed } from '../../acl.js';
import type { AuthTarget } from '../../context.js';
import { httpError } from '../../errors.js';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import { getAccountInfo } from '../../info-cache.js';
import type { AppDeps } from '../../pipeline.js';
import { deniedResponse } from './deny.js';
import { accountPrefix, isDotAccount, type TempAuthSettings } from './settings.js';

export function makeAuthorize(s: TempAuthSettings, deps: AppDeps) {
  return async function authorize(req: SwiftRequest, target: AuthTarget): Promise<SwiftResponse | undefined> {
    const { account, container, object } = target;
    const prefix = accountPrefix(s, account);
    if (prefix === undefined) return deniedResponse(req);

    const aclData = req.headers['x-account-access-control'];
    if (aclData !== undefined) {
      const error = accountAclError(aclData);
      if (error) {
        throw httpError(400, `X-Account-Access-Control invalid: ${error}\n\nInput: ${aclData}\n`,
                        { 'content-type': 'text/plain; charset=UTF-8' });
      }
      req.headers[ACCOUNT_ACL_SYSMETA] = aclData;
      delete req.headers['x-account-access-control'];
    }

    const groups = req.ctx.identity?.groups ?? [''];
    const method = req.method;
    const reserved = s.prefixes.includes(account) || isDotAccount(s, account);
    if (groups.includes('.reseller_admin') && !reserved) {
      req.ctx.swiftOwner = true;
      return undefined;
    }
    if (groups.includes('.reseller_reader') && !reserved && (method === 'GET' || method === 'HEAD')) return undefined;
    if (groups.includes(account) && (!['DELETE', 'PUT'].includes(method) || container)) {
      const need = s.requireGroup.get(prefix);
      if (!need || groups.includes(need)) {
        req.ctx.swiftOwner = true;
        return undefined;
      }
    }
    if (method === 'OPTIONS') return undefined;

    const acl = parseAclV1(target.acl);
    if (referrerAllowed(req.headers['referer'], acl.referrers) && (object || acl.groups.includes('.rlistings'))) {
      return undefined;
    }
    if (groups.some((g) => acl.groups.includes(g))) return undefined;

    let acctAcls;
    try {
      acctAcls = aclsFromAccountMetadata((await getAccountInfo(req, deps.store, account))?.metadata);
    } catch (err) {
      if (!(err instanceof AclError)) throw err;
      req.ctx.log.warn({ err }, 'Invalid ACL stored in metadata');
    }
    if (acctAcls) {
      const has = (list: string[]): boolean => groups.some((g) => list.includes(g));
      if (has(acctAcls.admin)) {
        req.ctx.swiftOwner = true;
        return undefined;
      }
      if (has(acctAcls['read-write']) && (container || method === 'GET' || method === 'HEAD')) return undefined;
      if (has(acctAcls['read-only']) && (method === 'GET' || method === 'HEAD')) return undefined;
    }
    return deniedResponse(req);
  };
}
