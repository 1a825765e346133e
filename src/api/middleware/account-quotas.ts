/**
 * account-quotas: a byte quota per account, set only by a reseller admin (Swift's account_quotas).
 *
 * X-Account-Meta-Quota-Bytes (and X-Remove-Account-Meta-Quota-Bytes) on an account PUT/POST is
 * 403 unless the caller is in .reseller_admin (then it must be digits: 400 otherwise). An object PUT
 * that would take the account's bytes past the quota is 413 "Upload exceeds quota." — after the
 * normal authorization, so strangers still get their 401/403 first.
 *
 * Pipeline position: after auth (it needs the identity) and copy (Swift: ... tempauth, copy,
 * container-quotas, account-quotas ...).
 */
import type { MiddlewareFactory } from '../pipeline.js';
import type { Handler } from '../http.js';
import { errorResponse } from '../errors.js';
import { getAccountInfo } from '../info-cache.js';
import { splitSwiftPath } from './common/swift-path.js';

const NAME = 'account-quotas';

export const accountQuotas: MiddlewareFactory<Record<string, never>> = {
  name: NAME,
  defaults: {},
  registerInfo(_o, info) { info.register('account_quotas', {}); },
  create(_opts, deps) {
    return (next: Handler): Handler => async (req) => {
      if (req.method !== 'POST' && req.method !== 'PUT') return next(req);
      const sp = splitSwiftPath(req.path);
      if (!sp) return next(req);
      let newQuota: string | undefined;
      if (!sp.container) {
        newQuota = req.headers['x-account-meta-quota-bytes'];
        if (req.headers['x-remove-account-meta-quota-bytes']) newQuota = '0';
      }
      const reseller = req.ctx.identity?.groups.includes('.reseller_admin') === true;
      if (reseller) {
        if (newQuota && !/^\d+$/.test(newQuota)) return errorResponse(400);
        return next(req);
      }
      if (newQuota !== undefined) return errorResponse(403);
      if (req.method === 'POST' || !sp.object) return next(req);

      const settings = await getAccountInfo(req, deps.store, sp.account);
      if (!settings) return next(req);
      const quotaText = settings.metadata['x-account-meta-quota-bytes'];
      if (quotaText === undefined || !/^-?\d+$/.test(quotaText.trim())) return next(req);
      const quota = Number(quotaText);
      if (quota < 0) return next(req);
      // Only an account with a quota pays for its counts.
      const info = await getAccountInfo(req, deps.store, sp.account, { counts: true });
      if (!info) return next(req);
      const length = Number(req.headers['content-length'] ?? '0') || 0;
      if (quota >= info.bytesUsed + length) return next(req);

      const reject = errorResponse(413, 'Upload exceeds quota.');
      if (req.ctx.preAuthorized || !req.ctx.authorize) return reject;
      // Keep the normal verdict first: deny as auth would, else refuse for the quota.
      const orig = req.ctx.authorize;
      req.ctx.authorize = async (r, target) => (await orig(r, target)) ?? reject;
      return next(req);
    };
  },
};
