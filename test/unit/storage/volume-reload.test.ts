/**
 * A serving volume following its volume file (volume-runtime.ts) never fails a request because of a
 * reload: a second process opening the volume leaves an existing file as it is, a file rewritten with
 * the same definition is not applied again, and a brick that leaves the volume (replace-brick) is
 * closed only after the operations running on it have finished.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { configFromObject } from '../../../src/config.js';
import { makeBrick } from '../../../src/storage/brick-spec.js';
import { SupersededSet } from '../../../src/storage/errors.js';
import type { LocalBrick } from '../../../src/storage/brick/local.js';
import { readVolumeFile, writeVolumeFile, type VolumeDefinition } from '../../../src/storage/volume-file.js';
import { openConfiguredVolume, volumeFilePath, WATCH_INTERVAL_MS } from '../../../src/storage/volume-runtime.js';
import { fixture, type RebalanceFixture } from './rebalance-helpers.js';
import { getText, ts } from './store-helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('volume file reloads while serving', () => {
  it('a process that finds the file made by another while it opened (a cluster worker) leaves it as it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-reload-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const cfg = configFromObject({ storage: { root: '.' }, volume: { id: 'r', bricks: ['b1', 'b2'], replica: 1, fsync: false } }, dir);
    const file = volumeFilePath(cfg);
    const made = await openConfiguredVolume(cfg);
    await made.close();
    const def = readVolumeFile(file)!;
    rmSync(file);
    // This process finds no file, and while it opens its bricks the other worker writes one.
    let other: VolumeDefinition | undefined;
    const volume = await openConfiguredVolume(cfg, {
      brickFactory: async (spec, v) => {
        if (!other) {
          writeVolumeFile(file, def);
          other = readVolumeFile(file);
          await sleep(5); // so a rewrite could not carry the same updatedAt
        }
        return makeBrick(spec, v);
      },
    });
    cleanups.push(() => volume.close());
    expect(readVolumeFile(file)).toEqual(other); // used, not written again (its watchers would reload)
    expect(volume.layout.toJSON()).toEqual(def.layout);
  });

  it('a watcher does not apply the file rewritten with the same definition', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-reload-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const cfg = configFromObject({ storage: { root: '.' }, volume: { id: 'r', bricks: ['b1', 'b2'], replica: 1, fsync: false } }, dir);
    const events: string[] = [];
    const volume = await openConfiguredVolume(cfg, { watch: true, onEvent: (e) => events.push(e.kind) });
    cleanups.push(() => volume.close());
    const file = volumeFilePath(cfg);
    await sleep(5);
    writeVolumeFile(file, readVolumeFile(file)!); // only updatedAt changes
    await sleep(WATCH_INTERVAL_MS * 2.5);
    expect(events).toEqual([]);
  });

  describe('replace-brick during a PUT', () => {
    let fx: RebalanceFixture;
    afterEach(async () => { await fx.cleanup(); });

    it('the PUT streaming to the brick that leaves completes, and the brick is closed after it', async () => {
      fx = await fixture({ sets: 2, replica: 2, local: true });
      const ref = { account: 'AUTH_r', container: 'c', object: 'streaming' };
      await fx.volume.createContainer(ref, { timestamp: ts() });
      const set = fx.volume.setOf(ref);
      // The set's first brick: without it the other replica alone is no quorum (auto, replica 2).
      const leaving = set.members[0]!.brick as LocalBrick;
      const old = fx.volume.spec.bricks[set.index * 2];
      const body = new PassThrough();
      const put = fx.volume.putObject(ref, body, { timestamp: ts(), contentType: 'text/plain', contentLength: 10 });
      body.write('hello');
      await sleep(100); // the write is under way: its writer is open on the leaving brick
      await fx.replace(old!, fx.brick('fresh'));
      expect(fx.volume.spec.bricks).not.toContain(old);
      body.end('world');
      await expect(put).resolves.toMatchObject({ size: 10 });
      // Written where the write started; the new brick gets it from heal, as replace-brick intends.
      expect((await leaving.getRecord(ref))?.size).toBe(10);
      for (let t = 0; (await leaving.health()).detail !== 'not open'; t++) {
        expect(t).toBeLessThan(100);
        await sleep(50);
      }
    });

    it('a write that chose the set before the change and had not begun runs on the new set: the brick that left gets nothing', async () => {
      fx = await fixture({ sets: 2, replica: 2, local: true });
      const ref = { account: 'AUTH_r', container: 'c', object: 'late' };
      await fx.volume.createContainer(ref, { timestamp: ts() });
      const stale = fx.volume.setOf(ref);
      const leaving = stale.members[0]!.brick as LocalBrick;
      await fx.replace(fx.volume.spec.bricks[stale.index * 2]!, fx.brick('fresh'));
      expect(stale.superseded).toBe(true);
      // The old set object refuses new writes before touching a brick (the volume then retries).
      await expect(stale.write({ ref, timestamp: ts(), body: Readable.from([Buffer.from('x')]), contentType: 'text/plain', contentLength: 1 } as never))
        .rejects.toBeInstanceOf(SupersededSet);
      const tombstone = { ...ref, timestamp: ts(), deleted: true };
      await expect(stale.putRecord(tombstone as never, [0, 1])).rejects.toBeInstanceOf(SupersededSet);
      expect(await leaving.getRecord(ref)).toBeUndefined();
      // Through the volume, the same write lands on the current set.
      await fx.volume.putObject(ref, Readable.from([Buffer.from('data')]), { timestamp: ts(), contentType: 'text/plain', contentLength: 4 });
      expect(await getText(fx.volume, 'AUTH_r', 'c', 'late')).toBe('data');
      expect(fx.volume.setOf(ref).superseded).toBe(false);
    });

    it('every PUT in flight across the change completes', async () => {
      fx = await fixture({ sets: 2, replica: 2, local: true });
      await fx.volume.createContainer({ account: 'AUTH_r', container: 'c' }, { timestamp: ts() });
      const names = Array.from({ length: 40 }, (_x, i) => `o${i}`);
      const puts = names.map(async (object) => {
        const body = new PassThrough();
        const p = fx.volume.putObject({ account: 'AUTH_r', container: 'c', object }, body, { timestamp: ts(), contentType: 'text/plain', contentLength: 4 });
        body.write('da');
        await sleep(50);
        body.end('ta');
        return p;
      });
      await sleep(20);
      const replaced = fx.replace(fx.volume.spec.bricks[0]!, fx.brick('fresh'));
      const results = await Promise.allSettled([replaced, ...puts]);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      // Every one readable (set 0's through its remaining replica until heal fills the new brick).
      for (const n of names) expect(await getText(fx.volume, 'AUTH_r', 'c', n)).toBe('data');
    });
  });
});
