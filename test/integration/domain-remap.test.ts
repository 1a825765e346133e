import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMwApp, putContainer, putObject, type MwApp } from '../helpers/middleware-app.js';

let app: MwApp;
beforeAll(async () => {
  app = await makeMwApp({ only: ['domain_remap', 'staticweb'], middleware: { domain_remap: { storage_domain: 'example.com' } } });
  await putContainer(app, 'c');
  await putObject(app, 'c/o', 'remapped', { 'Content-Type': 'text/plain' });
  await putObject(app, 'c/dir/x', 'x', { 'Content-Type': 'text/plain' });
});
afterAll(async () => { await app.close(); });

describe('domain_remap', () => {
  it('maps <container>.<account>.<storage_domain> to /v1/<account>/<container>', async () => {
    const r = await request(app.app).get('/o').set('Host', 'c.AUTH-test.example.com').set('X-Auth-Token', app.token);
    expect(r.status).toBe(200);
    expect(r.text).toBe('remapped');
  });

  it('maps <account>.<storage_domain> with the container in the path, keeping the port out', async () => {
    const r = await request(app.app).get('/c/o').set('Host', 'auth-test.example.com:8080').set('X-Auth-Token', app.token);
    expect(r.status).toBe(200);
    expect(r.text).toBe('remapped');
  });

  it('reads a UTF-8 container name in the Host header (sent as raw bytes) as UTF-8', async () => {
    await putContainer(app, encodeURIComponent('sw\u2603'));
    await putObject(app, `${encodeURIComponent('sw\u2603')}/o`, 'snowman');
    const host = `${Buffer.from('sw\u2603', 'utf8').toString('latin1')}.AUTH_test.example.com`;
    const r = await request(app.app).get('/o').set('Host', host).set('X-Auth-Token', app.token);
    expect(r.status).toBe(200);
    expect(r.text).toBe('snowman');
    // Bytes that are not UTF-8 make a path that is not UTF-8: 412, as Swift answers.
    const bad = await request(app.app).get('/o').set('Host', '\xff.AUTH_test.example.com').set('X-Auth-Token', app.token);
    expect(bad.status).toBe(412);
  });

  it('refuses more than two labels before the storage domain', async () => {
    const r = await request(app.app).get('/o').set('Host', 'a.b.c.example.com');
    expect(r.status).toBe(400);
    expect(r.text).toBe('Bad domain in host header');
  });

  it('leaves other hosts and accounts without a known reseller prefix alone', async () => {
    const other = await request(app.app).get(`${app.accountPath}/c/o`).set('Host', 'storage.other.org').set('X-Auth-Token', app.token);
    expect(other.text).toBe('remapped');
    const unknown = await request(app.app).get('/c/o').set('Host', 'test.example.com').set('X-Auth-Token', app.token);
    expect(unknown.status).not.toBe(200);
  });

  it('maps redirect locations back to the client\'s own path', async () => {
    await request(app.app).post(`${app.accountPath}/c`).set('X-Auth-Token', app.token)
      .set('X-Container-Meta-Web-Listings', 'true');
    const r = await request(app.app).get('/dir').set('Host', 'c.AUTH-test.example.com').set('X-Auth-Token', app.token)
      .set('X-Web-Mode', 'true');
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe('http://c.AUTH-test.example.com/dir/');
  });
});

describe('domain_remap default_reseller_prefix', () => {
  it('adds the default prefix and publishes it in /info', async () => {
    const a = await makeMwApp({ only: ['domain_remap'], middleware: { domain_remap: { storage_domain: ['example.com'],
      default_reseller_prefix: 'AUTH' } } });
    try {
      await putContainer(a, 'd');
      await putObject(a, 'd/o', 'default prefix', { 'Content-Type': 'text/plain' });
      const r = await request(a.app).get('/o').set('Host', 'd.test.example.com').set('X-Auth-Token', a.token);
      expect(r.status).toBe(200);
      expect(r.text).toBe('default prefix');
      expect((await request(a.app).get('/info')).body.domain_remap).toEqual({ default_reseller_prefix: 'AUTH' });
    } finally {
      await a.close();
    }
  });
});
