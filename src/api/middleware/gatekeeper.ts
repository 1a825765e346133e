/**
 * gatekeeper (Swift's swift/common/middleware/gatekeeper.py): keeps clients away from internal
 * headers. Removes X-Account-/X-Container-/X-Object-Sysmeta-*, X-Object-Transient-Sysmeta-* and
 * X-Backend-* from client requests and from every response, so only middlewares can set or read
 * system metadata. With `shunt_inbound_x_timestamp` (default on) a client's X-Timestamp is moved to
 * X-Backend-Inbound-X-Timestamp so it cannot choose the stored version's timestamp.
 * Subrequests made by middlewares (ctx.source set) are left alone.
 */
import { ConfigError, type MiddlewareFactory } from '../pipeline.js';

export interface GatekeeperOptions { shunt_inbound_x_timestamp: boolean }

const EXCLUDED = /^(x-(account|container|object)-sysmeta-|x-object-transient-sysmeta-|x-backend)/;

/** True for header names clients may neither send nor see. */
export function isInternalHeader(name: string): boolean {
  return EXCLUDED.test(name.toLowerCase());
}

export const gatekeeper: MiddlewareFactory<GatekeeperOptions> = {
  name: 'gatekeeper',
  defaults: { shunt_inbound_x_timestamp: true },
  requiredAfter: 'catch_errors',
  validate(opts) {
    if (typeof opts.shunt_inbound_x_timestamp !== 'boolean') {
      throw new ConfigError('middleware.gatekeeper.shunt_inbound_x_timestamp', 'must be a boolean');
    }
  },
  create(opts) {
    return (next) => async (req) => {
      if (req.ctx.source) return next(req);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (!isInternalHeader(k)) headers[k] = v;
      if (opts.shunt_inbound_x_timestamp && headers['x-timestamp'] !== undefined) {
        headers['x-backend-inbound-x-timestamp'] = headers['x-timestamp'];
        delete headers['x-timestamp'];
      }
      req.headers = headers;
      const res = await next(req);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (!isInternalHeader(k)) out[k] = v;
      return { ...res, headers: out };
    };
  },
};
