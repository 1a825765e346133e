/**
 * etag_quoter: RFC 7232 quoted ETags on object responses, per account or container (Swift's
 * etag_quoter middleware).
 *
 * - X-Account-Rfc-Compliant-Etags / X-Container-Rfc-Compliant-Etags on an account or container
 *   request are stored as X-<Type>-Sysmeta-Rfc-Compliant-Etags ("True"/"False"; an empty value or
 *   X-Remove-<Type>-Rfc-Compliant-Etags clears it), and shown back under the client name.
 * - An object response gets its ETag double-quoted (unless already quoted or weak) when the
 *   container's flag says so, or, without a container flag, the account's, or else
 *   `enable_by_default`.
 * - /info: `etag_quoter: {enable_by_default}`.
 *
 * Pipeline position: early, right after cache (Swift: ... proxy-logging cache etag-quoter ...), so
 * every ETag below it, including those of middleware answers, is quoted.
 */
import type { MiddlewareFactory } from '../pipeline.js';
import type { Handler, SwiftRequest, SwiftResponse } from '../http.js';
import { getAccountInfo, getContainerInfo } from '../info-cache.js';
import { isTrue } from './common/options.js';
import { isApiVersion, splitSwiftPath } from './common/swift-path.js';

export interface EtagQuoterOptions {
  /** Quote ETags where neither the container nor the account says otherwise. */
  enable_by_default: boolean | string;
}

/** The pipeline name (as in Swift's sample pipelines); /info says `etag_quoter`. */
const NAME = 'etag-quoter';
const FLAG = 'rfc-compliant-etags';

/** Map the client header onto sysmeta on the request, and the sysmeta back on the response. */
async function accountOrContainer(req: SwiftRequest, next: Handler, type: 'account' | 'container'): Promise<SwiftResponse> {
  const client = `x-${type}-${FLAG}`;
  const sysmeta = `x-${type}-sysmeta-${FLAG}`;
  const given = req.headers[client];
  if (given !== undefined) req.headers[sysmeta] = given ? (isTrue(given) ? 'True' : 'False') : '';
  if (req.headers[`x-remove-${type}-${FLAG}`]) req.headers[sysmeta] = '';
  const res = await next(req);
  const value = res.headers[sysmeta];
  if (value === undefined) return res;
  const headers = { ...res.headers };
  delete headers[sysmeta];
  headers[client] = value;
  return { ...res, headers };
}

/** Swift: a value already wrapped in quotes (strong or weak) stays as it is. */
function quoted(etag: string): string {
  return (etag.startsWith('"') || etag.startsWith('W/"')) && etag.endsWith('"') ? etag : `"${etag}"`;
}

export const etagQuoter: MiddlewareFactory<EtagQuoterOptions> = {
  name: NAME,
  defaults: { enable_by_default: false },
  registerInfo(o, info) { info.register('etag_quoter', { enable_by_default: isTrue(o.enable_by_default) }); },
  create(opts, deps) {
    const byDefault = isTrue(opts.enable_by_default);
    return (next: Handler): Handler => async (req) => {
      const sp = splitSwiftPath(req.path);
      if (!sp || !isApiVersion(sp.version)) return next(req);
      if (!sp.object) return accountOrContainer(req, next, sp.container ? 'container' : 'account');

      const container = await getContainerInfo(req, deps.store, sp.account, sp.container!);
      if (!container) return next(req);
      let flag = container.metadata[`x-container-sysmeta-${FLAG}`];
      if (flag === undefined) {
        const account = await getAccountInfo(req, deps.store, sp.account);
        if (!account) return next(req);
        flag = account.metadata[`x-account-sysmeta-${FLAG}`];
      }
      if (!(flag === undefined ? byDefault : isTrue(flag))) return next(req);
      const res = await next(req);
      const etag = res.headers['etag'];
      if (etag === undefined) return res;
      return { ...res, headers: { ...res.headers, etag: quoted(etag) } };
    };
  },
};
