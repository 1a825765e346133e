/**
 * Definition versions (definition-version.ts) and the revision the volume file keeps (volume-file.ts):
 * every change bumps it, an unchanged write or an adopted definition does not, an old file without one
 * reads as revision 0; ordering is commit, then revision, then the smaller digest.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJSON, compareVersions, newer, versionOf } from '../../../src/storage/definition-version.js';
import { readVolumeFile, updateVolumeFile, type VolumeDefinition } from '../../../src/storage/volume-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cairn-def-version-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function def(over: Partial<VolumeDefinition> = {}): VolumeDefinition {
  return { format: 1, id: 'v', replica: 1, sets: [{ bricks: ['/a'] }], layout: { version: 1, weights: [1] }, updatedAt: '2030-01-01T00:00:00.000Z', ...over };
}

describe('definition versions', () => {
  it('canonical JSON sorts keys at every level; the digest ignores updatedAt', () => {
    expect(canonicalJSON({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null }, u: undefined })).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
    expect(versionOf(def({ updatedAt: '2031-01-01T00:00:00.000Z' }))).toEqual(versionOf(def()));
    expect(versionOf(def()).revision).toBe(0);
  });

  it('orders by commit, then revision, then the smaller digest; placement ignores rebalance bookkeeping', () => {
    const a = versionOf(def({ revision: 9 }));
    const b = versionOf(def({ layout: { version: 2, weights: [1] }, revision: 1 }));
    expect(compareVersions(b, a)).toBeGreaterThan(0);
    expect(compareVersions(versionOf(def({ revision: 3 })), versionOf(def({ revision: 2, sets: [{ bricks: ['/z'] }] })))).toBeGreaterThan(0);
    const x = versionOf(def({ revision: 1, sets: [{ bricks: ['/x'] }] }));
    const y = versionOf(def({ revision: 1, sets: [{ bricks: ['/y'] }] }));
    expect(Math.sign(compareVersions(x, y))).toBe(x.digest < y.digest ? 1 : -1);
    expect(compareVersions(x, x)).toBe(0);
    expect(newer(def(), undefined)).toBe(true);
    expect(newer(def(), def())).toBe(false);
    const progress = def({ revision: 2, rebalance: { commit: 1, status: 'running', reason: 'layout', counts: { scanned: 1, moved: 0, failed: 0, bytes: 0, containers: 0, reclaimed: 0 },
      parallelism: 2, elapsedMs: 0, layoutChangedAt: '2030-01-01T00:00:00.000Z' } });
    expect(versionOf(progress).placement).toBe(versionOf(def()).placement);
    expect(versionOf(progress).digest).not.toBe(versionOf(def()).digest);
    expect(versionOf(def({ sets: [{ bricks: ['/b'] }] })).placement).not.toBe(versionOf(def()).placement);
  });

  it('the volume file: each change bumps the revision; an unchanged write and an adopted definition do not; old files read as 0', async () => {
    const file = path.join(dir, `volume-${++n}.json`);
    const { revision: _r, ...old } = def();
    writeFileSync(file, JSON.stringify(old));
    expect(readVolumeFile(file)!.revision).toBeUndefined();
    expect(versionOf(readVolumeFile(file)!).revision).toBe(0);
    expect((await updateVolumeFile(file, (d) => ({ ...d!, sets: [{ bricks: ['/b'] }] })))!.revision).toBe(1);
    expect((await updateVolumeFile(file, (d) => ({ ...d! })))!.revision).toBe(1);
    expect((await updateVolumeFile(file, (d) => ({ ...d!, layout: { version: 2, weights: [1] } })))!.revision).toBe(2);
    const adopted = def({ layout: { version: 3, weights: [1] }, revision: 1 });
    expect((await updateVolumeFile(file, () => adopted, { asIs: true }))!.revision).toBe(1);
    expect((await updateVolumeFile(file, (d) => ({ ...d!, sets: [{ bricks: ['/c'] }] })))!.revision).toBe(2);
    const fresh = path.join(dir, `volume-${++n}.json`);
    expect((await updateVolumeFile(fresh, () => def()))!.revision).toBe(1);
    writeFileSync(fresh, JSON.stringify({ ...def(), revision: -1 }));
    expect(() => readVolumeFile(fresh)).toThrow(/revision/);
  });
});
