import { describe, expect, it } from 'vitest';
import { containerKey, Layout } from '../../../src/storage/layout.js';
import { MAX_PAGE, pageSizes } from '../../../src/storage/listing-pages.js';
import { LISTING_LIMIT } from '../../../src/storage/store.js';

describe('listing page sizes', () => {
  /** Rows read by the fewest whole pages that cover `share`. */
  const shareRead = (p: { firstPage: number }, share: number): number => Math.ceil(share / p.firstPage) * p.firstPage;

  it('reads each set\'s weight share plus a margin in equal pages of at most MAX_PAGE', () => {
    // 10,000 over two equal sets: 5,000 + 3 x sqrt(5,000) + 16 = 5,229, read as 6 pages of 872.
    expect(pageSizes(10000, [1, 1], undefined)).toEqual([{ firstPage: 872, maxPage: 872, seekPage: 872 }, { firstPage: 872, maxPage: 872, seekPage: 872 }]);
    const [small, big] = pageSizes(10000, [1, 3], undefined);
    // The light set's share (2,500 + 150 + 16) in 3 pages that read at most a row per page past it.
    expect(small!.firstPage).toBe(889);
    expect(shareRead(small!, 2666) - 2666).toBeLessThan(3);
    expect(big!.firstPage).toBeLessThanOrEqual(MAX_PAGE);
    expect(pageSizes(10000, [1], undefined)[0]!.firstPage).toBe(LISTING_LIMIT / 10);
    // Small listings take one page; a draining set (weight 0) a tiny one; equal shares when no weight is known.
    expect(pageSizes(100, [1, 1], undefined)[0]!.firstPage).toBe(50 + 22 + 16);
    expect(pageSizes(10000, [0, 1], undefined)[0]!.firstPage).toBe(16);
    expect(pageSizes(100, [0, 0], undefined)[0]!.firstPage).toBe(pageSizes(100, [1, 1], undefined)[0]!.firstPage);
  });

  it('starts small when rolling up subdirs', () => {
    expect(pageSizes(10000, [1, 1], '/')).toEqual([{ firstPage: 256, maxPage: MAX_PAGE, seekPage: 1 }, { firstPage: 256, maxPage: MAX_PAGE, seekPage: 1 }]);
  });

  it('a set\'s share of real names stays within share + 3 deviations + 16', () => {
    const layout = Layout.uniform(2);
    const key = containerKey('AUTH_a', 'c');
    for (const limit of [100, 1000, 10000]) {
      const bound = Math.ceil(limit / 2 + 3 * Math.sqrt(limit / 2)) + 16;
      for (let run = 0; run < 10; run++) {
        const counts = [0, 0];
        for (let i = 0; i < limit; i++) counts[layout.locate(key, `run${run}/obj-${String(i).padStart(6, '0')}`)]!++;
        for (const n of counts) expect(n).toBeLessThanOrEqual(bound);
      }
    }
  });
});
