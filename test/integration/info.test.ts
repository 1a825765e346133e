/**
 * /info: Swift's capabilities document.
 */
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeApiApp, type ApiTestApp } from '../helpers/app.js';

let app: ApiTestApp;
beforeAll(async () => { app = await makeApiApp(); });
afterAll(async () => { await app.close(); });

it('GET publishes the swift section with every constraint, without auth', async () => {
  const res = await request(app.app).get('/info');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/json; charset=UTF-8');
  const info = JSON.parse(res.text);
  expect(info.swift).toEqual({
    version: '2.30.0',
    strict_cors_mode: true,
    policies: [{ name: 'Policy-0', aliases: 'Policy-0', default: true }],
    allow_account_management: false,
    account_autocreate: true,
    max_file_size: 5368709122,
    max_meta_name_length: 128,
    max_meta_value_length: 256,
    max_meta_count: 90,
    max_meta_overall_size: 4096,
    max_header_size: 8192,
    max_object_name_length: 1024,
    container_listing_limit: 10000,
    account_listing_limit: 10000,
    max_account_name_length: 256,
    max_container_name_length: 256,
    valid_api_versions: ['v1', 'v1.0'],
    extra_header_count: 0,
  });
  expect(info.tempauth).toEqual({ account_acls: true });
  // json.dumps spacing, swift section first.
  expect(res.text.startsWith('{"swift": {"version": "2.30.0", "strict_cors_mode": true, "policies": [{"name": "Policy-0"')).toBe(true);
});

it('HEAD answers the same headers without a body; OPTIONS lists the methods', async () => {
  const get = await request(app.app).get('/info');
  const head = await request(app.app).head('/info');
  expect(head.status).toBe(200);
  expect(head.headers['content-length']).toBe(get.headers['content-length']);
  expect(head.text ?? '').toBe('');
  const opt = await request(app.app).options('/info');
  expect(opt.status).toBe(200);
  expect(opt.headers['allow']).toBe('GET, HEAD, OPTIONS');
});

it('other methods are 405 with Allow', async () => {
  const res = await request(app.app).post('/info');
  expect(res.status).toBe(405);
  expect(res.headers['allow']).toBe('GET, HEAD, OPTIONS');
});

it('admin (signed) requests are 403: no admin key', async () => {
  const res = await request(app.app).get('/info?swiftinfo_sig=abc&swiftinfo_expires=1');
  expect(res.status).toBe(403);
});

it('reflects configured constraints, and 403 when expose_info is off', async () => {
  const other = await makeApiApp({ constraints: { max_file_size: 1000, container_listing_limit: 50 } });
  try {
    const info = JSON.parse((await request(other.app).get('/info')).text);
    expect(info.swift.max_file_size).toBe(1000);
    expect(info.swift.container_listing_limit).toBe(50);
  } finally {
    await other.close();
  }
  const hidden = await makeApiApp({ exposeInfo: false });
  try {
    const res = await request(hidden.app).get('/info');
    expect(res.status).toBe(403);
    expect(res.text).toBe('<html><h1>Forbidden</h1><p>Access was denied to this resource.</p></html>');
  } finally {
    await hidden.close();
  }
});
