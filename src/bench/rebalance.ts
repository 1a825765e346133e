/**
 * `cairn bench --rebalance`: how fast a rebalance moves objects while the volume keeps serving, and
 * what it costs the clients. Store level (no HTTP), LocalBricks under one temp dir (--no-fsync
 * honoured); each phase is a fresh --sets × --replica volume that gets one replica set added and is
 * rebalanced while --concurrency/4 clients GET existing objects and PUT new ones:
 * 1. small objects: --small-count objects of --small-kb KiB, parallelism 2 (the default): objects/s;
 * 2. the same at parallelism 8 (what the throttle buys);
 * 3. large objects: 32 objects making up --large-mb MiB, parallelism 2: MB/s.
 * Each phase also measures the clients alone for a few seconds first, so the report shows their ops/s
 * and p99 latency without and with the rebalance running. The gateway and the mover are two volumes
 * over the same bricks, as `cairn serve` and `cairn rebalance start` are two processes (here they share
 * one event loop, so the numbers are a floor).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BenchOptions } from '../cli/bench.js';
import { runRebalance } from '../storage/rebalance-run.js';
import type { VolumeSpec } from '../storage/store.js';
import { now } from '../storage/timestamp.js';
import { addBricks } from '../storage/volume-admin.js';
import { readVolumeFile, updateVolumeFile, writeVolumeFile, type RebalanceState } from '../storage/volume-file.js';
import { applyDefinition, definitionOf, openDefined } from '../storage/volume-runtime.js';
import { openVolume, type Volume } from '../storage/volume.js';
import { makeProgress, type Progress } from './progress.js';
import { MiB, percentile, round } from './stats.js';

const ACCOUNT = 'AUTH_bench';
/** How long the clients run alone before each rebalance. */
const BASELINE_MS = 3000;

interface Load { opsPerSec: number; p50Ms: number; p99Ms: number; errors: number }

interface Phase {
  label: string;
  objects: number;
  bytes: number;
  parallelism: number;
  baseline: Load;
  during: Load;
  state: RebalanceState;
  seconds: number;
}

function body(bytes: number, seed: number): Readable {
  const chunk = Buffer.alloc(Math.min(bytes, 65536), seed & 0xff);
  let left = bytes;
  return new Readable({
    read() {
      if (left <= 0) { this.push(null); return; }
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(n === chunk.length ? Buffer.from(chunk) : chunk.subarray(0, n));
    },
  });
}

const sink = (): Writable => new Writable({ write(_c, _e, cb) { cb(); } });

async function put(v: Volume, container: string, object: string, bytes: number, seed: number): Promise<void> {
  await v.putObject({ account: ACCOUNT, container, object }, body(bytes, seed), { timestamp: now(), contentType: 'application/octet-stream', contentLength: bytes });
}

async function populate(v: Volume, container: string, count: number, bytes: number, concurrency: number, progress: Progress): Promise<string[]> {
  await v.createContainer({ account: ACCOUNT, container }, { timestamp: now() });
  const names = Array.from({ length: count }, (_x, i) => `obj/${String(i).padStart(7, '0')}`);
  progress.start(`populate ${container}`, count, 'objects');
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < names.length) {
      const i = next++;
      await put(v, container, names[i]!, bytes, i);
      progress.tick();
    }
  }));
  progress.stop();
  return names;
}

