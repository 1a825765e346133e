/**
 * Apps for the middleware integration tests: Swift's full proxy pipeline order with the
 * middlewares under test switched on, on a fresh volume (makeApiApp), plus small request helpers.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import type { Config } from '../../src/config.js';
import { authToken, makeApiApp, type ApiTestApp } from './app.js';

/** TempAuth users for the middleware tests: app.ts's TEST_USERS less test:tester2 and test5:tester5. */
export const TEMPAUTH = {
  reseller_prefix: ['AUTH_', 'SERVICE'],
  users: [
    { account: 'test', user: 'tester', key: 'testing', groups: ['.admin'] },
    { account: 'test', user: 'tester3', key: 'testing3', groups: [] },
    { account: 'test2', user: 'tester2', key: 'testing2', groups: ['.admin'] },
    { account: 'admin', user: 'admin', key: 'admin', groups: ['.admin', '.reseller_admin'] },
  ],
};

/** Swift's proxy-server.conf order, with Cairn's extra middlewares where Swift documents them. */
export const FULL_PIPELINE = [
  'catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'domain_remap', 'cors', 'crossdomain',
  'listing_formats', 'bulk', 'tempurl', 'formpost', 'ratelimit', 'tempauth', 'staticweb',
  'container-quotas', 'account-quotas',
];

export interface MwApp extends ApiTestApp { token: string; account: string; accountPath: string }

/** An app whose pipeline is FULL_PIPELINE filtered to `only` (default: all), with middleware options. */
export async function makeMwApp(opts: { only?: string[]; middleware?: Record<string, Record<string, unknown>>;
                                        config?: Partial<Config> } = {}): Promise<MwApp> {
  const base = ['catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'listing_formats', 'tempauth'];
  const pipeline = FULL_PIPELINE.filter((m) => base.includes(m) || !opts.only || opts.only.includes(m));
  const app = await makeApiApp({
    pipeline,
    middleware: { tempauth: TEMPAUTH, ...(opts.middleware ?? {}) },
    ...(opts.config ?? {}),
  });
  const { token, path } = await authToken(app);
  return { ...app, token, accountPath: path, account: path.split('/')[2]! };
}

/** A temp URL signature (hex) of "METHOD\nEXPIRES\nPATH". */
export function tempUrlSig(method: string, expires: number | string, path: string, key: string,
                           algo: 'sha1' | 'sha256' | 'sha512' = 'sha256', ipRange?: string): string {
  const body = ipRange ? `ip=${ipRange}\n${method}\n${expires}\n${path}` : `${method}\n${expires}\n${path}`;
  return createHmac(algo, key).update(body).digest('hex');
}

/** PUT a container (with headers) and fail loudly if it did not work. */
export async function putContainer(app: MwApp, container: string, headers: Record<string, string> = {}): Promise<void> {
  const r = await request(app.app).put(`${app.accountPath}/${container}`).set('X-Auth-Token', app.token).set(headers);
  assert.ok(r.status === 201 || r.status === 202, `PUT container ${container}: ${r.status} ${r.text}`);
}

/** PUT an object and fail loudly if it did not work. */
export async function putObject(app: MwApp, path: string, body: string | Buffer,
                                headers: Record<string, string> = {}): Promise<void> {
  const r = await request(app.app).put(`${app.accountPath}/${path}`).set('X-Auth-Token', app.token).set(headers).send(body);
  assert.equal(r.status, 201, `PUT ${path}: ${r.text}`);
}

export async function postAccount(app: MwApp, headers: Record<string, string>): Promise<void> {
  const r = await request(app.app).post(app.accountPath).set('X-Auth-Token', app.token).set(headers);
  assert.equal(r.status, 204, `POST account: ${r.text}`);
}
