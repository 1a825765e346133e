/**
 * DefinitionSync (the gateway's side of sharing the volume definition) against brick servers in this
 * process: a server that was down at publish time gets the definition once it answers again; an answer
 * naming a newer commit makes the gateway fetch it into its volume file and reload; a newer local file
 * is never overwritten by an older definition from the servers.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startBrickServer, type BrickServer } from '../../../src/brickd/server.js';
import { fetchDefinition, publishDefinition } from '../../../src/storage/brick/remote-definition.js';
import { RemoteBrick } from '../../../src/storage/brick/remote.js';
import { DefinitionSync } from '../../../src/storage/definition-sync.js';
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

function definition(commit: number, bricks: string[]): VolumeDefinition {
  return { format: 1, id: VOLUME, replica: 1, sets: bricks.map((b) => ({ bricks: [b] })), layout: { version: commit, weights: bricks.map(() => 1) },
    updatedAt: '2030-01-01T00:00:00.000Z' };
}

/** What DefinitionSync uses of a Volume: its applied commit and brick list. */
function fakeVolume(commit: number, bricks: string[]): Volume {
  return { layout: { version: commit }, spec: { bricks }, staleLayoutHandler: undefined } as unknown as Volume;
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
    sync.attach(fakeVolume(2, bricks), async () => undefined);
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
    sync.attach(fakeVolume(1, bricks), async () => { reloads++; });
    sync.observed(server.url, 3);
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
    sync.attach(fakeVolume(1, bricks), async () => undefined);
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

  it('warns when a server keeps a different definition under the same commit', async () => {
    const server = await serve();
    const bricks = [`${server.url}/b`];
    await publishDefinition({ origin: server.url, secret: SECRET, volumeId: VOLUME }, definition(2, [...bricks, 'http://127.0.0.1:1/x']));
    const file = path.join(scratch, `volume-${++n}.json`);
    writeVolumeFile(file, definition(2, bricks));
    const warnings: string[] = [];
    new DefinitionSync(file, VOLUME, SECRET, { info: () => undefined, warn: (_o, m) => { warnings.push(m); } })
      .attach(fakeVolume(2, bricks), async () => undefined);
    await eventually(() => warnings.length > 0);
    expect(warnings[0]).toMatch(/another volume definition under the same layout commit/);
    expect((await fetchDefinition({ origin: server.url, secret: SECRET, volumeId: VOLUME }))!.sets).toHaveLength(2);
  });
});
