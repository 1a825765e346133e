import { describe, expect, it } from 'vitest';
import { dmHash } from '../../../src/storage/hash.js';
import { chunksOf, containerKey, Layout } from '../../../src/storage/layout.js';

const GiB = 1024 ** 3;

function checkCoverage(layout: Layout, key: string): void {
  const ranges = layout.ranges(key);
  expect(ranges).toHaveLength(layout.sets);
  expect(ranges[0]!.start).toBe(0);
  expect(ranges.at(-1)!.stop).toBe(0xffffffff);
  for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toBe(ranges[i - 1]!.stop + 1);
  for (const r of ranges) expect(r.stop).toBeGreaterThanOrEqual(r.start);
  expect(new Set(ranges.map((r) => r.set)).size).toBe(layout.sets);
}

describe('Layout', () => {
  it('covers the whole 32-bit space without holes or overlaps, for many shapes and containers', () => {
    const shapes = [[1], [1, 1], [1, 1, 1], [3, 1, 2], [100, 1], [7, 7, 7, 7, 7], [GiB, GiB * 2, 5]];
    for (const weights of shapes) {
      const layout = new Layout({ version: 1, weights });
      for (let c = 0; c < 50; c++) checkCoverage(layout, containerKey('AUTH_test', `c${c}`));
    }
  });

  it('locate agrees with ranges()', () => {
    const layout = new Layout({ version: 1, weights: [5, 3, 2, 7] });
    const key = containerKey('acct', 'photos');
    const ranges = layout.ranges(key);
    for (let i = 0; i < 2000; i++) {
      const name = `obj-${i}`;
      const h = dmHash(name);
      const want = ranges.find((r) => r.start <= h && h <= r.stop)!.set;
      expect(layout.locate(key, name)).toBe(want);
    }
    for (const r of ranges) {
      expect(layout.setForHash(key, r.start)).toBe(r.set);
      expect(layout.setForHash(key, r.stop)).toBe(r.set);
    }
  });

  it('sizes ranges by weight as GlusterFS does (chunk = 0xffffffff / total, last range stretched)', () => {
    const layout = new Layout({ version: 1, weights: [1, 3] });
    const key = 'a/c';
    const chunk = Math.floor(0xffffffff / 4);
    const ranges = layout.ranges(key);
    const first = ranges[0]!;
    expect(first.set).toBe(dmHash(key) % 2);
    expect(first.stop - first.start + 1).toBe(chunk * layout.weights[first.set]!);
    expect(ranges[1]!.stop).toBe(0xffffffff);
  });

  it('spreads objects in proportion to weight', () => {
    const layout = Layout.fromCapacities([10 * GiB, 30 * GiB, 60 * GiB]);
    expect(layout.weights).toEqual([10240, 30720, 61440]);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) counts[layout.locate('a/c', `file-${i}.dat`)]!++;
    expect(counts[0]! / 30000).toBeCloseTo(0.1, 1);
    expect(counts[1]! / 30000).toBeCloseTo(0.3, 1);
    expect(counts[2]! / 30000).toBeCloseTo(0.6, 1);
  });

  it('keeps huge capacities proportional (weights are scaled, not overflowed)', () => {
    const layout = Layout.fromCapacities([Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]);
    const sizes = layout.ranges('x/y').map((r) => r.stop - r.start + 1);
    expect(Math.abs(sizes[0]! - sizes[1]!) / 2 ** 32).toBeLessThan(0.001);
    checkCoverage(layout, 'x/y');
  });

  it('rotates the first set per container by hash(account/container) % sets', () => {
    const layout = Layout.uniform(4);
    const firsts = new Set<number>();
    for (let c = 0; c < 100; c++) {
      const key = containerKey('AUTH_a', `cont${c}`);
      expect(layout.firstSet(key)).toBe(dmHash(key) % 4);
      expect(layout.ranges(key)[0]!.set).toBe(layout.firstSet(key));
      firsts.add(layout.firstSet(key));
    }
    expect(firsts.size).toBe(4);
  });

  it('small containers spread over all sets (rotation)', () => {
    const layout = Layout.uniform(3);
    const used = new Set<number>();
    for (let c = 0; c < 30; c++) used.add(layout.locate(containerKey('a', `c${c}`), 'only-object'));
    expect(used.size).toBe(3);
  });

  it('is deterministic and round-trips through its spec', () => {
    const a = new Layout({ version: 7, weights: [2, 5, 1] });
    const b = new Layout(JSON.parse(JSON.stringify(a)) as { version: number; weights: number[] });
    expect(b.version).toBe(7);
    for (let i = 0; i < 500; i++) expect(b.locate('acc/con', `n${i}`)).toBe(a.locate('acc/con', `n${i}`));
    expect(b.ranges('acc/con')).toEqual(a.ranges('acc/con'));
  });

  it('one set owns everything', () => {
    const layout = Layout.uniform(1);
    expect(layout.ranges('a/b')).toEqual([{ set: 0, start: 0, stop: 0xffffffff }]);
    expect(layout.locate('a/b', 'x')).toBe(0);
  });

  it('rejects bad specs', () => {
    expect(() => new Layout({ version: 1, weights: [] })).toThrow();
    expect(() => new Layout({ version: 1, weights: [0] })).toThrow();
    expect(() => new Layout({ version: -1, weights: [1] })).toThrow();
    expect(chunksOf(0)).toBe(1);
    expect(chunksOf(1)).toBe(1);
    expect(chunksOf(1024 * 1024 + 1)).toBe(2);
  });
});
