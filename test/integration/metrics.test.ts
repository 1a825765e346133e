/**
 * metrics middleware: /metrics in Prometheus' text format; request counters, latency and bytes move
 * with requests; the store's per-brick errors and state show after a FaultyBrick fails.
 */
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CairnMetrics, requestType } from '../../src/metrics.js';
import { createApp, type CairnApp } from '../../src/server.js';
import { makeBrick } from '../../src/storage/brick-spec.js';
import { FaultyBrick } from '../../src/storage/brick/faulty.js';
import { openVolume, type Volume } from '../../src/storage/volume.js';
import { BASE_PIPELINE, testConfig } from '../helpers/app.js';

const PIPELINE = ['catch_errors', 'metrics', ...BASE_PIPELINE.filter((m) => m !== 'catch_errors')];

/** The value of one sample (`name{labels}`, labels in the order prom-client prints them), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ? m[2].split(/,(?=[a-z_]+=")/) : [];
    if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(m[3]);
  }
  return undefined;
}

interface Rig { app: CairnApp; volume: Volume; faulty: FaultyBrick[]; metrics: CairnMetrics }

async function rig(): Promise<Rig> {
  const n = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const config = testConfig({ pipeline: PIPELINE });
  config.volume = { ...config.volume, id: 'metrics-test', bricks: [1, 2, 3, 4].map((i) => `memory:m${i}-${n}`) };
  const metrics = new CairnMetrics();
  const faulty: FaultyBrick[] = [];
  const volume = await openVolume(config.volume, {
    metrics,
    brickRetryMs: 60_000,
    brickFactory: async (spec, v) => { const b = new FaultyBrick(await makeBrick(spec, v)); faulty.push(b); return b; },
  });
  return { app: createApp(config, volume, pino({ level: 'silent' }), { metrics }), volume, faulty, metrics };
}

async function scrape(app: CairnApp): Promise<string> {
  const res = await request(app.app).get('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text;
}

let r: Rig;
let token: string;
beforeAll(async () => {
  r = await rig();
  const auth = await request(r.app.app).get('/auth/v1.0').set('X-Auth-User', 'test:tester').set('X-Auth-Key', 'testing');
  token = auth.headers['x-auth-token'] as string;
});
afterAll(async () => { await r.volume.close(); });

describe('/metrics', () => {
  it('counts requests by method, type and status, with latency and bytes', async () => {
    const before = await scrape(r.app);
    const puts = sample(before, 'cairn_http_requests_total', { method: 'PUT', type: 'object', status: '201' }) ?? 0;
    expect((await request(r.app.app).put('/v1/AUTH_test/c').set('X-Auth-Token', token)).status).toBe(201);
    const body = Buffer.alloc(5000, 'x');
    for (let i = 0; i < 3; i++) {
      expect((await request(r.app.app).put(`/v1/AUTH_test/c/o${i}`).set('X-Auth-Token', token).send(body)).status).toBe(201);
    }
    const got = await request(r.app.app).get('/v1/AUTH_test/c/o1').set('X-Auth-Token', token);
    expect(got.status).toBe(200);
    expect((await request(r.app.app).get('/v1/AUTH_test/c/missing').set('X-Auth-Token', token)).status).toBe(404);
    expect((await request(r.app.app).get('/v1/AUTH_test/c').set('X-Auth-Token', 'AUTH_tkbogus')).status).toBe(401);

    const after = await scrape(r.app);
    expect(sample(after, 'cairn_http_requests_total', { method: 'PUT', type: 'object', status: '201' })).toBe(puts + 3);
    expect(sample(after, 'cairn_http_requests_total', { method: 'PUT', type: 'container', status: '201' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'cairn_http_requests_total', { method: 'GET', type: 'object', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'cairn_http_requests_total', { method: 'GET', type: 'object', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'cairn_http_requests_total', { method: 'GET', type: 'container', status: '401' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'cairn_http_requests_total', { method: 'GET', type: 'auth', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'cairn_http_request_bytes_total', { method: 'PUT', type: 'object' })).toBeGreaterThanOrEqual(15000);
    expect(sample(after, 'cairn_http_response_bytes_total', { method: 'GET', type: 'object' })).toBeGreaterThanOrEqual(5000);
    expect(sample(after, 'cairn_http_request_duration_seconds_count', { method: 'PUT', type: 'object' })).toBe(puts + 3);
    expect(sample(after, 'cairn_http_requests_in_flight')).toBe(1); // the scrape itself
    // Brick calls were timed, and every brick is up.
    const brick = r.faulty[0]!.id;
    expect(sample(after, 'cairn_brick_call_duration_seconds_count', { brick })).toBeGreaterThan(0);
    for (const b of r.faulty) expect(sample(after, 'cairn_brick_up', { brick: b.id })).toBe(1);
    // Process metrics and the heal/rebalance gauges are there (others feed those).
    expect(after).toMatch(/^process_cpu_user_seconds_total /m);
    expect(after).toMatch(/^cairn_heal_running 0$/m);
    expect(after).toMatch(/^cairn_rebalance_objects\{state="moved"\} 0$/m);
  });

  it('counts brick errors by brick and code after a FaultyBrick fails, and shows it down', async () => {
    const bad = r.faulty[0]!;
    bad.fail('all');
    try {
      // Enough objects that some land on the failing brick's replica set.
      for (let i = 0; i < 8; i++) {
        const res = await request(r.app.app).put(`/v1/AUTH_test/c/f${i}`).set('X-Auth-Token', token).send('data');
        expect([201, 503]).toContain(res.status);
      }
      const text = await scrape(r.app);
      expect(sample(text, 'cairn_brick_errors_total', { brick: bad.id, code: 'BRICK_UNAVAILABLE' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'cairn_brick_up', { brick: bad.id })).toBe(0);
      expect(sample(text, 'cairn_brick_up', { brick: r.faulty[2]!.id })).toBe(1);
      expect(sample(text, 'cairn_brick_errors_total', { brick: r.faulty[2]!.id, code: 'BRICK_UNAVAILABLE' })).toBeUndefined();
    } finally {
      bad.fail('none');
    }
  });

  it('takes heal and rebalance progress from the store side', async () => {
    r.metrics.healProgress({ running: true, pending: 12, healed: 3, failed: 1 });
    r.metrics.rebalanceProgress({ running: true, scanned: 100, moved: 40, failed: 2, bytes: 4096, containers: 1 });
    const text = await scrape(r.app);
    expect(sample(text, 'cairn_heal_running')).toBe(1);
    expect(sample(text, 'cairn_heal_pending_entries')).toBe(12);
    expect(sample(text, 'cairn_heal_entries', { result: 'healed' })).toBe(3);
    expect(sample(text, 'cairn_rebalance_objects', { state: 'moved' })).toBe(40);
    expect(sample(text, 'cairn_rebalance_moved_bytes')).toBe(4096);
  });

  it('answers HEAD, refuses other methods with 405, and needs no token', async () => {
    expect((await request(r.app.app).head('/metrics')).status).toBe(200);
    const post = await request(r.app.app).post('/metrics');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
  });

  it('serves at a configured path, and validates its options naming the key', async () => {
    const config = testConfig({ pipeline: PIPELINE, middleware: { ...testConfig().middleware, metrics: { path: '/_prom', process_metrics: false } } });
    config.volume = { ...config.volume, bricks: config.volume.bricks.map((b) => `${b}-path-${process.pid}`) };
    const volume = await openVolume(config.volume);
    try {
      const app = createApp(config, volume, pino({ level: 'silent' }));
      const res = await request(app.app).get('/_prom');
      expect(res.status).toBe(200);
      expect(res.text).toContain('cairn_http_requests_total');
      expect(res.text).not.toContain('process_cpu_user_seconds_total');
      const bad = testConfig({ pipeline: PIPELINE, middleware: { metrics: { path: 'metrics' } } });
      expect(() => createApp(bad, volume, pino({ level: 'silent' }))).toThrow('config: middleware.metrics.path');
    } finally {
      await volume.close();
    }
  });
});

describe('requestType', () => {
  it('tells accounts, containers and objects apart as Swift paths', () => {
    expect(requestType('/v1/AUTH_test')).toBe('account');
    expect(requestType('/v1/AUTH_test/')).toBe('account');
    expect(requestType('/v1/AUTH_test/c')).toBe('container');
    expect(requestType('/v1/AUTH_test/c/')).toBe('container');
    expect(requestType('/v1/AUTH_test/c/o')).toBe('object');
    expect(requestType('/v1/AUTH_test/c/a/b/')).toBe('object');
    expect(requestType('/auth/v1.0')).toBe('auth');
    expect(requestType('/info')).toBe('info');
    expect(requestType('/healthcheck')).toBe('healthcheck');
    expect(requestType('/v1')).toBe('other');
    expect(requestType('/favicon.ico')).toBe('other');
  });
});
