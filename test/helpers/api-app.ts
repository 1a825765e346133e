/**
 * The app for the API integration tests: the real volume (makeTestApp) when src/storage/volume.ts
 * is present, else the same app over FakeStore. `store` is exposed so tests can seed objects
 * without going through the object controller.
 */
import pino from 'pino';
import type { Config } from '../../src/config.js';
import { createApp, type CairnApp } from '../../src/server.js';
import type { ObjectStore } from '../../src/storage/store.js';
import { FakeStore } from './fake-store.js';

export interface ApiTestApp extends CairnApp { store: ObjectStore; close(): Promise<void> }

export async function makeApiApp(over: Partial<Config> = {}, opts: { fake?: boolean } = {}): Promise<ApiTestApp> {
  if (!opts.fake && !process.env['CAIRN_TEST_FAKE_STORE']) {
    try {
      const helpers = await import('./app.js');
      const app = await helpers.makeTestApp(over);
      return { ...app, store: app.deps.store };
    } catch (err) {
      if (!(err instanceof Error) || !/volume/.test(err.message)) throw err;
    }
  }
  const config = fallbackConfig(over);
  const store = new FakeStore();
  const app = createApp(config, store, pino({ level: config.log.level }));
  return { ...app, store, async close() { await store.close(); } };
}

/** The same config as helpers/app.ts testConfig (which cannot load while volume.ts is missing). */
export function fallbackConfig(over: Partial<Config> = {}): Config {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    workers: 1,
    storage: { root: '.' },
    volume: { id: 'test-volume', bricks: ['memory:b1', 'memory:b2', 'memory:b3', 'memory:b4'], replica: 2 },
    pipeline: ['catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'listing_formats', 'tempauth'],
    middleware: { tempauth: { users: [
      { account: 'test', user: 'tester', key: 'testing', groups: ['.admin'] },
      { account: 'test', user: 'tester3', key: 'testing3', groups: [] },
      { account: 'test2', user: 'tester2', key: 'testing2', groups: ['.admin'] },
      { account: 'test', user: 'tester2', key: 'testing2', groups: ['.admin'] },
      { account: 'test5', user: 'tester5', key: 'testing5', groups: ['service'] },
      { account: 'admin', user: 'admin', key: 'admin', groups: ['.admin', '.reseller_admin'] },
    ], reseller_prefix: ['AUTH_', 'SERVICE'] } },
    constraints: {},
    log: { level: 'silent', format: 'json' },
    exposeInfo: true,
    ...over,
  };
}

/** A TempAuth token and storage URL for `user` (default test:tester). */
export async function getToken(app: CairnApp, user = 'test:tester', key = 'testing'): Promise<{ token: string; url: string; path: string }> {
  const { default: request } = await import('supertest');
  const res = await request(app.app).get('/auth/v1.0').set('X-Auth-User', user).set('X-Auth-Key', key);
  if (res.status !== 200) throw new Error(`auth failed: ${res.status}`);
  const url = res.headers['x-storage-url'] as string;
  return { token: res.headers['x-auth-token'] as string, url, path: new URL(url).pathname };
}

/** Put an object straight into the store (the object controller is another layer's business). */
export async function seedObject(app: ApiTestApp, account: string, container: string, object: string,
                                 data: string | Buffer, contentType = 'application/octet-stream'): Promise<void> {
  const { Readable } = await import('node:stream');
  const { now } = await import('../../src/storage/timestamp.js');
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  await app.store.putObject({ account, container, object }, Readable.from([buf]), {
    timestamp: now(), contentType, contentLength: buf.length,
  });
}
