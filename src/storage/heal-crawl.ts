/**
 * The full heal crawl of one replica set (GlusterFS's `heal VOL full`, Swift's replicator pass):
 * merge the replicas' object records (scanObjects, in (account, container, name) order, one page per
 * replica in memory) and, for each name:
 * - replicas that disagree (one lacks it, holds an older version, or another content): heal the
 *   object (heal-object.ts), unless its newest record is so young that its write may still be in
 *   flight (the write's own marks bring the index heal to it);
 * - all replicas agree on a tombstone older than reclaim_age and no replica holds anything live:
 *   reclaim it from every replica (Swift's reclaim_age: by then every replica has had ample time to
 *   learn of the delete). Linkto records are left to the rebalance that wrote them. Reclaim needs
 *   every replica of the set to answer, so a replica that is away cannot come back with the object.
 * Superseded and orphaned data files are the bricks' own audit's business (run after the crawl).
 *
 * `dryRun` reports what differs and the split-brains without changing anything.
 */
import type { ObjectRecord } from './brick/brick.js';
import { healObject, type HealResult } from './heal-object.js';
import { mergeScans, PagedScan, Pool } from './heal-scan.js';
import { chooseSource, type FavoriteChildPolicy, type SplitBrain } from './heal-source.js';
import { isLinkto } from './linkto.js';
import { refOf } from './brick/records.js';
import type { ReplicaSet } from './replica-set.js';
import { compareNames, type ObjectRef } from './store.js';
import { toSeconds } from './timestamp.js';
import { sameVersion } from './versions.js';

export interface CrawlOptions {
  policy: FavoriteChildPolicy;
  stallMs: number;
  /** Tombstones older than this are reclaimed. */
  reclaimAgeMs: number;
  /** Records younger than this are left to the index heal (their write may be in flight); 0: none are. */
  graceMs: number;
  /** Records per scan page (default 500). */
  pageSize?: number;
  /** Objects healed at once (default 4). */
  concurrency?: number;
  dryRun?: boolean;
  signal?: AbortSignal;
  now?: () => number;
  /** Told about every object the crawl healed or tried to. */
  onResult?: (set: ReplicaSet, result: HealResult) => void;
  /** Told about every split-brain found (also in dry runs). */
  onSplitBrain?: (set: ReplicaSet, ref: ObjectRef, split: SplitBrain) => void;
  /** Told every few hundred records and at the end of the set. */
  onProgress?: (p: SetCrawlCounts) => void;
}

/** What a crawl did in one set. */
export interface SetCrawlCounts {
  set: number;
  scanned: number;
  differing: number;
  healed: number;
  partial: number;
  splitBrain: number;
  failed: number;
  reclaimed: number;
  /** Replicas whose records could not be read (down, or failed during the crawl). */
  unreadable: string[];
  /** The last object looked at. */
  position?: ObjectRef;
}

const compareRecords = (a: ObjectRecord, b: ObjectRecord): number =>
  compareNames(a.account, b.account) || compareNames(a.container, b.container) || compareNames(a.name, b.name);

export async function crawlSet(set: ReplicaSet, opts: CrawlOptions): Promise<SetCrawlCounts> {
  const now = opts.now ?? Date.now;
  const counts: SetCrawlCounts = { set: set.index, scanned: 0, differing: 0, healed: 0, partial: 0, splitBrain: 0, failed: 0, reclaimed: 0, unreadable: [] };
  const positions = set.members.map((_m, i) => i).filter((i) => set.members[i]!.up);
  const down = set.members.filter((m) => !m.up).map((m) => m.id);
  const pageSize = opts.pageSize ?? 500;
  const scans = positions.map((i) => new PagedScan<ObjectRecord>(
    (after, limit) => set.members[i]!.call((b) => b.scanObjects(after && refOf(after), limit)), pageSize));
  const pool = new Pool(opts.concurrency ?? 4);

  for await (const group of mergeScans(scans, compareRecords)) {
    if (opts.signal?.aborted) break;
    counts.scanned++;
    counts.position = refOf(group.key);
    if (counts.scanned % 256 === 0) opts.onProgress?.({ ...counts });
    // By member position; members not scanned (down) or whose scan failed are unknown.
    const answers = new Map<number, ObjectRecord | undefined>();
    positions.forEach((pos, k) => { if (!group.failed.has(k)) answers.set(pos, group.items.get(k)); });
    const everyone = down.length === 0 && group.failed.size === 0;
    const records = [...answers.values()];
    const choice = chooseSource(answers, opts.policy, set.size);
    const newest = choice.source ?? choice.splitBrain?.candidates[0]?.record;
    if (!newest) continue;
    if (choice.splitBrain) {
      opts.onSplitBrain?.(set, refOf(newest), choice.splitBrain);
      if (opts.dryRun) counts.splitBrain++;
    }
    const ageMs = now() - toSeconds(newest.timestamp) * 1000;
    if (newest.deleted && !isLinkto(newest) && ageMs > opts.reclaimAgeMs && everyone && records.every((r) => !r || r.deleted)) {
      if (!opts.dryRun) {
        await pool.run(async () => {
          const n = await reclaim(set, answers);
          counts.reclaimed += n;
        });
      }
      continue;
    }
    // Only disagreement among the replicas that answered counts: one that is away is the index heal's
    // when it comes back (the writes it missed blame it).
    const differ = records.some((r) => r === undefined || !sameVersion(r, newest));
    if (!differ || (opts.graceMs > 0 && ageMs < opts.graceMs)) continue;
    counts.differing++;
    if (opts.dryRun) continue;
    const ref = refOf(newest);
    await pool.run(async () => {
      let r: HealResult;
      try {
        r = await healObject(set, ref, { policy: opts.policy, stallMs: opts.stallMs });
      } catch (err) {
        r = { ref, verdict: 'failed', copied: 0, errors: [String(err)] };
      }
      tally(counts, r);
      opts.onResult?.(set, r);
    });
  }
  await pool.drain();
  counts.unreadable = [...down, ...positions.filter((_p, k) => scans[k]!.failed).map((p) => set.members[p]!.id)];
  opts.onProgress?.({ ...counts });
  return counts;
}

function tally(counts: SetCrawlCounts, r: HealResult): void {
  if (r.verdict === 'healed' || r.verdict === 'clean') counts.healed++;
  else if (r.verdict === 'partial') counts.partial++;
  else if (r.verdict === 'split-brain') counts.splitBrain++;
  else counts.failed++;
}

/** Remove the agreed old tombstone (each replica's own, by its timestamp) from every replica holding one. */
async function reclaim(set: ReplicaSet, answers: ReadonlyMap<number, ObjectRecord | undefined>): Promise<number> {
  let removed = 0;
  await Promise.all([...answers.entries()].map(async ([i, r]) => {
    if (!r) return;
    try {
      if (await set.members[i]!.call((b) => b.reclaimTombstone(refOf(r), r.timestamp))) removed++;
    } catch {
      // the next crawl tries again
    }
  }));
  return removed > 0 ? 1 : 0;
}
