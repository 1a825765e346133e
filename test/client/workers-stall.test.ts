/**
 * `cairn serve --workers 2` on a host so loaded that a worker gets no CPU for a while: small PUTs at
 * concurrency 32 on a fresh volume (2 sets × 1 local brick, fsync on) while each worker in turn is
 * stopped (SIGSTOP) for 1.3 s and let go. Every answer must be 2xx, and nothing logged at warn.
 *
 * A stall longer than a second lets the I/O workers' idle timers fire in the same turn as the writes
 * that arrived meanwhile; a write handed to an I/O worker that was exiting was lost (EIO), which
 * marked its brick down and answered 503 for ten seconds (io-pool.ts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authOverPool, spawnServe, type ServeProcess } from './server.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CONCURRENCY = 32;
const OBJECTS = 4000;

let server: ServeProcess;
let dir: string;
let pool: Pool;
let token: string;
let account: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npx tsc -p .` (npm test does)');
  dir = mkdtempSync(join(tmpdir(), 'cairn-workers-stall-'));
  const config = {
    storage: { root: join(dir, 'storage') },
    volume: { id: 'stall', bricks: ['b1', 'b2'], replica: 1, fsync: true },
    middleware: { tempauth: { reseller_prefix: ['AUTH_'], users: [{ account: 'bench', user: 'bench', key: 'bench', groups: ['.admin'] }] } },
    // info: the access lines carry each worker's pid (the ones to stop).
    log: { level: 'info', format: 'json' },
  };
  writeFileSync(join(dir, 'cairn.yaml'), stringify(config));
  server = await spawnServe(join(dir, 'cairn.yaml'), dir, ['--workers', '2']);
  pool = new Pool(server.base, { connections: CONCURRENCY, pipelining: 1 });
  ({ token, account } = await authOverPool(pool, 'bench:bench', 'bench'));
}, 60_000);

afterAll(async () => {
  await pool?.close();
  if (server) {
    for (const pid of workerPids()) { try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ } }
    await server.stop();
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** The pids that have served requests so far (from the access lines). */
function workerPids(): number[] {
  const pids = new Set<number>();
  for (const line of server.lines) {
    try {
      const rec = JSON.parse(line) as { log?: string; pid?: number };
      if (rec.log === 'proxy-access' && rec.pid) pids.add(rec.pid);
    } catch { /* not a JSON line */ }
  }
  return [...pids];
}

describe('cairn serve --workers 2 with stalled workers', () => {
  it('answers every PUT 2xx and logs nothing at warn while workers stall', async () => {
    expect((await call('PUT', `${account}/c`)).status).toBe(201);
    const body = randomBytes(4096);
    let stalls = 0;
    const stall = setInterval(() => {
      const pids = workerPids();
      const pid = pids[stalls++ % Math.max(1, pids.length)];
      if (!pid) return;
      process.kill(pid, 'SIGSTOP');
      setTimeout(() => { try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ } }, 1300);
    }, 2000);
    const bad: string[] = [];
    try {
      let next = 0;
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < OBJECTS) {
          const i = next++;
          const r = await call('PUT', `${account}/c/o-${i}`, body);
          if (r.status !== 201) bad.push(`o-${i}: ${r.status} ${r.text.slice(0, 200)}`);
        }
      }));
    } finally {
      clearInterval(stall);
      await new Promise((r) => setTimeout(r, 1400)); // the last stopped worker is let go
    }
    expect(stalls).toBeGreaterThan(0);
    const warnings = server.lines.filter((l) => { try { return (JSON.parse(l) as { level: number }).level >= 40; } catch { return false; } });
    expect(bad, warnings.slice(0, 3).join('\n')).toEqual([]);
    expect(warnings).toEqual([]);
  }, 180_000);
});

async function call(method: string, path: string, body?: Buffer): Promise<{ status: number; text: string }> {
  const res = await pool.request({ method: method as 'PUT', path, headers: { 'x-auth-token': token }, body: body ?? null });
  return { status: res.statusCode, text: await res.body.text() };
}
