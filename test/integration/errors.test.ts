/**
 * catch_errors, gatekeeper and the proxy's path/method checks: transaction ids on every response,
 * Swift's answers for bad paths and methods, internal errors as 500s naming the transaction.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authToken, makeApiApp, type ApiTestApp } from '../helpers/app.js';

let app: ApiTestApp;
let token: string;
beforeAll(async () => {
  app = await makeApiApp();
  token = (await authToken(app)).token;
  await request(app.app).put('/v1/AUTH_test/c').set('X-Auth-Token', token).expect(201);
});
afterAll(async () => { await app.close(); });

const TXN = /^tx[0-9a-f]{21}-[0-9a-f]{10}$/;

describe('transaction ids', () => {
  it('every response carries X-Trans-Id and X-Openstack-Request-Id, distinct per request', async () => {
    const answers = await Promise.all([
      request(app.app).get('/healthcheck'),
      request(app.app).get('/info'),
      request(app.app).get('/auth/v1.0').set('X-Auth-User', 'test:tester').set('X-Auth-Key', 'testing'),
      request(app.app).get('/auth/v1.0').set('X-Auth-User', 'test:tester').set('X-Auth-Key', 'bad'),
      request(app.app).head('/v1/AUTH_test').set('X-Auth-Token', token),
      request(app.app).get('/v1/AUTH_test/missing').set('X-Auth-Token', token),
      request(app.app).get('/v1/AUTH_test2').set('X-Auth-Token', token),
      request(app.app).get('/%FF'),
      request(app.app).patch('/v1/AUTH_test'),
    ]);
    const ids = new Set<string>();
    for (const res of answers) {
      expect(res.headers['x-trans-id']).toMatch(TXN);
      expect(res.headers['x-openstack-request-id']).toBe(res.headers['x-trans-id']);
      ids.add(res.headers['x-trans-id'] as string);
    }
    expect(ids.size).toBe(answers.length);
  });

  it('appends X-Trans-Id-Extra (first 32 characters, quoted) and the configured suffix', async () => {
    let res = await request(app.app).get('/info').set('X-Trans-Id-Extra', 'my extra/id');
    expect(res.headers['x-trans-id']).toMatch(/^tx[0-9a-f]{21}-[0-9a-f]{10}-my%20extra\/id$/);
    res = await request(app.app).get('/info').set('X-Trans-Id-Extra', 'x'.repeat(40));
    expect(res.headers['x-trans-id']).toMatch(new RegExp(`-${'x'.repeat(32)}$`));
    const other = await makeApiApp({ middleware: { ...app.deps.config.middleware, catch_errors: { trans_id_suffix: '-node1' } } }, { fake: true });
    try {
      res = await request(other.app).get('/info').set('X-Trans-Id-Extra', 'e');
      expect(res.headers['x-trans-id']).toMatch(/^tx[0-9a-f]{21}-[0-9a-f]{10}-node1-e$/);
    } finally {
      await other.close();
    }
  });

  it('an internal fault is a 500 whose body names the transaction', async () => {
    const broken = await makeApiApp({}, { fake: true });
    try {
      const t = (await authToken(broken)).token;
      broken.store.getAccount = async () => { throw new Error('disk on fire'); };
      const res = await request(broken.app).head('/v1/AUTH_test').set('X-Auth-Token', t);
      expect(res.status).toBe(500);
      const get = await request(broken.app).get('/v1/AUTH_test').set('X-Auth-Token', t);
      expect(get.status).toBe(500);
      expect(get.headers['content-type']).toBe('text/plain');
      expect(get.text).toBe(`An error occurred (transaction ${get.headers['x-trans-id']})`);
      expect(get.text).not.toContain('disk on fire');
    } finally {
      await broken.close();
    }
  });
});

describe('paths', () => {
  it('412 for paths that are not UTF-8 or contain NUL', async () => {
    for (const p of ['/v1/AUTH_test/%FF', '/v1/AUTH_test/c%00x', '/v1/AUTH_test/c/%C3%28']) {
      const res = await request(app.app).get(p).set('X-Auth-Token', token);
      expect(res.status).toBe(412);
      expect(res.text).toBe('Invalid UTF8 or contains NULL');
    }
  });

  it('412 Bad URL for paths that name no account/container/object', async () => {
    for (const p of ['/v1', '/v1/', '/foo', '/v1/AUTH_test//o', '/v1//c']) {
      const res = await request(app.app).get(p).set('X-Auth-Token', token);
      expect(res.status, p).toBe(412);
      expect(res.text).toBe('Bad URL');
    }
  });

  it('400 for an unknown API version, 404 for an unsplittable path', async () => {
    let res = await request(app.app).get('/v2/AUTH_test').set('X-Auth-Token', token);
    expect(res.status).toBe(400);
    expect(res.text).toBe('<html><h1>Bad Request</h1><p>The server could not comply with the request since it is either malformed or otherwise incorrect.</p></html>');
    res = await request(app.app).head('/v1.0/AUTH_test').set('X-Auth-Token', token);
    expect(res.status).toBe(204);
    // split_path refuses an empty first segment: "/" and "//v1/..." are 404s in Swift.
    for (const p of ['/', '//v1/AUTH_test']) {
      res = await request(app.app).get(p).set('X-Auth-Token', token);
      expect(res.status, p).toBe(404);
    }
  });
});

describe('methods', () => {
  it('405 with Allow at every level', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/AUTH_test', 'GET, HEAD, OPTIONS, POST'],
      ['/v1/AUTH_test/c', 'DELETE, GET, HEAD, OPTIONS, POST, PUT'],
      ['/v1/AUTH_test/c/o', 'DELETE, GET, HEAD, OPTIONS, POST, PUT'],
    ];
    for (const [path, allow] of cases) {
      const res = await request(app.app).patch(path).set('X-Auth-Token', token);
      expect(res.status).toBe(405);
      expect(res.headers['allow']).toBe(allow);
    }
  });

  it('OPTIONS on an object is 200 with Allow (the copy middleware, always present, adds COPY)', async () => {
    const res = await request(app.app).options('/v1/AUTH_test/c/o').set('X-Auth-Token', token);
    expect(res.status).toBe(200);
    expect(res.headers['allow']).toMatch(/^DELETE, GET, HEAD, OPTIONS, POST, PUT(, COPY)?$/);
  });
});

describe('gatekeeper', () => {
  it('no x-backend-* or sysmeta header ever reaches a client', async () => {
    const answers = [
      await request(app.app).head('/v1/AUTH_test').set('X-Auth-Token', token),
      await request(app.app).head('/v1/AUTH_test/c').set('X-Auth-Token', token),
      await request(app.app).get('/v1/AUTH_test/c?format=json').set('X-Auth-Token', token),
    ];
    for (const res of answers) {
      expect(Object.keys(res.headers).filter((h) => /^x-backend|sysmeta/.test(h))).toEqual([]);
    }
  });
});

describe('metadata limits', () => {
  it('any header value over max_header_size is a 400 naming the header', async () => {
    const res = await request(app.app).post('/v1/AUTH_test/c').set('X-Auth-Token', token).set('X-Container-Meta-Big', 'v'.repeat(8193));
    expect(res.status).toBe(400);
    expect(res.text).toBe('Header value too long: x-container-meta-big');
  });

  it('name, value, count and total size limits hold for accounts and containers', async () => {
    for (const [path, type] of [['/v1/AUTH_test', 'Account'], ['/v1/AUTH_test/c', 'Container']] as const) {
      let res = await request(app.app).post(path).set('X-Auth-Token', token).set(`X-${type}-Meta-${'k'.repeat(129)}`, 'v');
      expect(res.status).toBe(400);
      res = await request(app.app).post(path).set('X-Auth-Token', token).set(`X-${type}-Meta-K`, 'v'.repeat(257));
      expect(res.status).toBe(400);
      let r = request(app.app).post(path).set('X-Auth-Token', token);
      for (let i = 0; i < 91; i++) r = r.set(`X-${type}-Meta-M${i}`, 'v');
      expect((await r).status).toBe(400);
      r = request(app.app).post(path).set('X-Auth-Token', token);
      for (let i = 0; i < 17; i++) r = r.set(`X-${type}-Meta-S${i}`, 'v'.repeat(250));
      expect((await r).status).toBe(400);
      // Nothing of a refused request was stored.
      const head = await request(app.app).head(path).set('X-Auth-Token', token);
      expect(Object.keys(head.headers).filter((h) => h.startsWith(`x-${type.toLowerCase()}-meta-`))).toEqual([]);
    }
  });
});
