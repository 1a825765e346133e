/**
 * DefinitionSync (the gateway's side of sharing the volume definition) against brick servers in this
 * process: a server that was down at publish time gets the definition once it answers again; an answer
 * naming a newer commit, or a newer revision of the same commit (replace-brick), makes the gateway
 * fetch it into its volume file and reload; a newer local file is never overwritten by an older
 * definition from the servers; two definitions of the same revision settle on one; the CLI's
 * publishFile reaches the servers of the bricks a definition dropped; a read is run again only for a
 * newer definition that places objects otherwise (caughtUp).
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startBrickServer, type BrickServer } from '../../../src/brickd/server.js';
import { fetchDefinition, publishDefinition } from '../../../src/storage/brick/remote-definition.js';
import { RemoteBrick } from '../../../src/storage/brick/remote.js';
import { DefinitionSync } from '../../../src/storage/definition-sync.js';
import { versionOf } from '../../../src/storage/definition-version.js';
import { readVolumeFile, writeVolumeFile, type VolumeDefinition } from '../../../src/storage/volume-file.js';
import type { Volume } from '../../../src/storage/volume.js';

const VOLUME = 'vol-sync';
const SECRET = 'definition-sync-secret-0123456';
const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-def-sync-'));
afterAll(async () => { await fsp.rm(scratch, { recursive: true, force: true }); });

let n = 0;
const running: BrickServer[] = [];
afterEach(async () => { for (const s of running.splice(0)) await s.close(); });

/** A brick server with one brick bound to VOLUME (in `dir`, on `port` if given). */
async function serve(dir = path.join(scratch, `b${++n}`), port = 0): Promise<BrickServer> {
  const server = await startBrickServer({ bricks: [{ name: 'b', dir }], secret: SECRET, host: '127.0.0.1', port, fsync: false });
  running.push(server);
  const b = new RemoteBrick(`${server.url}/b`, { secret: SECRET, volumeId: VOLUME });
  await b.open();
  await b.close();
  return server;
}

function definition(commit: number, bricks: string[], revision = 0): VolumeDefinition {
  return { format: 1, id: VOLUME, replica: 1, sets: bricks.map((b) => ({ bricks: [b] })), layout: { version: commit, weights: bricks.map(() => 1) },
    revision, updatedAt: '2030-01-01T00:00:00.000Z' };
}

/** What DefinitionSync uses of a Volume: the version of the definition it applied and its brick list. */
function fakeVolume(def: VolumeDefinition): Volume {
  return { definitionVersion: versionOf(def), spec: { bricks: def.sets.flatMap((x) => x.bricks) }, staleLayoutHandler: undefined } as unknown as Volume;
}

const held = async (s: BrickServer): Promise<number | undefined> =>
  (await fetchDefinition({ origin: s.url, secret: SECRET, volumeId: VOLUME }))?.layout.version;

