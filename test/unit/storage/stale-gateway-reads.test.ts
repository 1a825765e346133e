/**
 * Reads through a gateway that has not yet adopted an add-brick made through another one (volume.ts
 * `reading`, definition-sync.ts `caughtUp`). Gateways are volumes opened as `cairn serve` opens them
 * (each with its own volume file), over two brick servers in this process. Nothing here probes the
 * bricks periodically (the server's health watch does, not the store), so a stale gateway's first
 * brick answers after the add-brick are those of the read under test: it is still on commit 1 when
 * the read starts, and the read itself must learn of commit 2.
 *
 * - GET, HEAD, a COPY's source, a listing and the container's counts find what gateway A wrote to the
 *   new replica set, and a DELETE of a container whose only object is there is refused (not empty);
 * - a missing object is still ObjectNotFound, after at most one more lookup, and an up-to-date gateway
 *   looks once and fetches nothing;
 * - an adoption that never finishes leaves the miss as the answer after the bounded wait.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../../src/config.js';
import { startBrickServer, type BrickServer } from '../../../src/brickd/server.js';
import { fetchDefinition } from '../../../src/storage/brick/remote-definition.js';
import { DefinitionSync, READ_CATCH_UP_MS } from '../../../src/storage/definition-sync.js';
import { ContainerNotEmpty, ObjectNotFound } from '../../../src/storage/errors.js';
import { Placement } from '../../../src/storage/layout-history.js';
import { fixLayout } from '../../../src/storage/rebalance-fixlayout.js';
import { isSubdir, type ObjectRef } from '../../../src/storage/store.js';
import { addBricks } from '../../../src/storage/volume-admin.js';
import { updateVolumeFile } from '../../../src/storage/volume-file.js';
import { openConfiguredVolume, volumeFilePath } from '../../../src/storage/volume-runtime.js';
import type { Volume } from '../../../src/storage/volume.js';
import { eventually } from '../../helpers/objects.js';
import { getText, putText, ts } from './store-helpers.js';

const SECRET = 'stale-gateway-reads-secret-0123';
const VOLUME = 'stale-reads';
const A = 'AUTH_stale';
const C = 'things';
const o = (object: string): ObjectRef => ({ account: A, container: C, object });

let dir: string;
const servers: BrickServer[] = [];
const gateways: Volume[] = [];

function configOf(name: string): Pick<Config, 'storage' | 'volume'> {
  const root = path.join(dir, name);
  mkdirSync(root, { recursive: true });
  return {
    storage: { root },
    volume: { id: VOLUME, bricks: [`${servers[0]!.url}/b1`, `${servers[1]!.url}/b2`], replica: 2, secret: SECRET, fsync: false },
  } as Pick<Config, 'storage' | 'volume'>;
}

async function gateway(name: string): Promise<Volume> {
  const v = await openConfiguredVolume(configOf(name), { watch: true, brickRetryMs: 200 });
  gateways.push(v);
  return v;
}

const heldBy = async (s: BrickServer): Promise<number | undefined> =>
  (await fetchDefinition({ origin: s.url, secret: SECRET, volumeId: VOLUME }))?.layout.version;

/** Gateway A (which made the add-brick), the stale ones (opened before it, still on commit 1), and what A wrote to the new set. */
let a: Volume;
const stale = new Map<string, Volume>();
let onNewSet: string[] = [];
const STALE = ['get', 'head', 'copy', 'list', 'count', 'delete-container', 'missing', 'hung'];
/** A container whose only object A wrote to the new set. */
const C2 = 'new-set-only';

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cairn-stale-reads-'));
  // Server 0 serves b1 and b3, server 1 b2 and b4: each replica set spans both.
  for (const s of [0, 1]) {
    servers.push(await startBrickServer({
      bricks: [{ name: `b${s + 1}`, dir: path.join(dir, `server${s}`, `b${s + 1}`) }, { name: `b${s + 3}`, dir: path.join(dir, `server${s}`, `b${s + 3}`) }],
      secret: SECRET, host: '127.0.0.1', port: 0, fsync: false,
    }));
  }
  a = await gateway('a');
  expect(await eventually(async () => (await heldBy(servers[0]!)) === 1 && (await heldBy(servers[1]!)) === 1, 8000)).toBe(true);
  for (const name of STALE) stale.set(name, await gateway(name));
  await a.createContainer({ account: A, container: C }, { timestamp: ts() });
  for (let i = 0; i < 4; i++) await putText(a, A, C, `before-${i}`, `before ${i}`);

  // add-brick through A, as `cairn volume add-brick` does it: A's file, then fix-layout.
  await updateVolumeFile(volumeFilePath(configOf('a')), (d) => addBricks(d!, [`${servers[0]!.url}/b3`, `${servers[1]!.url}/b4`], [d!.layout.weights[0]!]));
  expect(await eventually(() => a.layout.version === 2 && a.sets.length === 2, 8000)).toBe(true);
  await fixLayout(a);
  expect(await eventually(async () => (await heldBy(servers[0]!)) === 2 && (await heldBy(servers[1]!)) === 2, 8000)).toBe(true);

  onNewSet = Array.from({ length: 200 }, (_x, i) => `after-${i}`).filter((n) => a.setOf(o(n)).index === 1).slice(0, 3);
  for (const n of onNewSet) await putText(a, A, C, n, `A wrote ${n}`);
  await a.createContainer({ account: A, container: C2 }, { timestamp: ts() });
  const only = Array.from({ length: 200 }, (_x, i) => `only-${i}`).find((n) => a.setOf({ account: A, container: C2, object: n }).index === 1)!;
  await putText(a, A, C2, only, 'on the new set');
  // A wrote them to the new set only: the old layout's set does not hold them.
  for (const n of onNewSet) expect((await a.sets[0]!.lookup(o(n))).newest).toBeUndefined();
}, 60_000);

