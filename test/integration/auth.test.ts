/**
 * TempAuth: the token endpoint and the request gate, against Swift's tempauth behaviour.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authToken, makeApiApp, type ApiTestApp } from '../helpers/app.js';

let app: ApiTestApp;
beforeAll(async () => { app = await makeApiApp(); });
afterAll(async () => { await app.close(); });

const UNAUTH_BODY = '<html><h1>Unauthorized</h1><p>This server could not verify that you are authorized to access the document you requested.</p></html>';
const FORBIDDEN_BODY = '<html><h1>Forbidden</h1><p>Access was denied to this resource.</p></html>';

describe('token endpoint', () => {
  it('hands out a token and storage URL for X-Auth-User/X-Auth-Key', async () => {
    const res = await request(app.app).get('/auth/v1.0').set('Host', 'swift.example.com:8080')
      .set('X-Auth-User', 'test:tester').set('X-Auth-Key', 'testing');
    expect(res.status).toBe(200);
    // Signed by default (tempauth/signed-tokens.ts): AUTH_tk, a base64url payload, '.', the MAC.
    expect(res.headers['x-auth-token']).toMatch(/^AUTH_tk[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(res.headers['x-storage-token']).toBe(res.headers['x-auth-token']);
    expect(res.headers['x-storage-url']).toBe('http://swift.example.com:8080/v1/AUTH_test');
    const left = Number(res.headers['x-auth-token-expires']);
    expect(left).toBeGreaterThanOrEqual(86398);
    expect(left).toBeLessThanOrEqual(86400);
    expect(res.headers['content-type']).toBe('text/html; charset=UTF-8');
    expect(res.text).toBe('');
    expect(res.headers['x-trans-id']).toMatch(/^tx[0-9a-f]{21}-[0-9a-f]{10}$/);
  });

  it('gives the same live token to the same user again', async () => {
    const a = await authToken(app, 'test2:tester2', 'testing2');
    const b = await authToken(app, 'test2:tester2', 'testing2');
    expect(b.token).toBe(a.token);
    const c = await authToken(app, 'test:tester2', 'testing2');
    expect(c.token).not.toBe(a.token);
  });

  it('accepts X-Storage-User/X-Storage-Pass on /auth/v1.0 and /auth/auth', async () => {
    for (const p of ['/auth/v1.0', '/auth/auth']) {
      const res = await request(app.app).get(p).set('X-Storage-User', 'test:tester').set('X-Storage-Pass', 'testing');
      expect(res.status).toBe(200);
      expect(res.headers['x-storage-url']).toMatch(/\/v1\/AUTH_test$/);
    }
  });

  it('accepts /auth/v1/<account>/auth with a bare X-Storage-User', async () => {
    const res = await request(app.app).get('/auth/v1/test/auth').set('X-Storage-User', 'tester').set('X-Storage-Pass', 'testing');
    expect(res.status).toBe(200);
    expect(res.headers['x-storage-url']).toMatch(/\/v1\/AUTH_test$/);
  });

  it('refuses an X-Auth-User of another account on /auth/v1/<account>/auth', async () => {
    const res = await request(app.app).get('/auth/v1/test2/auth').set('X-Auth-User', 'test:tester').set('X-Auth-Key', 'testing');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Swift realm="test2"');
  });

  it('answers 401 with the realm for bad credentials', async () => {
    let res = await request(app.app).get('/auth/v1.0').set('X-Auth-User', 'test:tester').set('X-Auth-Key', 'wrong');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Swift realm="test"');
    expect(res.text).toBe(UNAUTH_BODY);
    res = await request(app.app).get('/auth/v1.0').set('X-Auth-User', 'nobody:tester').set('X-Auth-Key', 'testing');
    expect(res.status).toBe(401);
    res = await request(app.app).get('/auth/v1.0');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Swift realm="unknown"');
    res = await request(app.app).get('/auth/v1.0').set('X-Auth-User', 'testtester').set('X-Auth-Key', 'testing');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Swift realm="unknown"');
  });

  it('answers 405 to other methods, 400 to unknown versions', async () => {
    let res = await request(app.app).post('/auth/v1.0').set('X-Auth-User', 'test:tester').set('X-Auth-Key', 'testing');
    expect(res.status).toBe(405);
    res = await request(app.app).get('/auth/v2').set('X-Auth-User', 'test:tester').set('X-Auth-Key', 'testing');
    expect(res.status).toBe(400);
  });

  it('honours token_life and storage_url_scheme', async () => {
    const other = await makeApiApp({
      middleware: { tempauth: { users: [{ account: 'test', user: 'tester', key: 'testing', groups: ['.admin'] }],
                                token_life: 1, storage_url_scheme: 'https' } },
    });
    try {
      const res = await request(other.app).get('/auth/v1.0').set('Host', 'h:1').set('X-Auth-User', 'test:tester').set('X-Auth-Key', 'testing');
      expect(res.headers['x-storage-url']).toBe('https://h:1/v1/AUTH_test');
      expect(Number(res.headers['x-auth-token-expires'])).toBeLessThanOrEqual(1);
      const token = res.headers['x-auth-token'] as string;
      expect((await request(other.app).head('/v1/AUTH_test').set('X-Auth-Token', token)).status).toBe(204);
      await new Promise((r) => setTimeout(r, 1100));
      const late = await request(other.app).head('/v1/AUTH_test').set('X-Auth-Token', token);
      expect(late.status).toBe(401);
      expect(late.headers['www-authenticate']).toBe('Swift realm="AUTH_test"');
    } finally {
      await other.close();
    }
  });

  it('uses a configured storage URL with $HOST', async () => {
    const other = await makeApiApp({
      middleware: { tempauth: { users: [{ account: 'x', user: 'y', key: 'z', groups: ['.admin'], url: '$HOST/v1/AUTH_custom' }] } },
    });
    try {
      const res = await request(other.app).get('/auth/v1.0').set('Host', 'h:2').set('X-Auth-User', 'x:y').set('X-Auth-Key', 'z');
      expect(res.headers['x-storage-url']).toBe('http://h:2/v1/AUTH_custom');
    } finally {
      await other.close();
    }
  });
});

describe('request gate', () => {
  it('answers 401 for an unknown token of our prefix, with the account as realm', async () => {
    const res = await request(app.app).get('/v1/AUTH_test').set('X-Auth-Token', 'AUTH_tkbogus');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Swift realm="AUTH_test"');
  });

  it('treats requests without a token (or with a foreign one) as anonymous: 401', async () => {
    for (const token of [undefined, 'othertoken']) {
      const r = request(app.app).get('/v1/AUTH_test/c');
      const res = token ? await r.set('X-Auth-Token', token) : await r;
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Swift realm="AUTH_test"');
    }
  });

  it('accepts the token as X-Storage-Token too', async () => {
    const { token } = await authToken(app);
    expect((await request(app.app).head('/v1/AUTH_test').set('X-Storage-Token', token)).status).toBe(204);
  });

  it('lets an .admin user own its account and nobody else\'s', async () => {
    const { token } = await authToken(app);
    expect((await request(app.app).head('/v1/AUTH_test').set('X-Auth-Token', token)).status).toBe(204);
    const res = await request(app.app).get('/v1/AUTH_test2').set('X-Auth-Token', token);
    expect(res.status).toBe(403);
    expect(res.text).toBe(FORBIDDEN_BODY);
  });

  it('gives a user without .admin no access to its own account', async () => {
    const { token } = await authToken(app, 'test:tester3', 'testing3');
    expect((await request(app.app).get('/v1/AUTH_test').set('X-Auth-Token', token)).status).toBe(403);
    expect((await request(app.app).put('/v1/AUTH_test/nope').set('X-Auth-Token', token)).status).toBe(403);
  });

  it('refuses accounts outside the reseller prefixes (403 known user, 401 anonymous)', async () => {
    const { token } = await authToken(app);
    expect((await request(app.app).head('/v1/OTHER_test').set('X-Auth-Token', token)).status).toBe(403);
    const anon = await request(app.app).head('/v1/OTHER_test');
    expect(anon.status).toBe(401);
  });

  it('lets a reseller admin into any account but not reserved dot accounts', async () => {
    const { token } = await authToken(app, 'admin:admin', 'admin');
    expect((await request(app.app).head('/v1/AUTH_test').set('X-Auth-Token', token)).status).toBe(204);
    expect((await request(app.app).put('/v1/AUTH_test2/fromadmin').set('X-Auth-Token', token)).status).toBe(201);
    expect((await request(app.app).head('/v1/AUTH_.hidden').set('X-Auth-Token', token)).status).toBe(403);
  });

  it('gives .admin users their account under every prefix (SERVICE_ too, no require_group)', async () => {
    const { token } = await authToken(app);
    expect((await request(app.app).head('/v1/SERVICE_test').set('X-Auth-Token', token)).status).toBe(204);
  });

  it('enforces require_group per prefix and accepts it through X-Service-Token', async () => {
    const other = await makeApiApp({
      middleware: { tempauth: {
        reseller_prefix: ['AUTH_', 'SERVICE'], require_group: { SERVICE: 'service' },
        users: [
          { account: 'test', user: 'tester', key: 'testing', groups: ['.admin'] },
          { account: 'test5', user: 'tester5', key: 'testing5', groups: ['service'] },
        ],
      } },
    });
    try {
      const user = await authToken(other);
      const svc = await authToken(other, 'test5:tester5', 'testing5');
      expect((await request(other.app).head('/v1/AUTH_test').set('X-Auth-Token', user.token)).status).toBe(204);
      expect((await request(other.app).head('/v1/SERVICE_test').set('X-Auth-Token', user.token)).status).toBe(403);
      expect((await request(other.app).head('/v1/SERVICE_test').set('X-Auth-Token', user.token)
        .set('X-Service-Token', svc.token)).status).toBe(204);
      // A service token alone is no user token.
      expect((await request(other.app).head('/v1/SERVICE_test').set('X-Auth-Token', svc.token)).status).toBe(403);
    } finally {
      await other.close();
    }
  });

  it('publishes tempauth in /info', async () => {
    const res = await request(app.app).get('/info');
    expect(JSON.parse(res.text).tempauth).toEqual({ account_acls: true });
  });
});