async function eventually(check: () => Promise<boolean> | boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('DefinitionSync', () => {
  it('publishes on attach; a server that was down gets the definition when it answers again', async () => {
    const up = await serve();
    const downDir = path.join(scratch, `b${++n}`);
    const down = await serve(downDir);
    const port = down.port;
    await down.close();
    running.splice(running.indexOf(down), 1);
    const bricks = [`${up.url}/b`, `${down.url}/b`];
    const file = path.join(scratch, `volume-${n}.json`);
    writeVolumeFile(file, definition(2, bricks));
    const warnings: string[] = [];
    const sync = new DefinitionSync(file, VOLUME, SECRET, { info: () => undefined, warn: (_o, m) => { warnings.push(m); } });
    sync.attach(fakeVolume(definition(2, bricks)), async () => undefined);
    await eventually(async () => (await held(up)) === 2 && warnings.length > 0);
    expect(warnings).toContain('publishing the volume definition failed');

    const back = await serve(downDir, port);
    expect(await held(back)).toBeUndefined();
    // What its answers (probes, say) report; a server is published to at most every 2 s.
    await eventually(async () => {
      sync.observed(back.url, undefined);
      return (await held(back)) === 2;
    }, 5000);
  });

  it('adopts a newer commit an answer names: into the volume file, then reloads', async () => {
    const server = await serve();
    const bricks = [`${server.url}/b`];
    const file = path.join(scratch, `volume-${++n}.json`);
    writeVolumeFile(file, definition(1, bricks));
    await publishDefinition({ origin: server.url, secret: SECRET, volumeId: VOLUME }, definition(3, bricks));
    let reloads = 0;
    const sync = new DefinitionSync(file, VOLUME, SECRET);
    sync.attach(fakeVolume(definition(1, bricks)), async () => { reloads++; });
    sync.observed(server.url, versionOf(definition(3, bricks)));
    await eventually(() => readVolumeFile(file)!.layout.version === 3 && reloads === 1);
  });

  it('never replaces a newer local file with an older definition from the servers', async () => {
    const server = await serve();
    const bricks = [`${server.url}/b`];
    const file = path.join(scratch, `volume-${++n}.json`);
    await publishDefinition({ origin: server.url, secret: SECRET, volumeId: VOLUME }, definition(3, bricks));
    // The file moved on to commit 4 (a local add-brick) after the volume last applied it (commit 1).
    writeVolumeFile(file, definition(4, bricks));
    const sync = new DefinitionSync(file, VOLUME, SECRET);
    sync.attach(fakeVolume(definition(1, bricks)), async () => undefined);
    await sync.adopt();
    expect(readVolumeFile(file)!.layout.version).toBe(4);
    // At start too (a server the sync above has not published to): its commit 3 does not replace the
    // local 4, and with no file it is taken.
    const other = await serve();
    const otherBricks = [`${other.url}/b`];
    await publishDefinition({ origin: other.url, secret: SECRET, volumeId: VOLUME }, definition(3, otherBricks));
    await new DefinitionSync(file, VOLUME, SECRET).adoptAtStart(otherBricks);
    expect(readVolumeFile(file)!.layout.version).toBe(4);
    const fresh = path.join(scratch, `volume-${++n}.json`);
    await new DefinitionSync(fresh, VOLUME, SECRET).adoptAtStart(otherBricks);
    expect(readVolumeFile(fresh)!.layout.version).toBe(3);
  });

  it('adopts a newer revision of the same commit (replace-brick), kept exactly as the servers hold it', async () => {
    const server = await serve();
    const bricks = [`${server.url}/b`];
    const file = path.join(scratch, `volume-${++n}.json`);
    writeVolumeFile(file, definition(2, bricks, 3));
    const replaced = definition(2, [`${server.url}/b`, 'http://127.0.0.1:1/new'], 4);
    await publishDefinition({ origin: server.url, secret: SECRET, volumeId: VOLUME }, replaced);
    let reloads = 0;
    const sync = new DefinitionSync(file, VOLUME, SECRET);
    sync.attach(fakeVolume(definition(2, bricks, 3)), async () => { reloads++; });
    sync.observed(server.url, versionOf(replaced));
    await eventually(() => reloads === 1);
    const taken = readVolumeFile(file)!;
    expect(taken.revision).toBe(4); // not bumped: a bump would make it newer than itself everywhere else
    expect(versionOf(taken).digest).toBe(versionOf(replaced).digest);
  });

  it('two definitions of the same commit and revision settle on the smaller digest, on the server and in the file', async () => {
    for (const serverFirst of [true, false]) {
      const server = await serve();
      const bricks = [`${server.url}/b`];
      const mine = definition(2, bricks, 1);
      const theirs = definition(2, [...bricks, 'http://127.0.0.1:1/x'], 1);
      const winner = versionOf(mine).digest < versionOf(theirs).digest ? mine : theirs;
      const at = { origin: server.url, secret: SECRET, volumeId: VOLUME };
      if (serverFirst) await publishDefinition(at, theirs);
      const file = path.join(scratch, `volume-${++n}.json`);
      writeVolumeFile(file, mine);
      const warnings: string[] = [];
      const sync = new DefinitionSync(file, VOLUME, SECRET, { info: () => undefined, warn: (_o, m) => { warnings.push(m); } });
      sync.attach(fakeVolume(mine), async () => undefined);
      if (!serverFirst) await publishDefinition(at, theirs);
      await eventually(async () => {
        sync.observed(server.url, versionOf((await fetchDefinition(at))!)); // what its next answer says
        return versionOf((await fetchDefinition(at))!).digest === versionOf(winner).digest
          && versionOf(readVolumeFile(file)!).digest === versionOf(winner).digest;
      }, 6000);
      // The loser that learns it lost from a publish answer says so (it places objects otherwise).
      if (serverFirst && winner === theirs) expect(warnings.some((w) => /same revision, placing objects differently/.test(w))).toBe(true);
    }
  });

  it('a read waits for a newer placement an answer named, not for a newer revision that places alike', async () => {
    const server = await serve();
    const bricks = [`${server.url}/b`];
    const file = path.join(scratch, `volume-${++n}.json`);
    const placed = definition(2, bricks);
    writeVolumeFile(file, placed);
    const volume = fakeVolume(placed);
    const sync = new DefinitionSync(file, VOLUME, SECRET);
    sync.attach(volume, async () => { volume.definitionVersion = versionOf(readVolumeFile(file)!); });
    // Nothing named: the answer stands at once.
    expect(await sync.caughtUp(versionOf(placed))).toBe(false);
    // A rebalance's progress (a newer revision, the same sets and layout): no reason to read again.
    const progress = definition(2, bricks, 1);
    await publishDefinition({ origin: server.url, secret: SECRET, volumeId: VOLUME }, progress);
    sync.observed(server.url, versionOf(progress));
    expect(await sync.caughtUp(versionOf(placed))).toBe(false);
    // A new layout commit: the read waits for its adoption, then runs again.
    const moved = definition(3, bricks);
    await publishDefinition({ origin: server.url, secret: SECRET, volumeId: VOLUME }, moved);
    sync.observed(server.url, versionOf(moved));
    expect(await sync.caughtUp(versionOf(placed))).toBe(true);
    expect(volume.definitionVersion).toEqual(versionOf(moved));
  });

  it('publishFile tells the servers of the bricks the definition dropped too, and waits for their answers', async () => {
    const kept = await serve();
    const dropped = await serve();
    const file = path.join(scratch, `volume-${++n}.json`);
    writeVolumeFile(file, definition(2, [`${kept.url}/b`], 5));
    const outcomes = await new DefinitionSync(file, VOLUME, SECRET).publishFile([`${dropped.url}/b`]);
    expect(outcomes.map((o) => o.result)).toEqual(['stored', 'stored']);
    for (const s of [kept, dropped]) expect(await held(s)).toBe(2);
    // Again: both hold it already; a server holding a newer one says so.
    await publishDefinition({ origin: kept.url, secret: SECRET, volumeId: VOLUME }, definition(2, [`${kept.url}/b`], 6));
    const again = await new DefinitionSync(file, VOLUME, SECRET).publishFile([`${dropped.url}/b`]);
    expect(again.map((o) => [o.result, o.held])).toEqual([['newer', { commit: 2, revision: 6 }], ['held', { commit: 2, revision: 5 }]]);
  });
});
