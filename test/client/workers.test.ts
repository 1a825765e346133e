/**
 * `cairn serve --workers 2` as a client meets it: a child process (the built dist/) on a random
 * 127.0.0.1 port over four local bricks that both workers open. Connections are spread over the
 * workers by the cluster primary, so over several keep-alive connections every kind of request lands
 * on both: a token issued by one worker must be accepted by the other, every write must be visible
 * to reads on either, listings and counts must agree, and /metrics must add both workers up.
 * Every answer is checked; the access log's pids prove both workers served.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authOverPool, spawnServe, type ServeProcess } from './server.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CONNECTIONS = 8;

interface Server extends ServeProcess { dir: string }

async function startWorkers(workers: number): Promise<Server> {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npx tsc -p .` (npm test does)');
  const dir = mkdtempSync(join(tmpdir(), 'cairn-workers-'));
  const config = {
    storage: { root: join(dir, 'storage') },
    volume: { id: 'workers-test', bricks: ['b1', 'b2', 'b3', 'b4'], replica: 2, fsync: false },
    pipeline: ['catch_errors', 'metrics', 'gatekeeper', 'healthcheck', 'proxy-logging', 'listing_formats', 'tempauth'],
    middleware: {
      tempauth: { reseller_prefix: ['AUTH_'], users: [
        { account: 'test', user: 'tester', key: 'testing', groups: ['.admin'] },
        { account: 'test', user: 'tester3', key: 'testing3', groups: [] },
      ] },
    },
    // info: the access lines carry each worker's pid.
    log: { level: 'info', format: 'json' },
  };
  const file = join(dir, 'cairn.yaml');
  writeFileSync(file, stringify(config));
  return { ...await spawnServe(file, dir, ['--workers', String(workers)]), dir };
}

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

let server: Server;
let pool: Pool;
let token: string;
let account: string;

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Answer> {
  const res = await pool.request({ method: method as 'GET', path, headers: { 'x-auth-token': token, ...headers }, body: body ?? null });
  const chunks: Buffer[] = [];
  for await (const c of res.body) chunks.push(c as Buffer);
  return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) };
}

/** Run `fn` over 0..n-1 with every connection of the pool busy. */
async function parallel(n: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONNECTIONS * 2 }, async () => {
    while (next < n) await fn(next++);
  }));
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const name = (i: number): string => `obj-${String(i).padStart(4, '0')}`;

