/**
 * /healthcheck: Swift's healthcheck middleware, plus the store's health.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeStore } from '../helpers/fake-store.js';
import { makeApiApp, type ApiTestApp } from '../helpers/app.js';

describe('on a healthy volume', () => {
  let app: ApiTestApp;
  beforeAll(async () => { app = await makeApiApp(); });
  afterAll(async () => { await app.close(); });

  it('answers 200 OK as text/plain to any method, before auth', async () => {
    for (const m of ['get', 'head', 'post'] as const) {
      const res = await request(app.app)[m]('/healthcheck');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain');
      if (m !== 'head') expect(res.text).toBe('OK');
      expect(res.headers['x-trans-id']).toBeDefined();
      expect(res.headers['x-cairn-bricks-down']).toBeUndefined();
    }
  });

  it('only the exact path', async () => {
    expect((await request(app.app).get('/healthcheck/')).status).toBe(412);
  });
});

describe('disable_path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-hc-'));
  const flag = join(dir, 'disabled');
  let app: ApiTestApp;
  beforeAll(async () => { app = await makeApiApp({ middleware: { healthcheck: { disable_path: flag } } }); });
  afterAll(async () => { await app.close(); rmSync(dir, { recursive: true, force: true }); });

  it('503 DISABLED BY FILE while the file exists', async () => {
    expect((await request(app.app).get('/healthcheck')).status).toBe(200);
    writeFileSync(flag, '');
    const res = await request(app.app).get('/healthcheck');
    expect(res.status).toBe(503);
    expect(res.text).toBe('DISABLED BY FILE');
    rmSync(flag);
    expect((await request(app.app).get('/healthcheck')).status).toBe(200);
  });
});

describe('store health', () => {
  let app: ApiTestApp;
  beforeAll(async () => { app = await makeApiApp({}, { fake: true }); });
  afterAll(async () => { await app.close(); });

  it('503 naming the bricks when the store cannot serve', async () => {
    (app.store as FakeStore).healthState = {
      ok: false, bricks: [{ id: 'b1', up: false, detail: 'ENOENT' }, { id: 'b2', up: false }, { id: 'b3', up: true }],
    };
    const res = await request(app.app).get('/healthcheck');
    expect(res.status).toBe(503);
    expect(res.text).toBe('STORE UNAVAILABLE: bricks down: b1 (ENOENT), b2');
  });

  it('200 OK with the down bricks named in a header while it still serves', async () => {
    (app.store as FakeStore).healthState = { ok: true, bricks: [{ id: 'b1', up: false }, { id: 'b2', up: true }] };
    const res = await request(app.app).get('/healthcheck');
    expect(res.status).toBe(200);
    expect(res.text).toBe('OK');
    expect(res.headers['x-cairn-bricks-down']).toBe('b1');
  });

  it('names full bricks (serving, but taking no new data) in their own header', async () => {
    (app.store as FakeStore).healthState = {
      ok: true, bricks: [{ id: 'b1', up: true, full: true, detail: 'full' }, { id: 'b2', up: false, readOnly: true }, { id: 'b3', up: true }],
    };
    const res = await request(app.app).get('/healthcheck');
    expect(res.status).toBe(200);
    expect(res.headers['x-cairn-bricks-full']).toBe('b1');
    expect(res.headers['x-cairn-bricks-down']).toBe('b2');
  });
});
