/**
 * How many records each replica set's brick cursors fetch at first for an object listing page.
 *
 * Names hash uniformly over the layout, so of any run of `limit` consecutive names a set holds
 * about its weight's share; the count is binomial, its standard deviation at most the square root
 * of the share. A first page of share + 3 deviations (+16 for tiny pages) nearly always covers the
 * listing in one fetch while reading little past it; a set that still runs short fetches a doubled
 * page (cursor.ts). Rolling up subdirs skips most names by seeks, so those pages start small.
 */
import { LISTING_LIMIT } from './store.js';

export interface PageSizes { firstPage: number; seekPage: number }

/** Per set (weights as in the layout), the page sizes of a listing of `limit` entries. */
export function pageSizes(limit: number, weights: readonly number[], delimiter: string | undefined): PageSizes[] {
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => {
    const expected = total > 0 ? (limit * w) / total : limit / weights.length;
    const share = Math.min(LISTING_LIMIT, Math.ceil(expected + 3 * Math.sqrt(expected)) + 16);
    return delimiter ? { firstPage: Math.min(share, 256), seekPage: 16 } : { firstPage: share, seekPage: share };
  });
}
