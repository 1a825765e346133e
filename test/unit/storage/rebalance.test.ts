import { afterEach, describe, expect, it } from 'vitest';
import { FaultyBrick } from '../../../src/storage/brick/faulty.js';
import { makeBrick } from '../../../src/storage/brick-spec.js';
import { ObjectNotFound } from '../../../src/storage/errors.js';
import { containerKey } from '../../../src/storage/layout.js';
import { layoutFromJSON } from '../../../src/storage/layout-arcs.js';
import { liveObjectsIn } from '../../../src/storage/rebalance-crawl.js';
import { runRebalance, requestStop } from '../../../src/storage/rebalance-run.js';
import type { VolumeSpec } from '../../../src/storage/store.js';
import type { RebalanceState } from '../../../src/storage/volume-file.js';
import {
  ACCOUNT, checkListings, checkPlacement, checkReadable, expectedMoves, fixture, populate, readDefinition, splitKey,
  type RebalanceFixture,
} from './rebalance-helpers.js';
import { getText, putText, ts } from './store-helpers.js';

let fx: RebalanceFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

/** Where the layout of commit `json` puts an object. */
function placer(json: Parameters<typeof layoutFromJSON>[0]): (c: string, o: string) => number {
  const l = layoutFromJSON(json);
  return (c, o) => l.locate(containerKey(ACCOUNT, c), o);
}

describe('rebalance after add-brick', () => {
  for (const local of [false, true]) {
    it(`moves exactly the objects whose range moved, every object readable throughout (${local ? 'local' : 'memory'} bricks)`, async () => {
      fx = await fixture({ sets: 2, replica: 2, local });
      const { volume, file, base } = fx;
      const model = await populate(volume, 3, 120);
      const before = placer(readDefinition(file).layout);
      const def = await fx.addSet();
      expect(def.sets).toHaveLength(3);
      expect(def.rebalance?.status).toBe('pending');
      expect(volume.placement.pending).toBe(true);
      const want = expectedMoves(model, before, placer(def.layout));
      expect(want).toBeGreaterThan(model.size / 5);

      // Before any move: everything is still found (the previous layout's set answers).
      await checkReadable(volume, model);
      await checkListings(volume, model);

      // While it runs, a reader keeps reading and listing.
      let running = true;
      let reads = 0;
      const reader = (async () => {
        const keys = [...model.keys()];
        while (running) {
          const key = keys[reads++ % keys.length]!;
          const { container, object } = splitKey(key);
          const v = model.get(key)!;
          if (v === null) await expect(volume.headObject({ account: ACCOUNT, container, object })).rejects.toBeInstanceOf(ObjectNotFound);
          else expect(await getText(volume, ACCOUNT, container, object)).toBe(v);
          if (reads % 50 === 0) await checkListings(volume, model, 2);
        }
      })();
      let final: RebalanceState;
      try {
        final = await runRebalance({ file, base, volume, graceMs: 0, checkpointMs: 5 });
      } finally {
        running = false;
        await reader;
      }
      expect(reads).toBeGreaterThan(0);
      expect(final.status).toBe('completed');
      // Every moved name left a linkto on every replica of its old set, and all of them were reclaimed.
      expect(final.counts).toEqual({ scanned: model.size, moved: want, failed: 0, bytes: final.counts.bytes, containers: 3, reclaimed: want });
      expect(final.counts.bytes).toBeGreaterThan(0);
      expect(final.total).toBe([...model.values()].filter((v) => v !== null).length);

      const after = readDefinition(file);
      expect(after.previous).toBeUndefined();
      expect(after.rebalance?.checkpoint).toBeUndefined();
      expect(volume.placement.pending).toBe(false);
      await checkPlacement(volume, model);
      await checkReadable(volume, model);
      await checkListings(volume, model);
      // Misses are authoritative again, and a second rebalance has nothing to do.
      await expect(volume.headObject({ account: ACCOUNT, container: 'c0', object: 'never-was' })).rejects.toBeInstanceOf(ObjectNotFound);
      await expect(runRebalance({ file, base, volume, graceMs: 0 })).rejects.toThrow(/nothing to rebalance/);
    });
  }

  it('new writes go to the new hashed set at once, before any rebalance', async () => {
    fx = await fixture({ sets: 1, replica: 2 });
    const { volume } = fx;
    await volume.createContainer({ account: ACCOUNT, container: 'w' }, { timestamp: ts() });
    await fx.addSet();
    const names = Array.from({ length: 60 }, (_x, i) => `new-${i}`);
    for (const n of names) await putText(volume, ACCOUNT, 'w', n, n);
    let onNew = 0;
    for (const n of names) {
      const target = volume.layout.locate(containerKey(ACCOUNT, 'w'), n);
      const { newest } = await volume.sets[target]!.lookup({ account: ACCOUNT, container: 'w', object: n });
      expect(newest?.deleted).toBe(false);
      if (target === 1) onNew++;
    }
    expect(onNew).toBeGreaterThan(10);
  });

  it('a POST to an object not moved yet moves it to its hashed set first, so the update is never left behind', async () => {
    fx = await fixture({ sets: 2, replica: 2 });
    const { volume, file, base } = fx;
    const model = await populate(volume, 1, 80);
    await fx.addSet();
    const key = containerKey(ACCOUNT, 'c0');
    const moving = [...model].filter(([k, v]) => v !== null
      && volume.placement.previous!.locate(key, splitKey(k).object) !== volume.layout.locate(key, splitKey(k).object));
    expect(moving.length).toBeGreaterThan(5);
    const [k, v] = moving[0]!;
    const ref = { account: ACCOUNT, container: 'c0', object: splitKey(k).object };
    const posted = await volume.postObject(ref, { timestamp: ts(), metadata: { 'x-object-meta-color': 'blue' } });
    expect(posted.metadata).toEqual({ 'x-object-meta-color': 'blue' });
    const { newest } = await volume.sets[volume.layout.locate(key, ref.object)]!.lookup(ref);
    expect(newest?.metadata).toEqual({ 'x-object-meta-color': 'blue' });
    expect(await getText(volume, ACCOUNT, 'c0', ref.object)).toBe(v);
    const done = await runRebalance({ file, base, volume, graceMs: 0 });
    expect(done.counts.moved).toBe(moving.length - 1);
    expect((await volume.headObject(ref)).metadata).toEqual({ 'x-object-meta-color': 'blue' });
    await checkPlacement(volume, model);
  });

  it('a miss in a stamped container is authoritative; in an unstamped one it looks everywhere', async () => {
    fx = await fixture({ sets: 2, replica: 1 });
    const { volume, file, base } = fx;
    const model = await populate(volume, 1, 40);
    await fx.addSet();
    // Count the brick lookups a miss costs before and after the container is stamped.
    let calls = 0;
    for (const set of volume.sets) {
      const orig = set.lookup.bind(set);
      set.lookup = (ref) => { calls++; return orig(ref); };
    }
    await expect(volume.headObject({ account: ACCOUNT, container: 'c0', object: 'nope' })).rejects.toBeInstanceOf(ObjectNotFound);
    expect(calls).toBe(3); // hashed + previous (or the rest): every set
    await runRebalance({ file, base, volume, graceMs: 0 });
    calls = 0;
    await expect(volume.headObject({ account: ACCOUNT, container: 'c0', object: 'nope' })).rejects.toBeInstanceOf(ObjectNotFound);
    expect(calls).toBe(1);
    await checkReadable(volume, model);
  });
});

