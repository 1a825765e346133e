/**
 * The scale-out verbs as an operator runs them, against a running `cairn serve` (which follows the
 * volume file): volume create, add-brick, rebalance start|status|stop (a separate process), remove-brick
 * start|status|commit, replace-brick. Objects PUT over HTTP before the changes read back over HTTP
 * after each step; container counts stay exact. Also `cairn bench --rebalance` with tiny sizes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServe, type ServeProcess } from './server.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = join(ROOT, 'bin/cairn');
const dir = mkdtempSync(join(tmpdir(), 'cairn-rebalance-cli-'));
let server: ServeProcess | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function cairn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir, timeout: 120_000 }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cairn volume / rebalance against a running gateway', () => {
  it('add-brick, rebalance, remove-brick, replace-brick: every object stays readable', async () => {
    const cfg = join(dir, 'cairn.yaml');
    writeFileSync(cfg, [
      'storage:', '  root: data', 'volume:', '  id: ops', '  bricks: [b1, b2]', '  replica: 2', '  fsync: false',
      'middleware:', '  tempauth:', '    users: [{account: test, user: tester, key: testing, groups: [.admin]}]',
      'log:', '  level: warn',
    ].join('\n'));
    const created = await cairn(['volume', 'create', '-c', cfg]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/volume ops created: 1 replica set\(s\) of 2, layout commit 1/);

    server = await spawnServe(cfg, dir);
    const { base } = server;
    const auth = await fetch(`${base}/auth/v1.0`, { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } });
    const token = auth.headers.get('x-auth-token')!;
    const url = auth.headers.get('x-storage-url')!;
    const h = { 'X-Auth-Token': token };
    expect((await fetch(`${url}/c`, { method: 'PUT', headers: h })).status).toBe(201);
    const names = Array.from({ length: 120 }, (_x, i) => `dir${i % 4}/obj-${i}`);
    for (const n of names) expect((await fetch(`${url}/c/${n}`, { method: 'PUT', headers: h, body: `body of ${n}` })).status).toBe(201);

    const readAll = async (): Promise<void> => {
      for (const n of names) {
        const r = await fetch(`${url}/c/${n}`, { headers: h });
        expect(r.status, n).toBe(200);
        expect(await r.text()).toBe(`body of ${n}`);
      }
      const head = await fetch(`${url}/c`, { method: 'HEAD', headers: h });
      expect(head.headers.get('x-container-object-count')).toBe(String(names.length));
      const list = (await (await fetch(`${url}/c?format=json`, { headers: h })).json()) as Array<{ name: string }>;
      expect(list.map((e) => e.name)).toEqual([...names].sort());
    };

    // add-brick: the gateway picks the new layout up; every object is still found before any move.
    const added = await cairn(['volume', 'add-brick', '-c', cfg, 'b3', 'b4']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/layout commit 2/);
    await sleep(1500);
    await readAll();
    const pending = await cairn(['rebalance', 'status', '-c', cfg, '--json']);
    expect(JSON.parse(pending.stdout)).toMatchObject({ status: 'pending', commit: 2, reason: 'add-brick' });
    expect((await cairn(['volume', 'add-brick', '-c', cfg, 'b5', 'b6'])).stderr).toMatch(/rebalance to layout commit 2 is pending/);

    const run = await cairn(['rebalance', 'start', '-c', cfg, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const done = JSON.parse(run.stdout) as { status: string; counts: { scanned: number; moved: number; failed: number } };
    expect(done.status).toBe('completed');
    expect(done.counts.scanned).toBe(names.length);
    expect(done.counts.moved).toBeGreaterThan(20);
    expect(done.counts.failed).toBe(0);
    const status = await cairn(['rebalance', 'status', '-c', cfg]);
    expect(status.stdout).toMatch(/rebalance: completed/);
    expect(status.stdout).toMatch(/objects\/s/);
    await readAll();

    // remove-brick: drain the first set (the drain runs in the foreground), then commit.
    const early = await cairn(['volume', 'remove-brick', 'commit', '-c', cfg]);
    expect(early.code).toBe(1);
    const drain = await cairn(['volume', 'remove-brick', 'start', '-c', cfg, 'b1', 'b2', '--quiet']);
    expect(drain.code, drain.stderr).toBe(0);
    expect(drain.stdout).toMatch(/drained/);
    const rbStatus = await cairn(['volume', 'remove-brick', 'status', '-c', cfg]);
    expect(rbStatus.stdout).toMatch(/still holds 0 live object/);
    const commit = await cairn(['volume', 'remove-brick', 'commit', '-c', cfg]);
    expect(commit.code, commit.stderr).toBe(0);
    const def = JSON.parse(readFileSync(join(dir, 'data', 'volume.json'), 'utf8')) as { sets: Array<{ bricks: string[] }>; previous?: unknown };
    expect(def.sets.map((s) => s.bricks.map((b) => b.split('/').pop()))).toEqual([['b3', 'b4']]);
    expect(def.previous).toBeUndefined();
    await sleep(1500);
    await readAll();

    // replace-brick: b4 out, b7 in, filled by heal; reads never notice.
    const replaced = await cairn(['volume', 'replace-brick', '-c', cfg, 'b4', 'b7']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toMatch(/replaced by .*b7/);
    await sleep(1500);
    await readAll();
    expect((await fetch(`${url}/c/after`, { method: 'PUT', headers: h, body: 'x' })).status).toBe(201);
  }, 180_000);

  it('cairn bench --rebalance reports objects/s and MB/s', async () => {
    const r = await cairn(['bench', '--rebalance', '--json', '--no-fsync', '--small-count', '60', '--large-mb', '2', '--concurrency', '4', '--sets', '1', '--replica', '1', '--dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { phases: Array<{ label: string; objects_per_sec: number; mb_per_sec: number; counts: { failed: number } }> };
    expect(out.phases.map((p) => p.label)).toEqual(['small objects', 'small objects, parallelism 8', 'large objects']);
    for (const p of out.phases) {
      expect(p.counts.failed).toBe(0);
      expect(p.objects_per_sec).toBeGreaterThan(0);
    }
  }, 180_000);
});
