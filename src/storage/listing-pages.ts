/**
 * How many records each replica set's brick cursors fetch per page for an object listing.
 *
 * Names hash uniformly over the layout, so of any run of `limit` consecutive names a set holds
 * about its weight's share; the count is binomial, its standard deviation at most the square root
 * of the share. Share + 3 deviations (+16 for tiny pages) nearly always covers the listing while
 * reading little past it; a set that still runs short reads further pages.
 *
 * That share is read in pages of at most MAX_PAGE: records a page yields are merged into entries
 * and dropped before the next page is read, so the garbage collector never has to copy a whole
 * 10,000-entry page of brick records between generations (it made up a third of a page's CPU).
 * Rolling up subdirs skips most names by seeks, so those pages start small, and the page right
 * after a seek is one row: the next subdir usually needs only its first name, and when plain names
 * follow instead the pages double again (cursor.ts). Reading 16 rows per seek made a 1,000-subdir
 * listing of the bench volume cost ~2x the CPU.
 */
import { LISTING_LIMIT } from './store.js';

/** Largest brick page of an object listing. */
export const MAX_PAGE = 1024;

export interface PageSizes { firstPage: number; maxPage: number; seekPage: number }

/** Per set (weights as in the layout), the page sizes of a listing of `limit` entries. */
export function pageSizes(limit: number, weights: readonly number[], delimiter: string | undefined): PageSizes[] {
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => {
    const expected = total > 0 ? (limit * w) / total : limit / weights.length;
    const share = Math.min(LISTING_LIMIT, Math.ceil(expected + 3 * Math.sqrt(expected)) + 16);
    if (delimiter) return { firstPage: Math.min(share, 256), maxPage: MAX_PAGE, seekPage: 1 };
    // Equal pages that add up to the share: no last page reads far past it.
    const page = Math.ceil(share / Math.ceil(share / MAX_PAGE));
    return { firstPage: page, maxPage: page, seekPage: page };
  });
}
