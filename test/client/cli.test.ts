/**
 * bin/cairn as an operator meets it: config errors name the key and exit 1, SIGTERM stops the server
 * cleanly, and `cairn bench` runs end to end (tiny sizes) and prints its JSON.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServe } from './server.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = join(ROOT, 'bin/cairn');
const dir = mkdtempSync(join(tmpdir(), 'cairn-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run bin/cairn to completion. */
function cairn(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function config(name: string, yaml: string): string {
  const p = join(dir, name);
  writeFileSync(p, yaml);
  return p;
}

describe('cairn serve', () => {
  it('exits 1 with a message naming the bad key', async () => {
    const bad = config('bad.yaml', 'volume:\n  bricks: [a, b]\n  replica: 0\n');
    const r = await cairn(['serve', '--config', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('config: volume.replica: must be a positive integer');
  });

  it('names --listen and CAIRN_LISTEN when they are malformed', async () => {
    const ok = config('ok.yaml', 'volume:\n  bricks: [memory:a]\n');
    const flag = await cairn(['serve', '--config', ok, '--listen', 'nowhere']);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toMatch(/^config: --listen: /);
    const env = await cairn(['serve', '--config', ok], { CAIRN_LISTEN: 'host:port' });
    expect(env.stderr).toMatch(/^config: CAIRN_LISTEN: /);
  });

  it('names an unknown middleware option (checked when the pipeline is built)', async () => {
    const p = config('mw.yaml', 'volume:\n  bricks: [memory:a]\nmiddleware:\n  tempauth:\n    userz: []\n');
    const r = await cairn(['serve', '--config', p, '--listen', '127.0.0.1:0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^config: middleware\.tempauth\.userz: /);
  });

  it('prints the endpoint and a copyable swift command, and stops cleanly on SIGTERM', async () => {
    const p = config('run.yaml', [
      'storage:', '  root: data', 'volume:', '  bricks: [b1, b2]', '  replica: 2',
      'middleware:', '  tempauth:', '    users: [{account: test, user: tester, key: testing, groups: [.admin]}]',
      'log:', '  level: warn',
    ].join('\n'));
    const { base, lines, stop } = await spawnServe(p, dir);
    await new Promise((r) => setTimeout(r, 200));
    expect(lines.join('\n')).toContain(`swift -A ${base}/auth/v1.0 -U test:tester -K testing stat`);
    expect(lines[0]).toMatch(/created 2 brick directories under .*\/data$/);
    expect((await fetch(`${base}/healthcheck`)).status).toBe(200);
    expect(await stop()).toBe(0);
  });
});

describe('cairn bench', () => {
  it('runs every phase against a temporary Cairn and prints JSON with ratios and peak RSS', async () => {
    const r = await cairn(['bench', '--json', '--large-mb', '2', '--small-count', '20', '--list-objects', '30', '--replica', '1', '--sets', '2', '--rss-gb', '0.01', '--dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, any>;
    expect(out.large.mib).toBe(2);
    expect(out.large.put_ratio).toBeGreaterThan(0);
    expect(Object.keys(out.small.ops)).toEqual(['PUT', 'GET', 'HEAD', 'DELETE']);
    expect(out.small.warm_up).toBe(32); // an uncounted round of max(concurrency, count / 4) objects first
    expect(out.listing).toMatchObject({ objects: 30, page_entries: 30 });
    expect(out.rss_check.objects).toBe(4);
    expect(out.peak_rss_mib).toBeGreaterThan(10);
    expect(out.target).toMatch(/2 replica sets × 1 brick/);
  }, 120_000);
});