describe('rebalance stop and resume', () => {
  it('stops at a checkpoint and resumes from it with exact counts', async () => {
    fx = await fixture({ sets: 2, replica: 2 });
    const { volume, file, base } = fx;
    const model = await populate(volume, 4, 60);
    const before = placer(readDefinition(file).layout);
    const def = await fx.addSet();
    const want = expectedMoves(model, before, placer(def.layout));

    const stop = new AbortController();
    const first = await runRebalance({
      file, base, volume, graceMs: 0, checkpointMs: 0, parallelism: 3, signal: stop.signal,
      onProgress: (s) => { if (s.counts.scanned >= 100) stop.abort(); },
    });
    expect(first.status).toBe('stopped');
    expect(first.checkpoint).toBeDefined();
    expect(first.counts.scanned).toBeGreaterThanOrEqual(100);
    expect(first.counts.scanned).toBeLessThan(model.size);
    expect(first.owner).toBeUndefined();
    const onDisk = readDefinition(file).rebalance!;
    expect(onDisk.status).toBe('stopped');
    expect(onDisk.checkpoint).toEqual(first.checkpoint);
    expect(volume.placement.pending).toBe(true);
    await checkReadable(volume, model);
    await checkListings(volume, model);

    const second = await runRebalance({ file, base, volume, graceMs: 0 });
    expect(second.status).toBe('completed');
    expect(second.counts.scanned).toBe(model.size);
    expect(second.counts.moved).toBe(want);
    expect(second.counts.failed).toBe(0);
    expect(second.parallelism).toBe(3);
    await checkPlacement(volume, model);
    await checkReadable(volume, model);
  });

  it('`rebalance stop` through the volume file stops a running rebalance', async () => {
    fx = await fixture({ sets: 2, replica: 1 });
    const { volume, file, base } = fx;
    const model = await populate(volume, 2, 150);
    await fx.addSet();
    let asked = false;
    const state = await runRebalance({
      file, base, volume, graceMs: 0, checkpointMs: 0,
      onProgress: (s) => {
        if (!asked && s.status === 'running' && s.counts.scanned > 20) {
          asked = true;
          void requestStop(file);
        }
      },
    });
    expect(asked).toBe(true);
    expect(state.status).toBe('stopped');
    expect(state.counts.scanned).toBeLessThan(model.size);
    const done = await runRebalance({ file, base, volume, graceMs: 0 });
    expect(done.status).toBe('completed');
    expect(done.counts.scanned).toBe(model.size);
    await checkPlacement(volume, model);
  });
});

