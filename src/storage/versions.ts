/**
 * Which of several replicas' records of one object is "the" version (newest wins), shared by
 * lookups and listing merges so both always agree.
 *
 * The newest timestamp wins. Equal timestamps with different content are a split-brain (two writers
 * used one X-Timestamp, or a write refused by a quorum as a Conflict still landed on a replica that
 * lacked the version). The stated rule, GlusterFS's favorite-child "majority": the content held by
 * the most replicas wins; on a tie, the one held by the replica earliest in the set.
 */
import type { ObjectRecord } from './brick/brick.js';

/** Whether two records describe the same version (same change, same bytes). */
export function sameVersion(a: ObjectRecord, b: ObjectRecord): boolean {
  return a.timestamp === b.timestamp && a.deleted === b.deleted && a.dataTimestamp === b.dataTimestamp
    && a.size === b.size && a.etag === b.etag && a.dataFile === b.dataFile;
}

/**
 * The winning record among `records` (ordered by replica position, undefined entries = holds none),
 * or undefined when none holds one.
 */
export function chooseNewest(records: ReadonlyArray<ObjectRecord | undefined>): ObjectRecord | undefined {
  let top: ObjectRecord | undefined;
  for (const r of records) if (r && (!top || r.timestamp > top.timestamp)) top = r;
  if (!top) return undefined;
  let best: ObjectRecord | undefined;
  let bestVotes = 0;
  for (const r of records) {
    if (!r || r.timestamp !== top.timestamp) continue;
    if (best && sameVersion(best, r)) continue;
    let votes = 0;
    for (const o of records) if (o && sameVersion(o, r)) votes++;
    if (votes > bestVotes) { best = r; bestVotes = votes; }
  }
  return best;
}