afterEach(() => { vi.restoreAllMocks(); });

afterAll(async () => {
  for (const g of gateways.splice(0)) await g.close();
  for (const s of servers.splice(0)) await s.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A gateway still on commit 1 (nothing has told it of the add-brick yet). */
function staleGateway(name: string): Volume {
  const g = stale.get(name)!;
  expect(g.layout.version).toBe(1);
  expect(g.sets.length).toBe(1);
  return g;
}

describe('a gateway that has not adopted an add-brick made through another one', () => {
  it('GETs what the other wrote to the new replica set', async () => {
    const g = staleGateway('get');
    for (const n of onNewSet) expect(await getText(g, A, C, n)).toBe(`A wrote ${n}`);
    expect(g.layout.version).toBe(2);
  });

  it('HEADs it', async () => {
    const g = staleGateway('head');
    const info = await g.headObject(o(onNewSet[0]!));
    expect(info).toEqual(await a.headObject(o(onNewSet[0]!)));
  });

  it('copies from it', async () => {
    const g = staleGateway('copy');
    await g.copyObject(o(onNewSet[1]!), o('copied'), {
      timestamp: ts(), describe: (src) => ({ contentType: src.contentType, metadata: src.metadata, systemMetadata: {} }),
    });
    expect(await getText(a, A, C, 'copied')).toBe(`A wrote ${onNewSet[1]!}`);
  });

  it('lists it', async () => {
    const g = staleGateway('list');
    const names = (await g.listObjects({ account: A, container: C }, { limit: 10000 })).entries.map((e) => (isSubdir(e) ? e.subdir : e.name));
    expect(names).toEqual(expect.arrayContaining(onNewSet));
  });

  it('counts it', async () => {
    const g = staleGateway('count');
    const counted = await a.getContainer({ account: A, container: C });
    expect(counted.objectCount).toBeGreaterThan((await a.sets[0]!.containerUsage(A, C)).objectCount); // some are on the new set
    expect((await g.getContainer({ account: A, container: C })).objectCount).toBe(counted.objectCount);
  });

  it('does not delete a container whose objects are all on the new set', async () => {
    const g = staleGateway('delete-container');
    await expect(g.deleteContainer({ account: A, container: C2 }, { timestamp: ts() })).rejects.toBeInstanceOf(ContainerNotEmpty);
    expect((await a.getContainer({ account: A, container: C2 })).objectCount).toBe(1);
  });

  it('still answers a missing object not found, after at most one more lookup', async () => {
    const g = staleGateway('missing');
    const finds = vi.spyOn(Placement.prototype, 'find');
    await expect(g.headObject(o('never-written'))).rejects.toBeInstanceOf(ObjectNotFound);
    expect(finds).toHaveBeenCalledTimes(2); // under commit 1, then once under commit 2
    expect(g.layout.version).toBe(2);

    // Up to date now: one lookup, no adoption, no definition fetched.
    finds.mockClear();
    const adopt = vi.spyOn(DefinitionSync.prototype, 'adopt');
    await expect(g.headObject(o('never-written'))).rejects.toBeInstanceOf(ObjectNotFound);
    await expect(a.getObject(o('never-written'))).rejects.toBeInstanceOf(ObjectNotFound);
    expect(finds).toHaveBeenCalledTimes(2);
    expect(adopt).not.toHaveBeenCalled();
  });

  it('answers what it found when the adoption does not finish in time', async () => {
    const g = staleGateway('hung');
    vi.spyOn(DefinitionSync.prototype, 'adopt').mockReturnValue(new Promise<void>(() => undefined));
    const started = Date.now();
    await expect(g.headObject(o(onNewSet[2]!))).rejects.toBeInstanceOf(ObjectNotFound);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(READ_CATCH_UP_MS - 50);
    expect(waited).toBeLessThan(READ_CATCH_UP_MS + 3000);
    expect(g.layout.version).toBe(1);
  });
});
