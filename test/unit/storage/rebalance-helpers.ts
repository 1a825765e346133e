/** Shared setup for the rebalance tests: a volume driven by a volume file in a temp dir, a model of its objects. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ObjectNotFound } from '../../../src/storage/errors.js';
import { containerKey } from '../../../src/storage/layout.js';
import { isLinkto } from '../../../src/storage/linkto.js';
import type { ObjectStore, VolumeSpec } from '../../../src/storage/store.js';
import { addBricks, commitRemove, replaceBrick, startRemove } from '../../../src/storage/volume-admin.js';
import { readVolumeFile, updateVolumeFile, writeVolumeFile, type VolumeDefinition } from '../../../src/storage/volume-file.js';
import { applyDefinition, definitionOf } from '../../../src/storage/volume-runtime.js';
import { openVolume, type Volume, type VolumeOptions } from '../../../src/storage/volume.js';
import { getText, putText, ts } from './store-helpers.js';

let seq = 0;

export interface RebalanceFixture {
  volume: Volume;
  file: string;
  base: VolumeSpec;
  dir: string;
  /** Brick spec of a new brick (memory or a dir under the temp dir). */
  brick(name: string): string;
  /** Apply a definition change to the file and the open volume. */
  change(fn: (def: VolumeDefinition) => VolumeDefinition): Promise<VolumeDefinition>;
  addSet(): Promise<VolumeDefinition>;
  removeSet(index: number): Promise<VolumeDefinition>;
  commitRemoval(live: number): Promise<VolumeDefinition>;
  replace(oldBrick: string, newBrick: string): Promise<VolumeDefinition>;
  cleanup(): Promise<void>;
}

