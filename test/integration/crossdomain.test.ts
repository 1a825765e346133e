import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMwApp, type MwApp } from '../helpers/middleware-app.js';

let app: MwApp;
beforeAll(async () => { app = await makeMwApp({ only: ['crossdomain'] }); });
afterAll(async () => { await app.close(); });

describe('crossdomain', () => {
  it('serves the default policy without auth', async () => {
    const r = await request(app.app).get('/crossdomain.xml');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/xml/);
    expect(r.text).toBe('<?xml version="1.0"?>\n'
      + '<!DOCTYPE cross-domain-policy SYSTEM "http://www.adobe.com/xml/dtds/cross-domain-policy.dtd" >\n'
      + '<cross-domain-policy>\n<allow-access-from domain="*" secure="false" />\n</cross-domain-policy>');
  });

  it('only answers GET, and is listed in /info', async () => {
    expect((await request(app.app).post('/crossdomain.xml')).status).not.toBe(200);
    expect((await request(app.app).get('/info')).body.crossdomain).toEqual({});
  });

  it('serves a configured multi-line policy', async () => {
    const a = await makeMwApp({ only: ['crossdomain'], middleware: { crossdomain: {
      cross_domain_policy: '<allow-access-from domain="x.example.com" />\n    <allow-access-from domain="y.example.com" />' } } });
    try {
      const r = await request(a.app).get('/crossdomain.xml');
      expect(r.text).toContain('<cross-domain-policy>\n<allow-access-from domain="x.example.com" />\n'
        + '<allow-access-from domain="y.example.com" />\n</cross-domain-policy>');
    } finally {
      await a.close();
    }
  });
});
