/**
 * Apps and request helpers for the symlink and versioning integration tests: Swift's pipeline order
 * (`... copy container-quotas slo dlo versioned_writes symlink`) over a fresh volume, as test:tester.
 */
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Config } from '../../src/config.js';
import { REGISTRY } from '../../src/api/middleware/registry.js';
import { authToken, makeApiApp, type ApiTestApp } from './app.js';
import { TEMPAUTH } from './middleware-app.js';

export interface VApp extends ApiTestApp { token: string; account: string; accountPath: string }

const ORDER = [
  'catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'listing_formats', 'tempauth',
  'copy', 'container-quotas', 'slo', 'dlo', 'versioned_writes', 'symlink',
];

/** An app with the versioning/symlink part of Swift's pipeline (versioned_writes only when configured). */
export async function makeVersioningApp(middleware: Record<string, Record<string, unknown>> = {},
                                        over: Partial<Config> = {}): Promise<VApp> {
  // Every one must exist: a test of a middleware silently left out would test nothing.
  for (const m of ORDER) assert.ok(REGISTRY.has(m), `middleware ${m} is not registered`);
  const pipeline = ORDER.filter((m) => m !== 'versioned_writes' || middleware.versioned_writes);
  const app = await makeApiApp({ pipeline, middleware: { tempauth: TEMPAUTH, ...middleware }, ...over });
  const { token, path } = await authToken(app);
  return { ...app, token, accountPath: path, account: path.split('/')[2]! };
}

type Method = 'get' | 'head' | 'put' | 'post' | 'delete' | 'copy';

/** A request to `<account>/<path>` as the account's admin (headers may override the token). */
export function req(app: VApp, method: Method, path: string, headers: Record<string, string> = {}): request.Test {
  const url = `${app.accountPath}${path ? `/${path}` : ''}`;
  const agent = request(app.app);
  const r = method === 'copy' ? agent.copy(url) : agent[method](url);
  return r.set('X-Auth-Token', app.token).set(headers);
}

/** A JSON body as parsed by supertest or from its text. */
export function json(r: request.Response): unknown {
  return JSON.parse(r.text) as unknown;
}
