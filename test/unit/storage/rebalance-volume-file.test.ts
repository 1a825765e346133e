import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFromObject } from '../../../src/config.js';
import { addBricks } from '../../../src/storage/volume-admin.js';
import { checkDefinition, readVolumeFile, updateVolumeFile, writeVolumeFile, type VolumeDefinition } from '../../../src/storage/volume-file.js';
import { definitionOf, openConfiguredVolume, resolveVolumeConfig, volumeFilePath } from '../../../src/storage/volume-runtime.js';
import { openVolume } from '../../../src/storage/volume.js';
import { getText, putText, ts } from './store-helpers.js';

let dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'cairn-volfile-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function sample(): VolumeDefinition {
  return {
    format: 1, id: 'v', replica: 2,
    sets: [{ bricks: ['/a', '/b'] }],
    layout: { version: 1, weights: [1] },
    updatedAt: new Date().toISOString(),
  };
}

describe('volume file', () => {
  it('round-trips atomically, leaves no temporary files, and names bad fields', () => {
    const dir = tmp();
    const file = join(dir, 'volume.json');
    expect(readVolumeFile(file)).toBeUndefined();
    writeVolumeFile(file, sample());
    expect(readVolumeFile(file)).toMatchObject({ id: 'v', replica: 2, sets: [{ bricks: ['/a', '/b'] }] });
    expect(readdirSync(dir)).toEqual(['volume.json']);
    expect(() => checkDefinition({ ...sample(), replica: 0 }, 'f')).toThrow(/f: replica/);
    expect(() => checkDefinition({ ...sample(), sets: [{ bricks: ['/a'] }] }, 'f')).toThrow(/sets\[0\]\.bricks: must list 2 bricks/);
    expect(() => checkDefinition({ ...sample(), layout: { version: 1, weights: [1, 1] } }, 'f')).toThrow(/layout\.weights/);
    writeFileSync(file, '{nope');
    expect(() => readVolumeFile(file)).toThrow(/not JSON/);
  });

  it('serialises concurrent read-modify-writes with its lock, and takes over a dead holder\'s lock', async () => {
    const file = join(tmp(), 'volume.json');
    writeVolumeFile(file, sample());
    await Promise.all(Array.from({ length: 20 }, () => updateVolumeFile(file, async (d) => {
      await new Promise((r) => setTimeout(r, 1));
      return { ...d!, layout: { version: d!.layout.version + 1, weights: [1] } };
    })));
    expect(readVolumeFile(file)!.layout.version).toBe(21);
    // A lock left by a process that is gone (pid 2^22 + 1 is beyond Linux's pid_max default).
    writeFileSync(`${file}.lock`, '4194305\n');
    await updateVolumeFile(file, (d) => ({ ...d!, id: 'w' }));
    expect(readVolumeFile(file)!.id).toBe('w');
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('storage.volume_file in the config; the file wins over volume.bricks once it exists', async () => {
    const dir = tmp();
    const cfg = configFromObject({ storage: { root: 'data', volume_file: 'defs/vol.json' }, volume: { id: 'x', bricks: ['b1'], replica: 1 } }, dir);
    expect(volumeFilePath(cfg)).toBe(join(dir, 'data', 'defs', 'vol.json'));
    const plain = configFromObject({ storage: { root: 'data' }, volume: { id: 'x', bricks: ['b1'], replica: 1, fsync: false } }, dir);
    expect(volumeFilePath(plain)).toBe(join(dir, 'data', 'volume.json'));
    expect(resolveVolumeConfig(plain).volume.bricks).toEqual([join(dir, 'data', 'b1')]);

    // First open creates the file, pinning the layout computed from the capacities.
    const v1 = await openConfiguredVolume(plain);
    const def = readVolumeFile(volumeFilePath(plain))!;
    expect(def).toMatchObject({ id: 'x', replica: 1, sets: [{ bricks: [join(dir, 'data', 'b1')] }], layout: { version: 1 } });
    await v1.createContainer({ account: 'a', container: 'c' }, { timestamp: ts() });
    await putText(v1, 'a', 'c', 'o', 'hello');
    await v1.close();
    await updateVolumeFile(volumeFilePath(plain), (d) => addBricks(d!, [join(dir, 'data', 'b2')], [d!.layout.weights[0]!]));
    // The config still lists one brick; the file says two, and so does the reopened volume.
    expect(resolveVolumeConfig(plain).volume.bricks).toHaveLength(2);
    const v2 = await openConfiguredVolume(plain);
    try {
      expect(v2.sets).toHaveLength(2);
      expect(v2.placement.pending).toBe(true);
      expect(await getText(v2, 'a', 'c', 'o')).toBe('hello');
    } finally {
      await v2.close();
    }
  });

  it('a memory-only volume gets no file', async () => {
    const dir = tmp();
    const cfg = configFromObject({ volume: { id: 'm', bricks: ['memory:volfile-m1'], replica: 1 } }, dir);
    const v = await openConfiguredVolume(cfg);
    await v.close();
    expect(existsSync(volumeFilePath(cfg))).toBe(false);
  });

  it('a watching volume follows changes of the file while in use', async () => {
    const dir = tmp();
    const cfg = configFromObject({ storage: { root: '.' }, volume: { id: 'w', bricks: ['b1', 'b2'], replica: 1, fsync: false } }, dir);
    const events: string[] = [];
    const volume = await openConfiguredVolume(cfg, { watch: true, onEvent: (e) => events.push(e.kind) });
    try {
      expect(volume.sets).toHaveLength(2);
      await updateVolumeFile(volumeFilePath(cfg), (d) => addBricks(d!, [join(dir, 'b3')], [d!.layout.weights[0]!]));
      for (let t = 0; volume.sets.length !== 3; t++) {
        expect(t).toBeLessThan(60);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(volume.layout.version).toBe(2);
      expect(volume.spec.bricks).toEqual([join(dir, 'b1'), join(dir, 'b2'), join(dir, 'b3')]);
      expect(events).toContain('reloaded');
    } finally {
      await volume.close();
    }
  });

  it('definitionOf describes an open volume in set order', async () => {
    const v = await openVolume({ id: 'd', bricks: ['memory:volfile-d1', 'memory:volfile-d2', 'memory:volfile-d3', 'memory:volfile-d4'], replica: 2 });
    try {
      expect(definitionOf(v).sets).toEqual([{ bricks: ['memory:volfile-d1', 'memory:volfile-d2'] }, { bricks: ['memory:volfile-d3', 'memory:volfile-d4'] }]);
    } finally {
      await v.close();
    }
  });
});
