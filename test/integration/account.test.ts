/**
 * Account HEAD/GET/POST/PUT/DELETE as Swift's proxy + account server answer them.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authToken, makeApiApp, seedObject, type ApiTestApp } from '../helpers/app.js';

let app: ApiTestApp;
let token: string;
let admin: string;
beforeAll(async () => {
  app = await makeApiApp();
  token = (await authToken(app)).token;
  admin = (await authToken(app, 'admin:admin', 'admin')).token;
});
afterAll(async () => { await app.close(); });

const acct = (path = '/v1/AUTH_test') => ({
  head: () => request(app.app).head(path).set('X-Auth-Token', token),
  get: (q = '') => request(app.app).get(path + q).set('X-Auth-Token', token),
  post: () => request(app.app).post(path).set('X-Auth-Token', token),
});

describe('a never-created account (account_autocreate)', () => {
  it('HEAD is 204 with zero counts and no per-policy headers', async () => {
    const res = await request(app.app).head('/v1/AUTH_fresh').set('X-Auth-Token', admin);
    expect(res.status).toBe(204);
    expect(res.headers['x-account-container-count']).toBe('0');
    expect(res.headers['x-account-object-count']).toBe('0');
    expect(res.headers['x-account-bytes-used']).toBe('0');
    expect(res.headers['x-timestamp']).toMatch(/^\d{10}\.\d{5}$/);
    expect(res.headers['x-put-timestamp']).toMatch(/^\d{10}\.\d{5}$/);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['content-length']).toBe('0');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(Object.keys(res.headers).some((h) => h.startsWith('x-account-storage-policy-'))).toBe(false);
  });

  it('GET lists nothing: 204 as text, [] as JSON, an empty document as XML', async () => {
    let res = await request(app.app).get('/v1/AUTH_fresh').set('X-Auth-Token', admin);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    res = await request(app.app).get('/v1/AUTH_fresh?format=json').set('X-Auth-Token', admin);
    expect(res.status).toBe(200);
    expect(res.text).toBe('[]');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    res = await request(app.app).get('/v1/AUTH_fresh?format=xml').set('X-Auth-Token', admin);
    expect(res.status).toBe(200);
    expect(res.text).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<account name="AUTH_fresh">\n</account>');
  });

  it('a container PUT creates it', async () => {
    const { token: t2 } = await authToken(app, 'test2:tester2', 'testing2');
    expect((await request(app.app).put('/v1/AUTH_test2/first').set('X-Auth-Token', t2)).status).toBe(201);
    const res = await request(app.app).head('/v1/AUTH_test2').set('X-Auth-Token', t2);
    expect(res.status).toBe(204);
    expect(Number(res.headers['x-account-container-count'])).toBeGreaterThanOrEqual(1);
  });
});

describe('counts', () => {
  it('reports containers, objects, bytes and per-policy stats', async () => {
    const { token: t } = await authToken(app, 'admin:admin', 'admin');
    await request(app.app).put('/v1/AUTH_counted/c1').set('X-Auth-Token', t).expect(201);
    await request(app.app).put('/v1/AUTH_counted/c2').set('X-Auth-Token', t).expect(201);
    await seedObject(app, 'AUTH_counted', 'c1', 'o1', 'hello');
    await seedObject(app, 'AUTH_counted', 'c2', 'o2', 'hello world');
    const res = await request(app.app).head('/v1/AUTH_counted').set('X-Auth-Token', t);
    expect(res.status).toBe(204);
    expect(res.headers['x-account-container-count']).toBe('2');
    expect(res.headers['x-account-object-count']).toBe('2');
    expect(res.headers['x-account-bytes-used']).toBe('16');
    expect(res.headers['x-account-storage-policy-policy-0-container-count']).toBe('2');
    expect(res.headers['x-account-storage-policy-policy-0-object-count']).toBe('2');
    expect(res.headers['x-account-storage-policy-policy-0-bytes-used']).toBe('16');
  });
});

describe('metadata', () => {
  it('POST sets, X-Remove-* and empty values remove', async () => {
    let res = await acct().post().set('X-Account-Meta-Color', 'blue').set('X-Account-Meta-Shape', 'round')
      .set('X-Account-Meta-Size', 'big');
    expect(res.status).toBe(204);
    expect(res.headers['content-type']).toBe('text/html; charset=UTF-8');
    expect(res.text).toBe('');
    res = await acct().head();
    expect(res.headers['x-account-meta-color']).toBe('blue');
    expect(res.headers['x-account-meta-shape']).toBe('round');
    await acct().post().set('X-Remove-Account-Meta-Color', 'x').set('X-Account-Meta-Shape', '').expect(204);
    res = await acct().head();
    expect(res.headers['x-account-meta-color']).toBeUndefined();
    expect(res.headers['x-account-meta-shape']).toBeUndefined();
    expect(res.headers['x-account-meta-size']).toBe('big');
  });

  it('keeps UTF-8 values', async () => {
    await acct().post().set('X-Account-Meta-Name', Buffer.from('café', 'utf8').toString('latin1')).expect(204);
    const res = await acct().head();
    expect(Buffer.from(res.headers['x-account-meta-name'] as string, 'latin1').toString('utf8')).toBe('café');
  });

  it('ignores client-sent sysmeta (gatekeeper)', async () => {
    await acct().post().set('X-Account-Sysmeta-Secret', 'x').expect(204);
    const res = await acct().head();
    expect(res.headers['x-account-sysmeta-secret']).toBeUndefined();
  });

  it('enforces Swift\'s metadata limits with Swift\'s messages', async () => {
    let res = await acct().post().set(`X-Account-Meta-${'n'.repeat(129)}`, 'v');
    expect(res.status).toBe(400);
    expect(res.text).toBe(`Metadata name too long: x-account-meta-N${'n'.repeat(128)}`);
    expect(res.headers['content-type']).toBe('text/plain');
    res = await acct().post().set('X-Account-Meta-Long', 'v'.repeat(257));
    expect(res.status).toBe(400);
    expect(res.text).toBe('Metadata value longer than 256: x-account-meta-Long');
    let r = acct().post();
    for (let i = 0; i < 91; i++) r = r.set(`X-Account-Meta-K${i}`, 'v');
    res = await r;
    expect(res.status).toBe(400);
    expect(res.text).toBe('Too many metadata items; max 90');
    r = acct().post();
    for (let i = 0; i < 17; i++) r = r.set(`X-Account-Meta-Big${i}`, 'v'.repeat(250));
    res = await r;
    expect(res.status).toBe(400);
    expect(res.text).toBe('Total metadata too large; max 4096');
    // Exactly at the limits is fine.
    res = await acct().post().set(`X-Account-Meta-${'n'.repeat(128)}`, 'v'.repeat(256));
    expect(res.status).toBe(204);
  });

  it('counts already stored metadata toward the limits', async () => {
    const path = '/v1/AUTH_metafull';
    let r = request(app.app).post(path).set('X-Auth-Token', admin);
    for (let i = 0; i < 90; i++) r = r.set(`X-Account-Meta-K${i}`, 'v');
    expect((await r).status).toBe(204);
    const res = await request(app.app).post(path).set('X-Auth-Token', admin).set('X-Account-Meta-One-More', 'v');
    expect(res.status).toBe(400);
    expect(res.text).toBe('Too many metadata items; max 90');
  });

  it('shows temp-url keys to the owner only', async () => {
    await acct().post().set('X-Account-Meta-Temp-URL-Key', 'secret').expect(204);
    expect((await acct().head()).headers['x-account-meta-temp-url-key']).toBe('secret');
  });
});

describe('names and methods', () => {
  it('refuses account names over 256 bytes', async () => {
    const name = `AUTH_${'a'.repeat(252)}`;
    const res = await request(app.app).head(`/v1/${name}`).set('X-Auth-Token', admin);
    expect(res.status).toBe(400);
    const get = await request(app.app).get(`/v1/${name}`).set('X-Auth-Token', admin);
    expect(get.text).toBe('Account name length of 257 longer than 256');
  });

  it('PUT and DELETE are 405 (allow_account_management off) once authorized', async () => {
    for (const m of ['put', 'delete'] as const) {
      const res = await request(app.app)[m]('/v1/AUTH_test').set('X-Auth-Token', admin);
      expect(res.status).toBe(405);
      expect(res.headers['allow']).toBe('GET, HEAD, OPTIONS, POST');
      expect(res.text).toBe('<html><h1>Method Not Allowed</h1><p>The method is not allowed for this resource.</p></html>');
      // An account owner is not allowed account PUT/DELETE at all.
      expect((await request(app.app)[m]('/v1/AUTH_test').set('X-Auth-Token', token)).status).toBe(403);
    }
    expect((await request(app.app).delete('/v1/AUTH_test?bulk-delete').set('X-Auth-Token', admin)).status).toBe(400);
  });

  it('OPTIONS is 200 with Allow; unknown methods are 405', async () => {
    let res = await request(app.app).options('/v1/AUTH_test').set('X-Auth-Token', token);
    expect(res.status).toBe(200);
    expect(res.headers['allow']).toBe('GET, HEAD, OPTIONS, POST');
    res = await request(app.app).patch('/v1/AUTH_test').set('X-Auth-Token', token);
    expect(res.status).toBe(405);
    expect(res.headers['allow']).toBe('GET, HEAD, OPTIONS, POST');
  });

  it('GET lists containers as plain text with Vary: Accept', async () => {
    const t = admin;
    await request(app.app).put('/v1/AUTH_lister/b').set('X-Auth-Token', t).expect(201);
    await request(app.app).put('/v1/AUTH_lister/a').set('X-Auth-Token', t).expect(201);
    const res = await request(app.app).get('/v1/AUTH_lister').set('X-Auth-Token', t);
    expect(res.status).toBe(200);
    expect(res.text).toBe('a\nb\n');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['vary']).toBe('Accept');
    expect(res.headers['x-account-container-count']).toBe('2');
  });
});