describe('rebalance failures', () => {
  it('a name that cannot move fails the run, keeps the previous layout and every object readable; a rerun finishes', async () => {
    const faulty = new Map<string, FaultyBrick>();
    const options = {
      brickRetryMs: 20,
      brickFactory: async (spec: string, vol: VolumeSpec) => {
        const f = new FaultyBrick(await makeBrick(spec, vol));
        faulty.set(spec, f);
        return f;
      },
    };
    fx = await fixture({ sets: 2, replica: 1, options });
    const { volume, file, base } = fx;
    const model = await populate(volume, 2, 60);
    const def = await fx.addSet();
    const newBrick = faulty.get(def.sets[2]!.bricks[0]!)!;
    // Every copy onto the new set fails (catalog writes still work, so only names fail).
    newBrick.failNext('createWriter', 100_000);
    const failed = await runRebalance({ file, base, volume, graceMs: 0, volumeOptions: options });
    expect(failed.status).toBe('failed');
    expect(failed.counts.failed).toBeGreaterThan(0);
    expect(failed.failures?.length).toBeGreaterThan(0);
    expect(failed.error).toMatch(/could not be moved/);
    expect(readDefinition(file).previous).toBeDefined();
    expect(volume.placement.pending).toBe(true);
    await checkReadable(volume, model);
    await checkListings(volume, model);

    newBrick.heal();
    await new Promise((r) => setTimeout(r, 30));
    const done = await runRebalance({ file, base, volume, graceMs: 0, volumeOptions: options });
    expect(done.status).toBe('completed');
    expect(done.counts.failed).toBe(0);
    expect(done.counts.scanned).toBe(model.size);
    await checkPlacement(volume, model);
    await checkReadable(volume, model);
    await checkListings(volume, model);
  });
});

describe('remove-brick', () => {
  it('drains a set, refuses commit until drained, then removes it', async () => {
    fx = await fixture({ sets: 3, replica: 2 });
    const { volume, file, base } = fx;
    const model = await populate(volume, 3, 80);
    const doomed = volume.sets[1]!;
    const held = await liveObjectsIn(doomed);
    expect(held).toBeGreaterThan(0);
    const def = await fx.removeSet(1);
    expect(def.sets[1]!.state).toBe('draining');
    expect(layoutFromJSON(def.layout).weights[1]).toBe(0);
    await expect(fx.commitRemoval(held)).rejects.toThrow(/has not completed/);
    await checkReadable(volume, model);

    const state = await runRebalance({ file, base, volume, graceMs: 0 });
    expect(state.status).toBe('completed');
    expect(state.counts.moved).toBe(held);
    expect(await liveObjectsIn(doomed)).toBe(0);
    await checkReadable(volume, model);

    const removedBricks = doomed.members.map((m) => m.id);
    const after = await fx.commitRemoval(0);
    expect(after.sets).toHaveLength(2);
    expect(volume.sets).toHaveLength(2);
    expect(volume.sets.flatMap((s) => s.members.map((m) => m.id))).not.toEqual(expect.arrayContaining(removedBricks));
    await checkPlacement(volume, model);
    await checkReadable(volume, model);
    await checkListings(volume, model);
    // New writes and overwrites keep working on the smaller volume.
    await putText(volume, ACCOUNT, 'c0', 'after-remove', 'hello');
    expect(await getText(volume, ACCOUNT, 'c0', 'after-remove')).toBe('hello');
  });

  it('refuses layout changes while a rebalance is pending', async () => {
    fx = await fixture({ sets: 2, replica: 1 });
    await fx.addSet();
    await expect(fx.addSet()).rejects.toThrow(/rebalance/);
    await expect(fx.removeSet(0)).rejects.toThrow(/rebalance/);
  });
});

describe('replace-brick', () => {
  it('swaps a brick for an empty one; the set keeps serving from its other replica', async () => {
    fx = await fixture({ sets: 2, replica: 2 });
    const { volume } = fx;
    const model = await populate(volume, 2, 50);
    const old = readDefinition(fx.file).sets[0]!.bricks[1]!;
    const fresh = fx.brick('replacement');
    const def = await fx.replace(old, fresh);
    expect(def.sets[0]!.bricks).toContain(fresh);
    expect(def.layout).toEqual(readDefinition(fx.file).layout);
    expect(volume.spec.bricks).toContain(fresh);
    expect(volume.spec.bricks).not.toContain(old);
    await checkReadable(volume, model);
    await checkListings(volume, model);
    // The new brick takes new writes at once.
    await putText(volume, ACCOUNT, 'c0', 'post-replace', 'data');
    const { newest } = await volume.sets[volume.layout.locate(containerKey(ACCOUNT, 'c0'), 'post-replace')]!.lookup({ account: ACCOUNT, container: 'c0', object: 'post-replace' });
    expect(newest?.deleted).toBe(false);
    await expect(fx.replace(fresh, fx.brick('b0'))).rejects.toThrow(/already in volume/);
  });
});
