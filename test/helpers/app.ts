/**
 * Build a Cairn app for supertest on a fresh volume (memory bricks by default, or local bricks in a
 * temp dir), or over FakeStore (makeApiApp's `fake`). Every test file gets its own volume; call
 * `close()` in afterAll.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import type { Config } from '../../src/config.js';
import { createApp, type CairnApp } from '../../src/server.js';
import { openPolicyStore, policySpecs } from '../../src/storage/policy-store.js';
import type { ObjectStore, VolumeSpec } from '../../src/storage/store.js';
import { now } from '../../src/storage/timestamp.js';
import { openVolume } from '../../src/storage/volume.js';
import { FakeStore } from './fake-store.js';

export const TEST_USERS = [
  { account: 'test', user: 'tester', key: 'testing', groups: ['.admin'] },
  { account: 'test', user: 'tester3', key: 'testing3', groups: [] },
  { account: 'test2', user: 'tester2', key: 'testing2', groups: ['.admin'] },
  { account: 'test', user: 'tester2', key: 'testing2', groups: ['.admin'] },
  { account: 'test5', user: 'tester5', key: 'testing5', groups: ['service'] },
  { account: 'admin', user: 'admin', key: 'admin', groups: ['.admin', '.reseller_admin'] },
];

export const BASE_PIPELINE = [
  'catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'listing_formats', 'tempauth',
];

export interface TestApp extends CairnApp { dir?: string; close(): Promise<void> }

export function testConfig(over: Partial<Config> = {}): Config {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    workers: 1,
    storage: { root: '.' },
    volume: { id: 'test-volume', bricks: ['memory:b1', 'memory:b2', 'memory:b3', 'memory:b4'], replica: 2 },
    pipeline: BASE_PIPELINE,
    middleware: { tempauth: { users: TEST_USERS, reseller_prefix: ['AUTH_', 'SERVICE'] } },
    constraints: {},
    log: { level: 'silent', format: 'json' },
    exposeInfo: true,
    ...over,
  };
}

let seq = 0;
/**
 * An app on its own volume (one per storage policy when the config has `policies`). `local: true`
 * uses LocalBricks in a temp dir instead of memory bricks.
 */
export async function makeTestApp(over: Partial<Config> = {}, opts: { local?: boolean } = {}): Promise<TestApp> {
  const config = testConfig(over);
  let dir: string | undefined;
  let own: (v: VolumeSpec, policy: number) => VolumeSpec;
  if (opts.local) {
    dir = mkdtempSync(join(tmpdir(), 'cairn-test-'));
    own = (v, p) => ({ ...v, bricks: v.bricks.map((_b, i) => join(dir!, p === 0 ? `b${i}` : `p${p}b${i}`)) });
    // The storage root holds files next to the bricks (tempauth's token secret): the temp dir, never ours.
    config.storage = { root: dir };
  } else {
    const n = ++seq;
    own = (v) => ({ ...v, bricks: v.bricks.map((b) => `${b}-${process.pid}-${n}`) });
  }
  if (config.policies) {
    config.policies = config.policies.map((p, i) => ({ ...p, volume: own(p.volume, i) }));
    config.volume = config.policies.find((p) => p.default)?.volume ?? config.policies[0]!.volume;
  } else {
    config.volume = own(config.volume, 0);
  }
  const store = await openPolicyStore(policySpecs(config), (spec) => openVolume(spec));
  const logger = pino({ level: config.log.level });
  const app = createApp(config, store, logger);
  return {
    ...app,
    ...(dir ? { dir } : {}),
    async close() {
      await store.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An app with its store exposed, so tests can seed objects without the object controller. */
export interface ApiTestApp extends CairnApp { store: ObjectStore; close(): Promise<void> }

/** makeTestApp with its store exposed; `fake: true` puts the app over FakeStore instead of a volume. */
export async function makeApiApp(over: Partial<Config> = {}, opts: { fake?: boolean } = {}): Promise<ApiTestApp> {
  if (!opts.fake) {
    const app = await makeTestApp(over);
    return { ...app, store: app.deps.store };
  }
  const config = testConfig(over);
  const store = new FakeStore();
  const app = createApp(config, store, pino({ level: config.log.level }));
  return { ...app, store, async close() { await store.close(); } };
}

/** A TempAuth token and storage URL (and its path) for `user` (default test:tester). */
export async function authToken(app: CairnApp, user = 'test:tester', key = 'testing'): Promise<{ token: string; url: string; path: string }> {
  const { default: request } = await import('supertest');
  const res = await request(app.app).get('/auth/v1.0').set('X-Auth-User', user).set('X-Auth-Key', key);
  assert.equal(res.status, 200, `auth failed for ${user}`);
  const url = res.headers['x-storage-url'] as string;
  return { token: res.headers['x-auth-token'] as string, url, path: new URL(url).pathname };
}

/** Put an object straight into the store (the object controller is another layer's business). */
export async function seedObject(app: ApiTestApp, account: string, container: string, object: string,
                                 data: string | Buffer, contentType = 'application/octet-stream'): Promise<void> {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  await app.store.putObject({ account, container, object }, Readable.from([buf]), {
    timestamp: now(), contentType, contentLength: buf.length,
  });
}
