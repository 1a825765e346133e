/**
 * catch_errors (Swift's swift/common/middleware/catch_errors.py): the outermost middleware.
 *
 * - Fixes the transaction id: server.ts mints "tx<21 hex>-<10 hex time>"; this appends the
 *   configured `trans_id_suffix` and the client's X-Trans-Id-Extra ('-' + its first 32 characters),
 *   URL-quoted as Swift does, and rebinds the request logger to it.
 * - Every response carries X-Trans-Id and X-Openstack-Request-Id.
 * - A thrown SwiftHttpError or store error becomes its Swift response (errors.ts toSwiftError; a
 *   store failure answered 5xx is logged at warn with its causes);
 *   anything else is a 500 whose text/plain body names the transaction (so a user can quote it to
 *   an operator; Swift's body is just "An error occurred") and whose stack goes to the error log.
 */
import type { MiddlewareFactory } from '../pipeline.js';
import { toLoggedSwiftError } from '../errors.js';
import type { SwiftResponse } from '../http.js';
import { pyQuote } from '../pyjson.js';

export interface CatchErrorsOptions { trans_id_suffix: string }

export const catchErrors: MiddlewareFactory<CatchErrorsOptions> = {
  name: 'catch_errors',
  defaults: { trans_id_suffix: '' },
  requiredAfter: '',
  create(opts, deps) {
    return (next) => async (req) => {
      let suffix = opts.trans_id_suffix;
      const extra = req.headers['x-trans-id-extra'];
      if (extra) suffix += `-${extra.slice(0, 32)}`;
      if (suffix) {
        req.ctx.txnId += pyQuote(suffix);
        req.ctx.log = deps.logger.child({ txn: req.ctx.txnId });
      }
      const txn = req.ctx.txnId;
      let res: SwiftResponse;
      try {
        res = await next(req);
      } catch (err) {
        const swiftErr = toLoggedSwiftError(err, req.ctx.log);
        if (swiftErr) {
          res = swiftErr.toResponse();
          if (swiftErr.status === 499) req.ctx.log.info({ err }, 'client disconnected');
        } else {
          req.ctx.log.error({ err, method: req.method, path: req.rawPath }, 'Error: An error occurred');
          const body = `An error occurred (transaction ${txn})`;
          res = { status: 500, headers: { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)) }, body };
        }
      }
      return { ...res, headers: { ...res.headers, 'x-trans-id': txn, 'x-openstack-request-id': txn } };
    };
  },
};
