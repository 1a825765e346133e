import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMwApp, putContainer, putObject, type MwApp } from '../helpers/middleware-app.js';

let app: MwApp;
const GOOD = 'http://good.example';
beforeAll(async () => {
  app = await makeMwApp({ only: ['cors'], middleware: { cors: { cors_allow_origin: 'http://global.example' } } });
  await putContainer(app, 'c', { 'X-Container-Meta-Access-Control-Allow-Origin': `${GOOD} http://other.example`,
    'X-Container-Meta-Access-Control-Max-Age': '600', 'X-Container-Meta-Access-Control-Expose-Headers': 'X-Foo' });
  await putObject(app, 'c/o', 'data', { 'X-Object-Meta-Color': 'red' });
  await putContainer(app, 'star', { 'X-Container-Meta-Access-Control-Allow-Origin': '*' });
  await putObject(app, 'star/o', 'data');
});
afterAll(async () => { await app.close(); });

const preflight = (path: string, origin: string, method = 'GET') => request(app.app)
  .options(`${app.accountPath}/${path}`).set('Origin', origin).set('Access-Control-Request-Method', method);

describe('cors preflight', () => {
  it('allows a listed origin with the container\'s settings', async () => {
    const r = await preflight('c/o', GOOD).set('Access-Control-Request-Headers', 'x-auth-token, content-type');
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(GOOD);
    expect(r.headers['access-control-max-age']).toBe('600');
    expect(r.headers['access-control-allow-methods']).toBe('DELETE, GET, HEAD, OPTIONS, POST, PUT');
    expect(r.headers['access-control-allow-headers']).toBe('x-auth-token, content-type');
    expect(r.headers['vary']).toBe('Origin, Access-Control-Request-Headers');
    expect(r.headers['allow']).toBe('DELETE, GET, HEAD, OPTIONS, POST, PUT');
  });

  it('refuses an unknown origin or method with 401', async () => {
    expect((await preflight('c/o', 'http://evil.example')).status).toBe(401);
    expect((await preflight('c/o', GOOD, 'PATCH')).status).toBe(401);
    expect((await request(app.app).options(`${app.accountPath}/c/o`).set('Origin', GOOD)).status).toBe(401);
  });

  it('allows the operator\'s cors_allow_origin everywhere and "*" containers for all', async () => {
    expect((await preflight('c', 'http://global.example')).status).toBe(200);
    const star = await preflight('star/o', 'http://anyone.example');
    expect(star.status).toBe(200);
    expect(star.headers['access-control-allow-origin']).toBe('*');
  });

  it('leaves OPTIONS without Origin to the proxy', async () => {
    const r = await request(app.app).options(`${app.accountPath}/c/o`);
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('cors on actual requests', () => {
  it('adds Allow-Origin and Expose-Headers for an allowed origin', async () => {
    const r = await request(app.app).get(`${app.accountPath}/c/o`).set('X-Auth-Token', app.token).set('Origin', GOOD);
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(GOOD);
    expect(r.headers['vary']).toContain('Origin');
    const exposed = (r.headers['access-control-expose-headers'] as string).split(', ');
    for (const h of ['etag', 'x-timestamp', 'x-trans-id', 'content-type', 'x-object-meta-color', 'x-foo']) {
      expect(exposed).toContain(h);
    }
  });

  it('adds nothing for a disallowed origin (strict_cors_mode) or without Origin', async () => {
    const bad = await request(app.app).get(`${app.accountPath}/c/o`).set('X-Auth-Token', app.token).set('Origin', 'http://evil.example');
    expect(bad.status).toBe(200);
    expect(bad.headers['access-control-allow-origin']).toBeUndefined();
    const none = await request(app.app).get(`${app.accountPath}/c/o`).set('X-Auth-Token', app.token);
    expect(none.headers['access-control-expose-headers']).toBeUndefined();
  });

  it('answers "*" containers with Allow-Origin *', async () => {
    const r = await request(app.app).get(`${app.accountPath}/star/o`).set('X-Auth-Token', app.token).set('Origin', 'http://x.example');
    expect(r.headers['access-control-allow-origin']).toBe('*');
  });

  it('without strict_cors_mode, answers any origin', async () => {
    const a = await makeMwApp({ only: ['cors'], middleware: { cors: { strict_cors_mode: false } } });
    try {
      await putContainer(a, 'c');
      await putObject(a, 'c/o', 'x');
      const r = await request(a.app).get(`${a.accountPath}/c/o`).set('X-Auth-Token', a.token).set('Origin', 'http://any.example');
      expect(r.headers['access-control-allow-origin']).toBe('http://any.example');
      expect((await request(a.app).get('/info')).body.swift.strict_cors_mode).toBe(false);
    } finally {
      await a.close();
    }
  });
});
