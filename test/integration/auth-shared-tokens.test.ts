/**
 * TempAuth tokens across gateways: two apps over one volume (as two workers, or two hosts with one
 * config) accept each other's signed tokens; with `token_store: memory` they do not.
 */
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import type { CairnApp } from '../../src/server.js';
import { createApp } from '../../src/server.js';
import pino from 'pino';
import { makeTestApp, testConfig, type TestApp } from '../helpers/app.js';

const opened: TestApp[] = [];
afterAll(async () => { await Promise.all(opened.map((a) => a.close())); });

/** A second gateway over the first one's store, with `tempauth` options added. */
function sibling(first: TestApp, tempauth: Record<string, unknown>): CairnApp {
  const config = { ...first.deps.config, middleware: { ...first.deps.config.middleware, tempauth: { ...first.deps.config.middleware['tempauth'], ...tempauth } } };
  return createApp(config, first.deps.store, pino({ level: 'silent' }));
}

async function token(app: CairnApp): Promise<string> {
  const res = await request(app.app).get('/auth/v1.0').set('X-Auth-User', 'test:tester').set('X-Auth-Key', 'testing');
  expect(res.status).toBe(200);
  return res.headers['x-auth-token'] as string;
}

describe('shared tokens', () => {
  it('a token from one gateway is accepted by another with the same token_secret', async () => {
    const tempauth = { ...testConfig().middleware['tempauth'], token_secret: 'a shared secret for tests' };
    const a = await makeTestApp({ middleware: { tempauth } });
    opened.push(a);
    const b = sibling(a, {});
    const t = await token(a);
    expect((await request(b.app).put('/v1/AUTH_test/c').set('X-Auth-Token', t)).status).toBe(201);
    expect((await request(a.app).head('/v1/AUTH_test/c').set('X-Auth-Token', await token(b))).status).toBe(204);
    // A gateway with another secret refuses it.
    const c = sibling(a, { token_secret: 'some other secret value' });
    expect((await request(c.app).head('/v1/AUTH_test/c').set('X-Auth-Token', t)).status).toBe(401);
  });

  it('token_store: memory keeps tokens to the gateway that issued them', async () => {
    const tempauth = { ...testConfig().middleware['tempauth'], token_store: 'memory' };
    const a = await makeTestApp({ middleware: { tempauth } });
    opened.push(a);
    const b = sibling(a, {});
    const t = await token(a);
    expect(t).toMatch(/^AUTH_tk[0-9a-f]{32}$/);
    expect((await request(a.app).head('/v1/AUTH_test').set('X-Auth-Token', t)).status).toBe(204);
    expect((await request(b.app).head('/v1/AUTH_test').set('X-Auth-Token', t)).status).toBe(401);
  });

  it('token_store: memory is overridden when several workers serve', async () => {
    const tempauth = { ...testConfig().middleware['tempauth'], token_store: 'memory', token_secret: 'a shared secret for tests' };
    const a = await makeTestApp({ workers: 2, middleware: { tempauth } });
    opened.push(a);
    const t = await token(a);
    expect(t).not.toMatch(/^AUTH_tk[0-9a-f]{32}$/);
    expect((await request(sibling(a, {}).app).head('/v1/AUTH_test').set('X-Auth-Token', t)).status).toBe(204);
  });

  it('refuses bad token options, naming the key', async () => {
    const base = testConfig().middleware['tempauth'];
    await expect(makeTestApp({ middleware: { tempauth: { ...base, token_store: 'redis' } } }))
      .rejects.toThrow('config: middleware.tempauth.token_store: must be "signed" or "memory"');
    await expect(makeTestApp({ middleware: { tempauth: { ...base, token_secret: 'short' } } }))
      .rejects.toThrow(/middleware\.tempauth\.token_secret/);
  });
});