/** Clients: GET a random existing object (3 of 4 ops) or PUT a new small one, until stopped. */
function clients(v: Volume, container: string, names: string[], workers: number, putBytes: number): { stop(): Promise<Load> } {
  let running = true;
  const lat: number[] = [];
  let errors = 0;
  let seq = 0;
  const start = process.hrtime.bigint();
  const loops = Array.from({ length: workers }, async (_x, w) => {
    let i = w * 7919;
    while (running) {
      const t = process.hrtime.bigint();
      try {
        if (++i % 4 === 0) {
          await put(v, 'live', `w${w}-${seq++}`, putBytes, i);
        } else {
          const r = await v.getObject({ account: ACCOUNT, container, object: names[(i * 2654435761) % names.length]! });
          try { await pipeline(r.read(), sink()); } finally { r.close(); }
        }
        lat.push(Number(process.hrtime.bigint() - t) / 1e6);
      } catch {
        errors++;
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      const secs = Number(process.hrtime.bigint() - start) / 1e9;
      return { opsPerSec: lat.length / secs, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99), errors };
    },
  };
}

interface PhaseSpec { label: string; count: number; bytes: number; parallelism: number }

/**
 * One phase on a fresh volume: populate, clients alone, add a replica set, rebalance under the clients.
 * The gateway and the mover are two volumes over the same bricks (the mover is opened before any
 * client writes: opening a LocalBrick sweeps tmp/ of this pid).
 */
async function phase(spec: PhaseSpec, root: string, o: BenchOptions, progress: Progress): Promise<Phase> {
  const dir = join(root, spec.label.replace(/\W+/g, '-'));
  let n = o.sets * o.replica;
  const bricks = Array.from({ length: n }, (_x, i) => join(dir, `b${i}`));
  const base: VolumeSpec = { id: 'bench-rebalance', bricks, replica: o.replica, fsync: o.fsync };
  const gateway = await openVolume({ ...base, bricks: [...bricks] });
  let mover: Volume | undefined;
  try {
    const file = join(dir, 'volume.json');
    writeVolumeFile(file, definitionOf(gateway));
    mover = await openDefined(readVolumeFile(file)!, base);
    await gateway.createContainer({ account: ACCOUNT, container: 'live' }, { timestamp: now() });
    const names = await populate(gateway, 'data', spec.count, spec.bytes, o.concurrency, progress);

    const workers = Math.max(1, Math.floor(o.concurrency / 4));
    progress.note(`bench --rebalance: ${spec.label}: clients alone for ${BASELINE_MS / 1000}s`);
    const alone = clients(gateway, 'data', names, workers, o.smallKb * 1024);
    await new Promise((r) => setTimeout(r, BASELINE_MS));
    const baseline = await alone.stop();

    const added = Array.from({ length: o.replica }, () => join(dir, `b${n++}`));
    const def = (await updateVolumeFile(file, (d) => addBricks(d!, added, [gateway.layout.weights[0]!])))!;
    await applyDefinition(gateway, def); // a serving gateway's watcher does this within a second
    await applyDefinition(mover, def);
    progress.note(`bench --rebalance: ${spec.label}: rebalancing onto a new replica set while the clients run`);
    const load = clients(gateway, 'data', names, workers, o.smallKb * 1024);
    const t = process.hrtime.bigint();
    let progressed = -1;
    const state = await runRebalance({
      file, base, volume: mover, graceMs: 0, parallelism: spec.parallelism,
      onProgress: (s) => {
        if (progressed < 0 && s.total !== undefined) { progress.start(`rebalance ${spec.label}`, Math.max(1, s.total), 'scanned'); progressed = 0; }
        if (progressed >= 0) { progress.tick(Math.max(0, s.counts.scanned - progressed)); progressed = s.counts.scanned; }
      },
    });
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    progress.stop();
    const during = await load.stop();
    return { label: spec.label, objects: spec.count, bytes: spec.bytes, parallelism: spec.parallelism, baseline, during, state, seconds };
  } finally {
    await Promise.allSettled([gateway.close(), mover?.close()]);
  }
}

function table(shape: string, o: BenchOptions, phases: Phase[]): string {
  const out = [`rebalance while serving, store level: a fresh ${shape} volume per phase gets a replica set added, fsync ${o.fsync ? 'on' : 'off'}, `
    + `${Math.max(1, Math.floor(o.concurrency / 4))} clients (3 GET : 1 PUT) running throughout`];
  for (const p of phases) {
    const c = p.state.counts;
    const secs = p.state.elapsedMs / 1000;
    out.push(`  ${p.label}: ${p.objects} objects × ${(p.bytes / 1024).toFixed(0)} KiB, parallelism ${p.parallelism}`);
    out.push(`    moved ${c.moved} of ${c.scanned} scanned in ${secs.toFixed(1)} s: ${(c.moved / secs).toFixed(0)} objects/s, `
      + `${(c.bytes / MiB / secs).toFixed(1)} MB/s, ${(c.scanned / secs).toFixed(0)} scanned/s (failed ${c.failed}, linktos reclaimed ${c.reclaimed})`);
    out.push(`    clients alone:      ${p.baseline.opsPerSec.toFixed(0)} ops/s, p50 ${p.baseline.p50Ms.toFixed(2)} ms, p99 ${p.baseline.p99Ms.toFixed(2)} ms, errors ${p.baseline.errors}`);
    out.push(`    during rebalance:   ${p.during.opsPerSec.toFixed(0)} ops/s, p50 ${p.during.p50Ms.toFixed(2)} ms, p99 ${p.during.p99Ms.toFixed(2)} ms, errors ${p.during.errors}`);
  }
  return `${out.join('\n')}\n`;
}

function json(shape: string, o: BenchOptions, phases: Phase[]): string {
  const load = (l: Load) => ({ ops_per_sec: round(l.opsPerSec), p50_ms: round(l.p50Ms, 2), p99_ms: round(l.p99Ms, 2), errors: l.errors });
  return `${JSON.stringify({
    shape, fsync: o.fsync,
    phases: phases.map((p) => {
      const secs = p.state.elapsedMs / 1000;
      return {
        label: p.label, parallelism: p.parallelism, objects: p.objects, object_bytes: p.bytes, counts: p.state.counts, seconds: round(secs, 2),
        objects_per_sec: round(p.state.counts.moved / secs), mb_per_sec: round(p.state.counts.bytes / MiB / secs, 2),
        scanned_per_sec: round(p.state.counts.scanned / secs), clients_alone: load(p.baseline), clients_during: load(p.during),
      };
    }),
  }, null, 2)}\n`;
}

/** Run the rebalance bench; resolves with the process exit code. */
export async function benchRebalance(o: BenchOptions): Promise<number> {
  const progress = makeProgress(!o.json && process.stderr.isTTY === true);
  const dir = mkdtempSync(join(o.dir ?? tmpdir(), 'cairn-bench-rebalance-'));
  const shape = `${o.sets}x${o.replica}`;
  try {
    progress.note(`bench --rebalance: ${shape} volumes in ${dir}`);
    const small = o.smallKb * 1024;
    const specs: PhaseSpec[] = [
      { label: 'small objects', count: o.smallCount, bytes: small, parallelism: 2 },
      { label: 'small objects, parallelism 8', count: o.smallCount, bytes: small, parallelism: 8 },
      { label: 'large objects', count: 32, bytes: Math.max(1, Math.floor((o.largeMb * MiB) / 32)), parallelism: 2 },
    ];
    const phases: Phase[] = [];
    for (const spec of specs) phases.push(await phase(spec, dir, o, progress));
    process.stdout.write(o.json ? json(shape, o, phases) : table(shape, o, phases));
    return phases.every((p) => p.state.status === 'completed' && p.during.errors === 0) ? 0 : 1;
  } catch (err) {
    process.stderr.write(`cairn bench --rebalance: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    progress.stop();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}
