/**
 * healthcheck (Swift's swift/common/middleware/healthcheck.py): any request for exactly
 * /healthcheck is answered here, before auth. 200 "OK" normally; 503 "DISABLED BY FILE" while the
 * configured `disable_path` exists (lets an operator drain a node from a load balancer).
 *
 * Cairn addition: the store's health is part of the answer. When the store reports it cannot serve
 * (health().ok false) the answer is 503 naming the bricks that are down; while it can serve with
 * some bricks down the answer stays 200 "OK" (a load balancer should keep sending traffic) and the
 * X-Cairn-Bricks-Down header names them (read-only bricks are down too); X-Cairn-Bricks-Full names the
 * bricks below min-free-disk, which serve but take no new object data.
 */
import { existsSync } from 'node:fs';
import type { SwiftResponse } from '../http.js';
import { ConfigError, type MiddlewareFactory } from '../pipeline.js';

export interface HealthcheckOptions { disable_path: string }

function text(status: number, body: string, extra: Record<string, string> = {}): SwiftResponse {
  return { status, headers: { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)), ...extra }, body };
}

export const healthcheck: MiddlewareFactory<HealthcheckOptions> = {
  name: 'healthcheck',
  defaults: { disable_path: '' },
  validate(opts) {
    if (typeof opts.disable_path !== 'string') throw new ConfigError('middleware.healthcheck.disable_path', 'must be a string');
  },
  create(opts, deps) {
    return (next) => async (req) => {
      if (req.path !== '/healthcheck') return next(req);
      if (opts.disable_path && existsSync(opts.disable_path)) return text(503, 'DISABLED BY FILE');
      let health;
      try {
        health = await deps.store.health();
      } catch (err) {
        req.ctx.log.error({ err }, 'store health check failed');
        return text(503, 'STORE UNAVAILABLE: health check failed');
      }
      const down = health.bricks.filter((b) => !b.up);
      const full = health.bricks.filter((b) => b.up && b.full);
      const names = down.map((b) => (b.detail ? `${b.id} (${b.detail})` : b.id)).join(', ');
      if (!health.ok) return text(503, `STORE UNAVAILABLE: bricks down: ${names || 'none reported'}`);
      return text(200, 'OK', {
        ...(down.length ? { 'x-cairn-bricks-down': down.map((b) => b.id).join(', ') } : {}),
        // Full bricks still serve reads and deletes but take no new data (below min-free-disk).
        ...(full.length ? { 'x-cairn-bricks-full': full.map((b) => b.id).join(', ') } : {}),
      });
    };
  },
};
