/**
 * Brick servers killed mid-write (Swift-probe style): a 2x2 volume over four `cairn brick` processes
 * (one brick each, fsync on), a stream of concurrent writes of mixed sizes, and `kill -9` of one brick
 * server of each replica set while it runs. What must hold:
 *
 * - no acknowledged object is lost: every PUT that resolved reads back byte for byte afterwards;
 * - reads keep working: the replica set marks the dead brick down and serves from the other one;
 * - writes that could not reach quorum fail with a store error (never hang, never crash), and leave
 *   no temporary file on the surviving bricks;
 * - writes keep being acknowledged when quorum allows it (the second brick of a set gone: auto quorum
 *   still holds with the first); with the set's first brick gone, that set refuses writes (GlusterFS's
 *   auto quorum for replica 2) while the other set carries on;
 * - restarted on their ports, the servers rejoin: every set takes writes again and reads stay right
 *   (newest-wins reads ignore what a returning brick missed; copying it over is the healer's job).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/storage/errors.js';
import type { ObjectRef } from '../../src/storage/store.js';
import { openVolume, type Volume } from '../../src/storage/volume.js';
import { ensureBuilt, startBrickProcess, type BrickProcess } from '../helpers/brick-servers.js';

const SECRET = 'fault-secret-0123456789abcdef';
const A = 'AUTH_kill';
const C = 'stream';

let t = 0;
const ts = (): string => `${1_800_000_000 + ++t}.00000`;
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Object i's bytes: sizes from 1 KiB to ~1.5 MiB so kills land mid-upload as well as between writes. */
function body(i: number): Buffer {
  const n = 1024 + ((i * 104_729) % 1_500_000);
  const b = Buffer.alloc(n);
  for (let k = 0; k < n; k++) b[k] = (k * 31 + i * 17) & 0xff;
  return b;
}

interface Rig { dir: string; servers: BrickProcess[]; volume: Volume }
let rigs: Rig[] = [];

beforeAll(ensureBuilt, 180_000);

afterEach(async () => {
  for (const r of rigs) {
    await r.volume.close();
    await Promise.all(r.servers.map((s) => s.stop()));
    rmSync(r.dir, { recursive: true, force: true });
  }
  rigs = [];
});

async function rig(): Promise<Rig> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cairn-kill-'));
  const servers = await Promise.all([1, 2, 3, 4].map((i) => startBrickProcess(['--dir', path.join(dir, `b${i}`), '--secret', SECRET])));
  const volume = await openVolume({ id: 'kill-test', bricks: servers.map((s, i) => `${s.url}/b${i + 1}`), replica: 2, secret: SECRET, writeTimeoutMs: 10_000 },
    { brickRetryMs: 1000 });
  await volume.createContainer({ account: A, container: C }, { timestamp: ts() });
  const r = { dir, servers, volume };
  rigs.push(r);
  return r;
}

async function readAll(volume: Volume, ref: ObjectRef): Promise<Buffer> {
  const reader = await volume.getObject(ref);
  try {
    const parts: Buffer[] = [];
    for await (const c of reader.read()) parts.push(c as Buffer);
    return Buffer.concat(parts);
  } finally {
    reader.close();
  }
}

/**
 * Writers and readers running until `stop`: resolves with what was acknowledged (name -> md5), when,
 * and what failed. Readers re-read acknowledged objects at random.
 */
function traffic(volume: Volume, killedAt: () => number | undefined, writers = 8) {
  const acked = new Map<string, { md5: string; at: number }>();
  const failures: unknown[] = [];
  const lateReadFailures: unknown[] = [];
  let reads = 0;
  let stop = false;
  let next = 0;
  const write = async (): Promise<void> => {
    while (!stop) {
      const i = next++;
      const name = `obj-${String(i).padStart(5, '0')}`;
      const data = body(i);
      try {
        const info = await volume.putObject({ account: A, container: C, object: name }, Readable.from([data]),
          { timestamp: ts(), contentType: 'application/octet-stream', contentLength: data.length });
        expect(info.etag).toBe(md5(data));
        acked.set(name, { md5: md5(data), at: Date.now() });
      } catch (err) {
        failures.push(err);
        await sleep(5); // a set without quorum fails fast: do not spin
      }
    }
  };
  const read = async (): Promise<void> => {
    while (!stop) {
      const names = [...acked.keys()];
      if (names.length === 0) { await sleep(10); continue; }
      const name = names[Math.floor(Math.random() * names.length)]!;
      const started = Date.now();
      try {
        const got = await readAll(volume, { account: A, container: C, object: name });
        expect(md5(got)).toBe(acked.get(name)!.md5);
        reads++;
      } catch (err) {
        // A read streaming from the brick at the moment it dies fails; one started well after must not.
        const k = killedAt();
        if (k !== undefined && started > k + 500) lateReadFailures.push(err);
      }
    }
  };
  const running = Promise.all([...Array.from({ length: writers }, write), read(), read()]);
  return {
    acked, failures, lateReadFailures,
    get reads() { return reads; },
    async stop() { stop = true; await running; },
  };
}

