/**
 * Bricks about to join a volume: opened once (which binds a local brick to the volume through its
 * brick.json, and refuses one bound to another volume), checked empty, and weighed by capacity; and
 * the heal that fills a brick put in by replace-brick.
 */
import { makeBrick } from '../storage/brick-spec.js';
import type { Brick } from '../storage/brick/brick.js';
import { InvalidArgument } from '../storage/errors.js';
import { crawlSet } from '../storage/heal-crawl.js';
import { chunksOf } from '../storage/layout.js';
import { fixLayout } from '../storage/rebalance-fixlayout.js';
import type { VolumeDefinition } from '../storage/volume-file.js';
import { openAdminVolume, prepareBricks, type AdminContext } from './admin-context.js';

/**
 * Open `bricks` (in set order, `replica` per set), refuse ones holding objects unless `force`, and
 * resolve with each new set's weight: `weight`, or its smallest brick's capacity in 1 MiB chunks (as
 * the first layout weighs sets).
 */
export async function probeNewBricks(ctx: AdminContext, bricks: string[], replica: number,
                                     o: { force: boolean; weight?: number }): Promise<number[]> {
  prepareBricks(bricks);
  const opened: Brick[] = [];
  try {
    const totals: number[] = [];
    for (const spec of bricks) {
      const brick = await makeBrick(spec, ctx.base);
      opened.push(brick);
      await brick.open();
      const held = await brick.scanObjects(undefined, 1);
      if (held.length > 0 && !o.force) throw new InvalidArgument(`brick ${spec} already holds objects (use --force if that is intended)`);
      totals.push((await brick.health()).totalBytes);
    }
    const weights: number[] = [];
    for (let s = 0; s * replica < bricks.length; s++) {
      weights.push(o.weight ?? chunksOf(Math.min(...totals.slice(s * replica, (s + 1) * replica))));
    }
    return weights;
  } finally {
    await Promise.allSettled(opened.map((b) => b.close()));
  }
}

/**
 * Fill the brick that replaced another. Account and container records first (fix-layout: they live on
 * every brick), then, with `heal`, a full heal crawl of its set (storage/heal-crawl.ts). Without the
 * crawl the brick still fills: reads blame it, the index heal copies what they touch, and `cairn heal
 * full` copies the rest. Resolves with a summary.
 */
export async function fillReplaced(ctx: AdminContext, def: VolumeDefinition, brick: string, heal: boolean): Promise<string> {
  const index = def.sets.findIndex((s) => s.bricks.includes(brick));
  const volume = await openAdminVolume(ctx, def);
  try {
    const containers = await fixLayout(volume);
    const records = `${containers} container record(s) copied`;
    if (!heal) return `${records}; heal skipped: run \`cairn heal full\` to fill the new brick`;
    try {
      const counts = await crawlSet(volume.sets[index]!, { policy: 'none', stallMs: 30_000, reclaimAgeMs: Number.MAX_SAFE_INTEGER, graceMs: 0 });
      return `${records}; full heal of replica set ${index}: ${counts.scanned} scanned, ${counts.healed} healed, ${counts.failed} failed`;
    } catch (err) {
      return `${records}; heal crawl failed (${err instanceof Error ? err.message : String(err)}): run \`cairn heal full\``;
    }
  } finally {
    await volume.close();
  }
}