beforeAll(async () => {
  server = await startWorkers(2);
  pool = new Pool(server.base, { connections: CONNECTIONS, pipelining: 1 });
  // The workers answer /healthcheck once both are up (the banner comes with the first).
  for (let i = 0; i < 50; i++) {
    const r = await pool.request({ method: 'GET', path: '/healthcheck' });
    await r.body.dump();
    if (r.statusCode === 200) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  ({ token, account } = await authOverPool(pool, 'test:tester', 'testing'));
}, 60_000);

afterAll(async () => {
  await pool?.close();
  if (server) {
    const code = await server.stop();
    rmSync(server.dir, { recursive: true, force: true });
    expect(code).toBe(0);
  }
}, 60_000);

describe('cairn serve --workers 2', () => {
  it('accepts a token on every connection, whichever worker issued it', async () => {
    // Tokens got on many connections (so from both workers), each used on many connections.
    const tokens = new Set<string>();
    await parallel(32, async () => {
      const a = await pool.request({ method: 'GET', path: '/auth/v1.0', headers: { 'x-auth-user': 'test:tester3', 'x-auth-key': 'testing3' } });
      await a.body.dump();
      expect(a.statusCode).toBe(200);
      tokens.add(a.headers['x-auth-token'] as string);
    });
    for (const t of tokens) {
      await parallel(CONNECTIONS * 2, async () => {
        // tester3 has no rights on the account: 403 (token accepted), never 401 (token unknown).
        const r = await call('GET', account, { 'x-auth-token': t });
        expect(r.status).toBe(403);
      });
    }
    await parallel(CONNECTIONS * 4, async () => {
      expect((await call('HEAD', account)).status).toBe(204);
    });
    expect((await call('HEAD', account, { 'x-auth-token': `${token}x` })).status).toBe(401);
  });

  it('PUT, GET, HEAD, listings and DELETE agree across workers', async () => {
    const N = 240;
    const c = `${account}/things`;
    expect((await call('PUT', c)).status).toBe(201);
    const bodies = Array.from({ length: N }, (_v, i) => randomBytes(200 + (i % 7) * 1000));
    await parallel(N, async (i) => {
      const r = await call('PUT', `${c}/${name(i)}`, { 'content-type': 'application/octet-stream' }, bodies[i]);
      expect(r.status, name(i)).toBe(201);
      expect(r.headers['etag']).toBe(md5(bodies[i]!));
    });
    const lanes = new Set<number>();
    await parallel(N, async (i) => {
      const g = await call('GET', `${c}/${name(i)}`);
      expect(g.status, name(i)).toBe(200);
      expect(md5(g.body), name(i)).toBe(md5(bodies[i]!));
      const h = await call('HEAD', `${c}/${name(i)}`);
      expect(h.status).toBe(200);
      expect(h.headers['content-length']).toBe(String(bodies[i]!.length));
      expect(h.headers['etag']).toBe(md5(bodies[i]!));
      // Each worker stamps in its own lane of 10 µs units (timestamp.ts): both lanes are seen.
      lanes.add(Number(String(h.headers['x-timestamp']).replace('.', '')) % 2);
    });
    expect(lanes).toEqual(new Set([0, 1]));
    // Full listing in pages of 50, several times (pages land on both workers).
    const expected = Array.from({ length: N }, (_v, i) => name(i));
    for (let round = 0; round < 4; round++) {
      const seen: string[] = [];
      let marker = '';
      for (;;) {
        const r = await call('GET', `${c}?format=json&limit=50&marker=${encodeURIComponent(marker)}`);
        expect(r.status).toBe(200);
        const page = JSON.parse(r.body.toString()) as Array<{ name: string; bytes: number; hash: string }>;
        if (page.length === 0) break;
        for (const e of page) {
          const i = Number(e.name.slice(4));
          expect(e.bytes).toBe(bodies[i]!.length);
          expect(e.hash).toBe(md5(bodies[i]!));
        }
        seen.push(...page.map((e) => e.name));
        marker = page[page.length - 1]!.name;
      }
      expect(seen).toEqual(expected);
    }
    const head = await call('HEAD', c);
    expect(head.headers['x-container-object-count']).toBe(String(N));
    expect(head.headers['x-container-bytes-used']).toBe(String(bodies.reduce((a, b) => a + b.length, 0)));

    // Delete the even ones; reads and listings on every connection agree at once.
    await parallel(N / 2, async (k) => {
      expect((await call('DELETE', `${c}/${name(2 * k)}`)).status).toBe(204);
    });
    await parallel(N, async (i) => {
      const r = await call('GET', `${c}/${name(i)}`);
      expect(r.status, name(i)).toBe(i % 2 === 0 ? 404 : 200);
      if (i % 2 === 1) expect(md5(r.body)).toBe(md5(bodies[i]!));
    });
    await parallel(CONNECTIONS * 2, async () => {
      const r = await call('GET', `${c}?limit=10000`);
      expect(r.status).toBe(200);
      expect(r.body.toString().split('\n').filter(Boolean)).toEqual(expected.filter((_n, i) => i % 2 === 1));
    });
    await parallel(N / 2, async (k) => {
      expect((await call('DELETE', `${c}/${name(2 * k + 1)}`)).status).toBe(204);
    });
    expect((await call('DELETE', c)).status).toBe(204);
    expect((await call('HEAD', c)).status).toBe(404);
  });

  it('concurrent overwrites of one object from both workers resolve to one whole version everywhere', async () => {
    const c = `${account}/hot`;
    expect((await call('PUT', c)).status).toBe(201);
    const versions = Array.from({ length: 64 }, (_v, i) => Buffer.from(`version ${i} `.repeat(50 + i)));
    const etags = new Set(versions.map(md5));
    await parallel(versions.length, async (i) => {
      const r = await call('PUT', `${c}/same`, {}, versions[i]);
      // 201, or 202 when a newer version from the other worker got there first (Swift's answer).
      expect([201, 202], `PUT ${i}: ${r.body.toString()}`).toContain(r.status);
    });
    const answers = new Set<string>();
    await parallel(CONNECTIONS * 4, async () => {
      const g = await call('GET', `${c}/same`);
      expect(g.status).toBe(200);
      expect(etags.has(md5(g.body))).toBe(true);
      expect(g.headers['etag']).toBe(md5(g.body));
      answers.add(md5(g.body));
    });
    expect(answers.size).toBe(1);
    const list = JSON.parse((await call('GET', `${c}?format=json`)).body.toString()) as Array<{ hash: string }>;
    expect(list.map((e) => e.hash)).toEqual([...answers]);
  });

  it('serves /metrics from either worker with both workers added up', async () => {
    const puts: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await pool.request({ method: 'GET', path: '/metrics' });
      const text = await r.body.text();
      expect(r.statusCode).toBe(200);
      const m = /^cairn_http_requests_total\{method="PUT",type="object",status="201"\} (\d+)$/m.exec(text);
      puts.push(Number(m?.[1] ?? 0));
      expect(text).toMatch(/^cairn_brick_up\{brick="[^"]+"\} 1$/m);
    }
    // At least the 240 + the winning overwrites, whichever worker answered the scrape.
    for (const p of puts) expect(p).toBeGreaterThanOrEqual(241);
    expect(new Set(puts).size).toBe(1);
  });

  it('had both workers serve, and logged no errors', async () => {
    const pids = new Set<number>();
    for (const line of server.lines) {
      if (!line.startsWith('{')) continue;
      const rec = JSON.parse(line) as { log?: string; pid?: number; level?: number };
      if (rec.log === 'proxy-access' && rec.pid) pids.add(rec.pid);
      expect(rec.level ?? 30, line).toBeLessThan(50);
    }
    expect(pids.size).toBe(2);
    expect(server.stderr()).toBe('');
  });
});