const tmpFiles = (dir: string): string[] => readdirSync(path.join(dir, 'tmp'));

describe('brick servers killed with SIGKILL during a stream of writes', () => {
  for (const scenario of [
    { label: 'the second brick of each set', kill: [1, 3], writesContinueIn: [0, 1] },
    { label: 'the first brick of set 0 and the second of set 1', kill: [0, 3], writesContinueIn: [1] },
  ]) {
    it(`kill ${scenario.label}: no acknowledged object lost, reads keep working`, async () => {
      const r = await rig();
      let killedAt: number | undefined;
      const run = traffic(r.volume, () => killedAt);
      // Let a good number of writes through, then kill while uploads are in flight.
      while (run.acked.size < 40) await sleep(20);
      await Promise.all(scenario.kill.map((i) => r.servers[i]!.kill()));
      killedAt = Date.now();
      const ackedAtKill = run.acked.size;
      await sleep(3000);
      await run.stop();

      const after = [...run.acked.values()].filter((a) => a.at > killedAt! + 500).length;
      expect(after, 'writes acknowledged after the kill').toBeGreaterThan(10);
      expect(run.acked.size).toBeGreaterThan(ackedAtKill);
      for (const f of run.failures) expect(f).toBeInstanceOf(StoreError);
      expect(run.lateReadFailures).toEqual([]);
      expect(run.reads).toBeGreaterThan(0);

      // Every acknowledged object, read back through the surviving replicas.
      for (const [name, a] of run.acked) {
        const got = await readAll(r.volume, { account: A, container: C, object: name });
        expect(md5(got), name).toBe(a.md5);
      }
      // The listing has every acknowledged name (and nothing that was refused everywhere).
      const listed = new Set<string>();
      let marker: string | undefined;
      for (;;) {
        const page = await r.volume.listObjects({ account: A, container: C }, { limit: 1000, ...(marker ? { marker } : {}) });
        if (page.entries.length === 0) break;
        for (const e of page.entries) if ('name' in e) listed.add(e.name);
        const last = page.entries[page.entries.length - 1]!;
        marker = 'name' in last ? last.name : last.subdir;
      }
      for (const name of run.acked.keys()) expect(listed.has(name), name).toBe(true);

      // Writes still go where quorum allows; the dead bricks are reported down.
      for (const set of scenario.writesContinueIn) {
        const name = Array.from({ length: 200 }, (_x, i) => `probe-${i}`)
          .find((n) => r.volume.setOf({ account: A, container: C, object: n }) === r.volume.sets[set])!;
        await r.volume.putObject({ account: A, container: C, object: name }, Readable.from([Buffer.from('after')]),
          { timestamp: ts(), contentType: 'text/plain', contentLength: 5 });
      }
      const health = await r.volume.health();
      expect(health.bricks.map((b) => b.up)).toEqual([0, 1, 2, 3].map((i) => !scenario.kill.includes(i)));

      // Failed and aborted writes left nothing behind on the survivors (the servers abort on a cut upload).
      for (const i of [0, 1, 2, 3].filter((k) => !scenario.kill.includes(k))) {
        const deadline = Date.now() + 5000;
        while (tmpFiles(path.join(r.dir, `b${i + 1}`)).length > 0 && Date.now() < deadline) await sleep(50);
        expect(tmpFiles(path.join(r.dir, `b${i + 1}`)), `tmp/ of b${i + 1}`).toEqual([]);
      }

      // The dead servers come back on their ports (their bricks swept tmp/ at open): once the gateway's
      // retry period passes they take part again, reads stay right, and every set takes writes.
      for (const i of scenario.kill) {
        const port = new URL(r.servers[i]!.url).port;
        r.servers[i] = await startBrickProcess(['--dir', path.join(r.dir, `b${i + 1}`), '--secret', SECRET, '--listen', `127.0.0.1:${port}`]);
        expect(tmpFiles(path.join(r.dir, `b${i + 1}`))).toEqual([]);
      }
      await sleep(1200); // brickRetryMs
      for (const set of [0, 1]) {
        const name = Array.from({ length: 200 }, (_x, i) => `back-${i}`)
          .find((n) => r.volume.setOf({ account: A, container: C, object: n }) === r.volume.sets[set])!;
        await r.volume.putObject({ account: A, container: C, object: name }, Readable.from([Buffer.from('back')]),
          { timestamp: ts(), contentType: 'text/plain', contentLength: 4 });
        expect((await readAll(r.volume, { account: A, container: C, object: name })).toString()).toBe('back');
      }
      expect((await r.volume.health()).bricks.every((b) => b.up)).toBe(true);
      for (const [name, a] of [...run.acked].slice(0, 50)) {
        expect(md5(await readAll(r.volume, { account: A, container: C, object: name })), name).toBe(a.md5);
      }
    }, 120_000);
  }
});
