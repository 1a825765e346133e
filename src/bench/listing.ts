/**
 * Listing: fill a container with `objects` objects (zero-byte PUTs at `concurrency`), then time a full
 * 10,000-entry JSON page from the start and from the middle (median of three each).
 */
import { performance } from 'node:perf_hooks';
import type { Progress } from './progress.js';
import type { ListingResult } from './results.js';
import { runOps } from './run-ops.js';
import { median } from './stats.js';
import { expectOk, type SwiftSession } from './swift-client.js';

export const LISTING_CONTAINER = 'bench-list';
const PAGE = 10_000;

export const listingName = (i: number): string => `obj-${String(i).padStart(8, '0')}`;

export async function benchListing(s: SwiftSession, objects: number, concurrency: number, progress: Progress): Promise<ListingResult> {
  expectOk('PUT container', await s.send('PUT', s.path(LISTING_CONTAINER)));
  progress.start('listing: creating objects', objects, 'objects');
  const empty = Buffer.alloc(0);
  const fill = await runOps(objects, concurrency, async (i) => {
    expectOk(`PUT ${listingName(i)}`, await s.send('PUT', s.path(LISTING_CONTAINER, listingName(i)), empty, { 'content-length': '0' }));
  }, () => progress.tick());
  progress.stop();

  const page = async (marker?: string): Promise<{ ms: number; entries: number }> => {
    const q = `?format=json&limit=${PAGE}${marker === undefined ? '' : `&marker=${encodeURIComponent(marker)}`}`;
    const t0 = performance.now();
    const r = await s.json<unknown[]>(s.path(LISTING_CONTAINER, undefined, q));
    const ms = performance.now() - t0;
    if (r.status !== 200 || !Array.isArray(r.value)) throw new Error(`GET listing: HTTP ${r.status}`);
    return { ms, entries: r.value.length };
  };
  const first = [await page(), await page(), await page()];
  const middleMarker = listingName(Math.floor(objects / 2) - 1);
  const middle = [await page(middleMarker), await page(middleMarker), await page(middleMarker)];
  return {
    objects,
    createOpsPerSec: objects / fill.seconds,
    pageEntries: first[0]!.entries,
    firstPageMs: median(first.map((p) => p.ms)),
    middlePageMs: median(middle.map((p) => p.ms)),
  };
}

/** Remove what benchListing made (only needed on an endpoint we do not throw away). */
export async function cleanListing(s: SwiftSession, objects: number, concurrency: number, progress: Progress): Promise<void> {
  progress.start('cleanup', objects, 'objects');
  await runOps(objects, concurrency, async (i) => {
    const r = await s.send('DELETE', s.path(LISTING_CONTAINER, listingName(i)));
    if (r.status !== 404) expectOk(`DELETE ${listingName(i)}`, r);
  }, () => progress.tick());
  progress.stop();
  expectOk('DELETE container', await s.send('DELETE', s.path(LISTING_CONTAINER)));
}
