/**
 * One volume definition for every gateway: two `cairn brick` processes and several gateways (volumes
 * opened in this process as `cairn serve` opens them, each with its own volume file) in front of them.
 * Gateway A adds a replica set to its own file; the others follow through the brick servers:
 * - a gateway started without a file adopts the servers' definition instead of making its own;
 * - an idle gateway adopts the new commit from its next brick answer (a health probe);
 * - a gateway that does not listen to answers has its old-layout write refused by the brick servers
 *   (StaleLayout), adopts the new definition and retries: the object lands on the new layout's set;
 * - a gateway started with an old volume file adopts the newer definition before serving.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { makeBrick } from '../../src/storage/brick-spec.js';
import type { DefinitionLink } from '../../src/storage/brick/remote-client.js';
import { fetchDefinition } from '../../src/storage/brick/remote-definition.js';
import { RemoteBrick } from '../../src/storage/brick/remote.js';
import { fixLayout } from '../../src/storage/rebalance-fixlayout.js';
import type { ObjectRef } from '../../src/storage/store.js';
import { addBricks } from '../../src/storage/volume-admin.js';
import { readVolumeFile, updateVolumeFile } from '../../src/storage/volume-file.js';
import { openConfiguredVolume, volumeFilePath, type ConfiguredVolumeOptions } from '../../src/storage/volume-runtime.js';
import type { Volume } from '../../src/storage/volume.js';
import { ensureBuilt, startBrickProcess, type BrickProcess } from '../helpers/brick-servers.js';

const SECRET = 'shared-definition-secret-0123';
const VOLUME = 'shared-def';
const A = 'AUTH_shared';
const C = 'things';
const o = (object: string): ObjectRef => ({ account: A, container: C, object });

let dir: string;
let servers: BrickProcess[] = [];
const gateways: Volume[] = [];
let t = 0;
const ts = (): string => `${1_800_000_000 + ++t}.00000`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await sleep(50);
  }
}

/** What the log of one gateway said. */
function recorder(): { log: NonNullable<ConfiguredVolumeOptions['log']>; lines: string[] } {
  const lines: string[] = [];
  return { lines, log: { info: (_o, msg) => { lines.push(msg); }, warn: (_o, msg) => { lines.push(`warn: ${msg}`); } } };
}

/** A gateway's config: its own storage root (and so its own volume file) over the shared brick servers. */
function configOf(name: string): Pick<Config, 'storage' | 'volume'> {
  const root = path.join(dir, name);
  mkdirSync(root, { recursive: true });
  return {
    storage: { root },
    volume: { id: VOLUME, bricks: [`${servers[0]!.url}/b1`, `${servers[1]!.url}/b2`], replica: 2, secret: SECRET },
  } as Pick<Config, 'storage' | 'volume'>;
}

async function gateway(name: string, options: ConfiguredVolumeOptions = {}): Promise<Volume> {
  const v = await openConfiguredVolume(configOf(name), { watch: true, brickRetryMs: 200, ...options });
  gateways.push(v);
  return v;
}

/** A gateway deaf to the commits brick servers name in their answers: it learns only from refusals. */
const deaf: ConfiguredVolumeOptions['brickFactory'] = async (spec, volume) => {
  const brick = await makeBrick(spec, volume);
  if (brick instanceof RemoteBrick) {
    const link = brick.linkDefinition.bind(brick);
    brick.linkDefinition = (l: DefinitionLink) => link({ version: () => l.version(), observed: () => undefined });
  }
  return brick;
};

const heldBy = async (s: BrickProcess): Promise<number | undefined> =>
  (await fetchDefinition({ origin: s.url, secret: SECRET, volumeId: VOLUME }))?.layout.version;

async function put(v: Volume, name: string, body: string): Promise<void> {
  const data = Buffer.from(body);
  await v.putObject(o(name), Readable.from([data]), { timestamp: ts(), contentType: 'text/plain', contentLength: data.length });
}

async function get(v: Volume, name: string): Promise<string> {
  const r = await v.getObject(o(name));
  try {
    const parts: Buffer[] = [];
    for await (const c of r.read()) parts.push(c as Buffer);
    return Buffer.concat(parts).toString();
  } finally {
    r.close();
  }
}

async function names(v: Volume): Promise<string[]> {
  return (await v.listObjects({ account: A, container: C }, { limit: 10000 })).entries.map((e) => e.name);
}

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'cairn-shared-def-'));
  // Server 0 serves b1 and b3, server 1 b2 and b4: each replica set spans both.
  servers = await Promise.all([0, 1].map((s) => startBrickProcess([
    '--dir', path.join(dir, `server${s}`, `b${s + 1}`), '--dir', path.join(dir, `server${s}`, `b${s + 3}`), '--secret', SECRET, '--no-fsync',
  ])));
}, 120_000);

