import { describe, expect, it } from 'vitest';
import { containerKey, Layout } from '../../../src/storage/layout.js';
import { pageSizes } from '../../../src/storage/listing-pages.js';
import { LISTING_LIMIT } from '../../../src/storage/store.js';

describe('listing page sizes', () => {
  it('gives each set its weight share plus a margin, never more than the listing limit', () => {
    expect(pageSizes(10000, [1, 1], undefined)).toEqual([{ firstPage: 5229, seekPage: 5229 }, { firstPage: 5229, seekPage: 5229 }]);
    const [small, big] = pageSizes(10000, [1, 3], undefined);
    expect(small!.firstPage).toBeLessThan(big!.firstPage);
    expect(big!.firstPage).toBeGreaterThan(7500);
    expect(pageSizes(10000, [1], undefined)[0]!.firstPage).toBe(LISTING_LIMIT);
    // A draining set (weight 0) starts with a small page; equal shares when no weight is known.
    expect(pageSizes(10000, [0, 1], undefined)[0]!.firstPage).toBe(16);
    expect(pageSizes(100, [0, 0], undefined)[0]!.firstPage).toBe(pageSizes(100, [1, 1], undefined)[0]!.firstPage);
  });

  it('starts small when rolling up subdirs', () => {
    expect(pageSizes(10000, [1, 1], '/')).toEqual([{ firstPage: 256, seekPage: 16 }, { firstPage: 256, seekPage: 16 }]);
  });

  it('covers a set\'s share of a page of real names in one fetch', () => {
    const layout = Layout.uniform(2);
    const key = containerKey('AUTH_a', 'c');
    for (const limit of [100, 1000, 10000]) {
      const first = pageSizes(limit, layout.weights, undefined).map((p) => p.firstPage);
      for (let run = 0; run < 10; run++) {
        const counts = [0, 0];
        for (let i = 0; i < limit; i++) counts[layout.locate(key, `run${run}/obj-${String(i).padStart(6, '0')}`)]!++;
        counts.forEach((n, set) => expect(n).toBeLessThanOrEqual(first[set]!));
      }
    }
  });
});
