/** Store bench part (a) with a kept directory: a populated volume is reused, a different size is rebuilt. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listingBench } from '../../../src/bench/store-bench-listing.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('listingBench with reuse', () => {
  it('populates once, reuses the volume for the same object count, rebuilds it for another', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-listing-bench-test-'));
    dirs.push(dir);
    const quiet = (): void => undefined;
    const first = await listingBench(dir, 3000, quiet, { reuse: true });
    expect(first.populateSeconds).toBeGreaterThan(0);
    const again = await listingBench(dir, 3000, quiet, { reuse: true });
    expect(again.populateSeconds).toBeUndefined();
    expect(again.timings.map((t) => t.entries)).toEqual(first.timings.map((t) => t.entries));
    expect(first.timings[0]!.entries).toBe(3000);
    for (const t of first.timings) expect(t.warmCpuMedianMs).toBeGreaterThan(0);
    const other = await listingBench(dir, 2000, quiet, { reuse: true });
    expect(other.populateSeconds).toBeGreaterThan(0);
    expect(other.timings[0]!.entries).toBe(2000);
  }, 60_000);
});