afterAll(async () => {
  for (const g of gateways.splice(0)) await g.close();
  await Promise.all(servers.map((s) => s.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('gateways share the volume definition through the brick servers', () => {
  it('follow add-brick made on another gateway: by answers, by stale-layout refusals, and at start', async () => {
    const a = await gateway('a');
    // A created its volume file and published it.
    await eventually(async () => (await heldBy(servers[0]!)) === 1 && (await heldBy(servers[1]!)) === 1);
    const oldFile = readFileSync(volumeFilePath(configOf('a')), 'utf8');

    // B starts without a file: it takes the servers' definition rather than computing its own.
    const bLog = recorder();
    const b = await gateway('b', { log: bLog.log });
    expect(readVolumeFile(volumeFilePath(configOf('b')))!.layout).toEqual(readVolumeFile(volumeFilePath(configOf('a')))!.layout);
    const wLog = recorder();
    const w = await gateway('w', { log: wLog.log, brickFactory: deaf });
    expect(w.layout.version).toBe(1);

    await a.createContainer({ account: A, container: C }, { timestamp: ts() });
    const before = Array.from({ length: 12 }, (_x, i) => `before-${i}`);
    for (const n of before) await put(a, n, `body of ${n}`);

    // add-brick on A's host, as `cairn volume add-brick` does: A's file only.
    const fileA = volumeFilePath(configOf('a'));
    await updateVolumeFile(fileA, (d) => addBricks(d!, [`${servers[0]!.url}/b3`, `${servers[1]!.url}/b4`], [d!.layout.weights[0]!]));
    await eventually(() => a.layout.version === 2 && a.sets.length === 2);
    await fixLayout(a); // account and container records onto the new bricks (the CLI's step after add-brick)
    await eventually(async () => (await heldBy(servers[0]!)) === 2 && (await heldBy(servers[1]!)) === 2);
    expect(b.layout.version).toBe(1);
    expect(w.layout.version).toBe(1);

    // W writes under commit 1: refused by the brick servers, adopts commit 2, retries under it.
    const name = Array.from({ length: 200 }, (_x, i) => `after-${i}`).find((n) => a.setOf(o(n)).index === 1)!;
    await put(w, name, 'written through W');
    expect(wLog.lines).toContain('write refused under a stale layout: adopting the newer definition');
    expect(w.layout.version).toBe(2);
    expect(readVolumeFile(volumeFilePath(configOf('w')))!.layout.version).toBe(2);
    // Placed by the new layout: on the new set, not on the old one.
    expect((await a.sets[1]!.lookup(o(name))).newest?.timestamp).toBeDefined();
    expect((await a.sets[0]!.lookup(o(name))).newest).toBeUndefined();

    // B is idle: its next brick answer (a health probe) names commit 2, and it adopts it.
    await b.health();
    await eventually(() => b.layout.version === 2, 5000);
    expect(bLog.lines).toContain('adopted a newer volume definition from the brick servers');
    expect(readVolumeFile(volumeFilePath(configOf('b')))!.layout.version).toBe(2);
    const viaB = Array.from({ length: 200 }, (_x, i) => `via-b-${i}`).find((n) => b.setOf(o(n)).index === 1)!;
    await put(b, viaB, 'written through B');
    expect((await a.sets[1]!.lookup(o(viaB))).newest).toBeDefined();

    // Every gateway reads every object, and lists each once.
    for (const g of [a, b, w]) {
      expect(await get(g, name)).toBe('written through W');
      expect(await get(g, viaB)).toBe('written through B');
      for (const n of before) expect(await get(g, n)).toBe(`body of ${n}`);
      const listed = await names(g);
      expect(listed).toEqual([...new Set(listed)]);
      expect(listed.sort()).toEqual([...before, name, viaB].sort());
    }

    // C starts with the old volume file (commit 1): it adopts commit 2 before serving.
    const fileC = volumeFilePath(configOf('c'));
    writeFileSync(fileC, oldFile);
    const cLog = recorder();
    const c = await gateway('c', { log: cLog.log });
    expect(c.layout.version).toBe(2);
    expect(c.sets.length).toBe(2);
    expect(cLog.lines).toContain('adopted the newer volume definition held by the brick servers');
    expect(await get(c, name)).toBe('written through W');
  }, 60_000);
});