export async function fixture(shape: { sets: number; replica: number; local?: boolean; options?: VolumeOptions }): Promise<RebalanceFixture> {
  const n = ++seq;
  const dir = mkdtempSync(join(tmpdir(), 'cairn-rebalance-'));
  const brick = (name: string): string => (shape.local ? join(dir, name) : `memory:rb${n}-${name}`);
  const bricks = Array.from({ length: shape.sets * shape.replica }, (_x, i) => brick(`b${i}`));
  const base: VolumeSpec = { id: `rb-${n}`, bricks, replica: shape.replica, fsync: false };
  const volume = await openVolume({ ...base, bricks: [...bricks] }, shape.options);
  const file = join(dir, 'volume.json');
  writeVolumeFile(file, definitionOf(volume));
  let next = shape.sets * shape.replica;
  const change = async (fn: (def: VolumeDefinition) => VolumeDefinition): Promise<VolumeDefinition> => {
    const def = (await updateVolumeFile(file, (d) => fn(d!)))!;
    await applyDefinition(volume, def, shape.options);
    return def;
  };
  return {
    volume, file, base, dir, brick, change,
    addSet: () => change((d) => addBricks(d, Array.from({ length: shape.replica }, () => brick(`b${next++}`)), [volume.layout.weights[0]!])),
    removeSet: (index) => change((d) => startRemove(d, index)),
    commitRemoval: (live) => change((d) => commitRemove(d, live)),
    replace: (o, nb) => change((d) => replaceBrick(d, o, nb)),
    cleanup: async () => {
      await volume.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What the store should hold: object key -> content, or null when deleted. */
export type Model = Map<string, string | null>;

export const ACCOUNT = 'AUTH_rb';

export function keyOf(container: string, object: string): string { return `${container}/${object}`; }

export function splitKey(key: string): { container: string; object: string } {
  const at = key.indexOf('/');
  return { container: key.slice(0, at), object: key.slice(at + 1) };
}

/** Containers c0.. with `per` objects each; some overwritten, POSTed and deleted so every record kind exists. */
export async function populate(store: ObjectStore, containers: number, per: number): Promise<Model> {
  const model: Model = new Map();
  for (let c = 0; c < containers; c++) {
    await store.createContainer({ account: ACCOUNT, container: `c${c}` }, { timestamp: ts() });
    await Promise.all(Array.from({ length: per }, async (_x, i) => {
      const object = `obj-${String(i).padStart(4, '0')}${i % 5 === 0 ? '/nested' : ''}`;
      const data = `c${c}/${object} v1 ${'x'.repeat(i % 50)}`;
      await putText(store, ACCOUNT, `c${c}`, object, data);
      model.set(keyOf(`c${c}`, object), data);
    }));
  }
  let k = 0;
  for (const [key] of [...model]) {
    const { container, object } = splitKey(key);
    const ref = { account: ACCOUNT, container, object };
    if (k % 11 === 3) {
      await store.deleteObject(ref, { timestamp: ts() });
      model.set(key, null);
    } else if (k % 7 === 2) {
      const data = `${key} v2`;
      await putText(store, ACCOUNT, container, object, data);
      model.set(key, data);
    } else if (k % 13 === 5) {
      await store.postObject(ref, { timestamp: ts(), metadata: { 'x-object-meta-k': String(k) } });
    }
    k++;
  }
  return model;
}

/** Every live object reads back with its content; every deleted one is a 404. */
export async function checkReadable(store: ObjectStore, model: Model): Promise<void> {
  for (const [key, want] of model) {
    const { container, object } = splitKey(key);
    if (want === null) {
      await expect(store.headObject({ account: ACCOUNT, container, object })).rejects.toBeInstanceOf(ObjectNotFound);
    } else {
      expect(await getText(store, ACCOUNT, container, object)).toBe(want);
    }
  }
}

/**
 * The listing of every container is exactly the model's live names, each once, and the container's
 * object count matches. `moving`: names a rebalance may be moving right now (its parallelism): each
 * is counted by both sets for the moment between its copy and its linkto, so counts may be that much high.
 */
export async function checkListings(store: ObjectStore, model: Model, moving = 0): Promise<void> {
  const byContainer = new Map<string, string[]>();
  for (const [key, v] of model) {
    const { container, object } = splitKey(key);
    if (!byContainer.has(container)) byContainer.set(container, []);
    if (v !== null) byContainer.get(container)!.push(object);
  }
  for (const [container, names] of byContainer) {
    const page = await store.listObjects({ account: ACCOUNT, container }, { limit: 10000 });
    const listed = page.entries.map((e) => ('name' in e ? e.name : `[${e.subdir}]`));
    expect(listed).toEqual([...names].sort());
    const info = await store.getContainer({ account: ACCOUNT, container });
    expect(info.objectCount).toBeGreaterThanOrEqual(names.length);
    expect(info.objectCount).toBeLessThanOrEqual(names.length + moving);
  }
}

/** Live objects sit only on their hashed set; other sets hold nothing, a linkto or a tombstone. */
export async function checkPlacement(volume: Volume, model: Model): Promise<void> {
  for (const [key, want] of model) {
    if (want === null) continue;
    const { container, object } = splitKey(key);
    const ref = { account: ACCOUNT, container, object };
    const target = volume.layout.locate(containerKey(ACCOUNT, container), object);
    for (const set of volume.sets) {
      const { newest } = await set.lookup(ref);
      if (set.index === target) {
        expect(newest?.deleted, `${key} on its hashed set ${target}`).toBe(false);
      } else {
        expect(newest === undefined || newest.deleted || isLinkto(newest), `${key} left on set ${set.index}`).toBe(true);
      }
    }
  }
}

/** How many live objects change set between two placements (what a rebalance must move). */
export function expectedMoves(model: Model, before: (c: string, o: string) => number, after: (c: string, o: string) => number): number {
  let n = 0;
  for (const [key, v] of model) {
    if (v === null) continue;
    const { container, object } = splitKey(key);
    if (before(container, object) !== after(container, object)) n++;
  }
  return n;
}

export function readDefinition(file: string): VolumeDefinition {
  return readVolumeFile(file)!;
}
