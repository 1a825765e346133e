/**
 * Heal source selection (GlusterFS's afr_selfheal_find_direction, done with timestamps): given what
 * each replica of a set holds for one object, which version every replica should end up with.
 *
 * Records are immutable and timestamped, so the source is simply the newest timestamp, tombstones
 * included (a replica that missed a delete can never bring the object back). Only equal timestamps
 * with different content (two writers used one X-Timestamp, or a refused write still landed on a
 * replica that lacked the version) are a split-brain. It is resolved only by a stated rule,
 * GlusterFS's `favorite-child-policy`:
 * - `none` (default): not resolved; reported by `cairn heal split-brain`, and reads keep using the
 *   deterministic rule of versions.ts so every gateway serves the same content meanwhile.
 * - `size`: the biggest content wins (a live version beats a tombstone of the same timestamp).
 * - `mtime`: the content with the newest data timestamp wins (the replicas' timestamps are equal by
 *   definition; the data timestamp is when the bytes were written, so a POST loses to a newer PUT).
 * - `majority`: the content held by more than half of the set's replicas wins.
 * When the rule leaves a tie, the split-brain stays unresolved. A resolved winner is re-stamped with
 * the same timestamp plus the smallest offset, since bricks only accept strictly newer records: the
 * losers take it, and it still orders before any real later write. Its data is re-stamped too (a new
 * data file name): both contents may sit under the old name on different replicas, and a brick never
 * lets one file of a name replace another. Replicas holding the winning bytes link them to the new
 * name; the others get a copy.
 */
import type { ObjectRecord } from './brick/brick.js';
import { dataFileName, refOf } from './brick/records.js';
import type { Timestamp } from './store.js';
import { compare, withOffset } from './timestamp.js';
import { sameVersion } from './versions.js';

export const FAVORITE_CHILD_POLICIES = ['none', 'size', 'mtime', 'majority'] as const;
export type FavoriteChildPolicy = (typeof FAVORITE_CHILD_POLICIES)[number];

/** One distinct content among the newest records, and the member positions holding it. */
export interface Candidate { record: ObjectRecord; positions: number[] }

export interface SplitBrain {
  timestamp: Timestamp;
  candidates: Candidate[];
  /** Whether the policy picked a winner. */
  resolved: boolean;
}

export interface SourceChoice {
  /** The version every replica should hold (re-stamped when a split-brain was resolved); undefined when no replica holds a record, or an unresolved split-brain. */
  source: ObjectRecord | undefined;
  /** Positions already holding exactly `source`. */
  holders: number[];
  /** Positions holding the winning content, even when `source` is its re-stamped copy (they can serve the data). */
  dataHolders: number[];
  /** The record naming the data on `dataHolders`: `source` itself, or the winner before re-stamping. */
  data?: ObjectRecord;
  splitBrain?: SplitBrain;
}

/**
 * Choose the source among `answers` (member position -> its record, undefined = holds none;
 * members that did not answer are absent). `setSize` is the number of replicas in the set.
 */
export function chooseSource(answers: ReadonlyMap<number, ObjectRecord | undefined>, policy: FavoriteChildPolicy,
                             setSize: number): SourceChoice {
  const entries = [...answers.entries()].sort((a, b) => a[0] - b[0]);
  let top: Timestamp | undefined;
  for (const [, r] of entries) if (r && (top === undefined || r.timestamp > top)) top = r.timestamp;
  if (top === undefined) return { source: undefined, holders: [], dataHolders: [] };
  const candidates: Candidate[] = [];
  for (const [i, r] of entries) {
    if (!r || r.timestamp !== top) continue;
    const same = candidates.find((c) => sameVersion(c.record, r));
    if (same) same.positions.push(i);
    else candidates.push({ record: r, positions: [i] });
  }
  if (candidates.length === 1) {
    const only = candidates[0]!;
    return { source: only.record, holders: [...only.positions], dataHolders: [...only.positions], data: only.record };
  }
  const winner = pick(candidates, policy, setSize);
  const splitBrain: SplitBrain = { timestamp: top, candidates, resolved: winner !== undefined };
  if (!winner) return { source: undefined, holders: [], dataHolders: [], splitBrain };
  // Nobody holds the re-stamped winner yet (one that did would be the newest, with no split-brain).
  return { source: restamp(winner.record), holders: [], dataHolders: [...winner.positions], data: winner.record, splitBrain };
}

/** The winner under `policy`, or undefined when the policy leaves a tie (or is 'none'). */
function pick(candidates: Candidate[], policy: FavoriteChildPolicy, setSize: number): Candidate | undefined {
  switch (policy) {
    case 'none':
      return undefined;
    case 'size':
      return unique(candidates, (a, b) => (a.record.deleted ? -1 : a.record.size) - (b.record.deleted ? -1 : b.record.size));
    case 'mtime':
      // Normal-form timestamps sort as strings in time order (timestamp.ts).
      return unique(candidates, (a, b) => compare(a.record.dataTimestamp, b.record.dataTimestamp));
    case 'majority':
      return candidates.find((c) => 2 * c.positions.length > setSize);
  }
}

/** The single greatest candidate by `cmp`, or undefined on a tie for the top. */
function unique(candidates: Candidate[], cmp: (a: Candidate, b: Candidate) => number): Candidate | undefined {
  let best: Candidate | undefined;
  let tied = false;
  for (const c of candidates) {
    const d = best ? cmp(c, best) : 1;
    if (d > 0) { best = c; tied = false; } else if (d === 0) tied = true;
  }
  return tied ? undefined : best;
}

/** The winner with a timestamp one offset newer (its data under the matching new name), so every replica accepts it. */
export function restamp(r: ObjectRecord): ObjectRecord {
  const timestamp = withOffset(r.timestamp, 1);
  const out: ObjectRecord = { ...r, timestamp, dataTimestamp: timestamp };
  if (!r.deleted) out.dataFile = dataFileName(refOf(r), timestamp);
  return out;
}
