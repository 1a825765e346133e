/**
 * `cairn bench --remote`: what reaching bricks over the network costs. In one run, the same store
 * operations (volume-ops.ts) go to two volumes of the same shape (--sets × --replica, --no-fsync
 * honoured): one over LocalBricks in this process, one over RemoteBricks served by one `cairn brick`
 * process per brick on 127.0.0.1 (as if each brick had its own host). Both live under one temp dir on
 * the same filesystem, removed afterwards unless --keep.
 *
 * Loopback hides network latency and bandwidth limits: the numbers show the protocol's own cost (HTTP,
 * JSON, an extra process and copy per replica), a floor for what a real network adds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openVolume, type Volume } from '../storage/volume.js';
import type { BenchOptions } from '../cli/bench.js';
import { makeProgress } from './progress.js';
import { round } from './stats.js';
import { large, listing, prepare, small, type OpsResult } from './volume-ops.js';

const BIN = fileURLToPath(new URL('../../bin/cairn', import.meta.url));

interface Side { large: { putMBps: number; getMBps: number }; put: OpsResult; get: OpsResult; list: { entries: number; ms: number } }

/** Start one `cairn brick` per directory; resolves with their brick URLs. */
async function startBrickServers(dirs: string[], secret: string, fsync: boolean): Promise<{ urls: string[]; children: ChildProcess[] }> {
  const children: ChildProcess[] = [];
  try {
    const urls = await Promise.all(dirs.map((d, i) => new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'brick', '--dir', `b${i + 1}=${d}`, '--listen', '127.0.0.1:0', '--log-level', 'warn',
        ...(fsync ? [] : ['--no-fsync'])], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CAIRN_SECRET: secret } });
      children.push(child);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /^cairn brick: listening on (http:\/\/\S+)/.exec(line);
        if (m) resolve(`${m[1]!}/b${i + 1}`);
      });
      child.once('exit', (code) => reject(new Error(`cairn brick exited (${code}) before listening`)));
    })));
    return { urls, children };
  } catch (err) {
    await stopAll(children);
    throw err;
  }
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) { resolve(); return; }
    c.once('exit', () => resolve());
    c.kill('SIGTERM');
  })));
}

async function measure(volume: Volume, o: BenchOptions, note: (s: string) => void, label: string): Promise<Side> {
  await prepare(volume);
  note(`bench --remote: ${label}: large object (${o.largeMb} MiB)`);
  const big = await large(volume, o.largeMb * 1024 * 1024);
  note(`bench --remote: ${label}: small objects (${o.smallCount} × ${o.smallKb} KiB, ${o.concurrency} in flight)`);
  const s = await small(volume, o.smallCount, o.smallKb * 1024, o.concurrency);
  const list = await listing(volume, Math.min(10_000, o.smallCount + 1));
  return { large: big, put: s.put, get: s.get, list };
}

function table(shape: string, fsync: boolean, local: Side, remote: Side, o: BenchOptions): string {
  // [label, local, remote, is a rate (else a time)]
  const rows: Array<[string, number, number, boolean]> = [
    [`large PUT ${o.largeMb} MiB (MB/s)`, local.large.putMBps, remote.large.putMBps, true],
    [`large GET ${o.largeMb} MiB (MB/s)`, local.large.getMBps, remote.large.getMBps, true],
    [`small PUT ${o.smallKb} KiB (ops/s)`, local.put.opsPerSec, remote.put.opsPerSec, true],
    ['  p50 latency (ms)', local.put.p50Ms, remote.put.p50Ms, false],
    ['  p99 latency (ms)', local.put.p99Ms, remote.put.p99Ms, false],
    [`small GET ${o.smallKb} KiB (ops/s)`, local.get.opsPerSec, remote.get.opsPerSec, true],
    ['  p50 latency (ms)', local.get.p50Ms, remote.get.p50Ms, false],
    ['  p99 latency (ms)', local.get.p99Ms, remote.get.p99Ms, false],
    [`listing page, ${local.list.entries} entries (ms)`, local.list.ms, remote.list.ms, false],
  ];
  const out = [
    `store-level, ${shape} volume, fsync ${fsync ? 'on' : 'off'}, concurrency ${o.concurrency}; remote = one cairn brick process per brick on 127.0.0.1`,
    `  ${''.padEnd(34)}${'local'.padStart(10)}${'remote'.padStart(10)}${'remote/local'.padStart(14)}`,
  ];
  for (const [label, l, r, rate] of rows) {
    const digits = rate ? 1 : 2;
    out.push(`  ${label.padEnd(34)}${l.toFixed(digits).padStart(10)}${r.toFixed(digits).padStart(10)}${(r / l).toFixed(2).padStart(14)}`);
  }
  return `${out.join('\n')}\n`;
}

function json(shape: string, fsync: boolean, local: Side, remote: Side): string {
  const side = (s: Side) => ({
    large_put_mbps: round(s.large.putMBps), large_get_mbps: round(s.large.getMBps),
    small_put: { ops_per_sec: round(s.put.opsPerSec), p50_ms: round(s.put.p50Ms, 2), p99_ms: round(s.put.p99Ms, 2) },
    small_get: { ops_per_sec: round(s.get.opsPerSec), p50_ms: round(s.get.p50Ms, 2), p99_ms: round(s.get.p99Ms, 2) },
    listing: { entries: s.list.entries, ms: round(s.list.ms, 2) },
  });
  return `${JSON.stringify({ shape, fsync, local: side(local), remote: side(remote) }, null, 2)}\n`;
}

/** Run the comparison; resolves with the process exit code. */
export async function benchRemote(o: BenchOptions): Promise<number> {
  const progress = makeProgress(!o.json && process.stderr.isTTY === true);
  const dir = mkdtempSync(join(o.dir ?? tmpdir(), 'cairn-bench-remote-'));
  const n = o.sets * o.replica;
  const shape = `${o.sets}x${o.replica}`;
  const secret = randomBytes(24).toString('hex');
  let children: ChildProcess[] = [];
  const volumes: Volume[] = [];
  try {
    progress.note(`bench --remote: ${shape} over local bricks, then over ${n} cairn brick processes (${dir})`);
    const localVol = await openVolume({ id: 'bench-local', bricks: Array.from({ length: n }, (_x, i) => join(dir, `local-b${i + 1}`)), replica: o.replica, fsync: o.fsync });
    volumes.push(localVol);
    const local = await measure(localVol, o, (s) => progress.note(s), 'local bricks');
    await localVol.close();

    const started = await startBrickServers(Array.from({ length: n }, (_x, i) => join(dir, `remote-b${i + 1}`)), secret, o.fsync);
    children = started.children;
    const remoteVol = await openVolume({ id: 'bench-remote', bricks: started.urls, replica: o.replica, fsync: o.fsync, secret });
    volumes.push(remoteVol);
    const remote = await measure(remoteVol, o, (s) => progress.note(s), 'remote bricks');
    process.stdout.write(o.json ? json(shape, o.fsync, local, remote) : table(shape, o.fsync, local, remote, o));
    return 0;
  } catch (err) {
    process.stderr.write(`cairn bench --remote: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    progress.stop();
    await Promise.allSettled(volumes.map((v) => v.close()));
    await stopAll(children);
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}
