import { describe, expect, it } from 'vitest';
import { ArcLayout, layoutFromJSON, shareOf, toArcs } from '../../../src/storage/layout-arcs.js';
import { containerKey, Layout } from '../../../src/storage/layout.js';

const CIRCLE = 2 ** 32;

function names(n: number): string[] {
  return Array.from({ length: n }, (_x, i) => `dir-${i % 7}/object-${i}.bin`);
}

function containerKeys(n: number): string[] {
  return Array.from({ length: n }, (_x, i) => containerKey(`AUTH_${i % 3}`, `c${i}`));
}

describe('ArcLayout', () => {
  it('reproduces the weighted first layout (all but the stretched-range sliver)', () => {
    for (const weights of [[1, 1], [1, 1, 1, 1], [3, 1, 2], [10240, 30720, 61440]]) {
      const v1 = new Layout({ version: 1, weights });
      const arcs = ArcLayout.fromWeighted(v1);
      let same = 0;
      let total = 0;
      for (const key of containerKeys(40)) {
        for (const name of names(250)) {
          total++;
          if (arcs.locate(key, name) === v1.locate(key, name)) same++;
        }
      }
      // The sliver is at most (sets × 2^20) / 2^32 of the space; with these weights it is tiny.
      expect(same / total).toBeGreaterThan(0.999);
    }
  });

  it('is exact for containers whose rotation starts at set 0', () => {
    const v1 = new Layout({ version: 1, weights: [5, 3, 2, 7] });
    const arcs = ArcLayout.fromWeighted(v1);
    const keys = containerKeys(200).filter((k) => v1.firstSet(k) === 0);
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys) for (const name of names(300)) expect(arcs.locate(key, name)).toBe(v1.locate(key, name));
  });

  it('adding a set moves only the new set\'s share, and shares follow the weights', () => {
    const v1 = Layout.uniform(2);
    const v2 = toArcs(v1).reweigh([1, 1, 1], 2);
    expect(v2.shares().reduce((a, b) => a + b, 0)).toBe(CIRCLE);
    for (const s of v2.shares()) expect(s / CIRCLE).toBeCloseTo(1 / 3, 6);
    const keys = containerKeys(50);
    let moved = 0;
    let total = 0;
    const per = [0, 0, 0];
    for (const key of keys) {
      for (const name of names(400)) {
        total++;
        const a = v1.locate(key, name);
        const b = v2.locate(key, name);
        per[b]!++;
        if (a !== b) {
          moved++;
          expect(b).toBe(2); // objects only move to the new set
        }
      }
    }
    expect(moved / total).toBeGreaterThan(0.3);
    expect(moved / total).toBeLessThan(0.37);
    for (const n of per) expect(n / total).toBeCloseTo(1 / 3, 1);
  });

  it('draining a set (weight 0) moves exactly its objects, spread over the others by weight', () => {
    const v2 = toArcs(Layout.uniform(3)).reweigh([2, 0, 1], 2);
    expect(v2.shares()[1]).toBe(0);
    const v1 = Layout.uniform(3);
    const per = [0, 0, 0];
    for (const key of containerKeys(30)) {
      for (const name of names(300)) {
        const a = v1.locate(key, name);
        const b = v2.locate(key, name);
        expect(b).not.toBe(1);
        // Set 0 grows from 1/3 to 2/3 with set 1's range; set 2 keeps its third: only set 1's objects move.
        expect(a === 1 || a === b).toBe(true);
        per[b]!++;
      }
    }
    expect(per[0]! / (per[0]! + per[2]!)).toBeCloseTo(2 / 3, 1);
  });

  it('withoutSet renumbers later sets without moving anything; JSON round-trips', () => {
    const drained = toArcs(Layout.uniform(3)).reweigh([1, 0, 1], 2);
    const removed = drained.withoutSet(1, 3);
    expect(removed.sets).toBe(2);
    for (const key of containerKeys(20)) {
      for (const name of names(200)) {
        const before = drained.locate(key, name);
        expect(removed.locate(key, name)).toBe(before === 2 ? 1 : before);
      }
    }
    expect(() => toArcs(Layout.uniform(3)).withoutSet(1, 2)).toThrow(/still owns/);
    const back = layoutFromJSON(JSON.parse(JSON.stringify(removed.toJSON())));
    expect(back).toBeInstanceOf(ArcLayout);
    expect(back.toJSON()).toEqual(removed.toJSON());
    const weighted = layoutFromJSON(JSON.parse(JSON.stringify(Layout.uniform(2).toJSON())));
    expect(weighted).toBeInstanceOf(Layout);
  });

  it('many successive changes stay exact in their shares and bounded in arcs', () => {
    let layout = toArcs(Layout.fromCapacities([1e12, 2e12]));
    const weights = [...layout.weights];
    for (let step = 0; step < 12; step++) {
      if (step % 3 === 2) weights[step % weights.length] = 0;
      else weights.push(((step * 7919) % 5 + 1) * 500_000);
      if (!weights.some((w) => w > 0)) weights[0] = 1;
      layout = layout.reweigh([...weights], layout.version + 1);
      const want = shareOf(weights);
      expect(layout.shares()).toEqual(want);
    }
    expect(layout.arcs().length).toBeLessThan(200);
  });

  it('shareOf sums to the whole circle even for huge weights', () => {
    const s = shareOf([Number.MAX_SAFE_INTEGER, 3, Number.MAX_SAFE_INTEGER]);
    expect(s.reduce((a, b) => a + b, 0)).toBe(CIRCLE);
    expect(s[1]).toBe(0);
  });
});
