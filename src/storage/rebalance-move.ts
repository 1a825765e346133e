/**
 * Moving one name to the set the current layout hashes it to (GlusterFS's `dht_migrate_file`, done
 * with immutable, timestamped versions instead of phase bits and locks).
 *
 * 1. Look the name up afresh in the target set and in every set the crawl saw it in.
 * 2. Newest wins over everything present (linktos are not present). If the newest is a live version
 *    outside the target, copy it to the target with the SAME timestamp and data timestamp, streamed
 *    from one source replica into every target replica as an AFR transaction; a target that already
 *    has that data under an older record just gets the newer record. A target holding something newer
 *    refuses (Conflict) and keeps it. If the newest is a tombstone and the target still has an older
 *    live copy, the tombstone goes to the target.
 * 3. Only then replace every live copy outside the target by a linkto (linkto.ts): accepted by a brick
 *    only while it still holds that version, so a POST that landed there meanwhile makes it a Conflict
 *    and the name is done again from step 1. Readers never see a 404: between 2 and 3 the name is in
 *    two sets with the same version, and lookups of unstamped containers look in both.
 * An overwrite during the move goes to the target set (the hashed set) and is newer than anything
 * copied, so it wins; nothing newer is ever overwritten.
 */
import type { ObjectRecord } from './brick/brick.js';
import { refOf } from './brick/records.js';
import { Conflict, InsufficientStorage, type StoreError } from './errors.js';
import { isLinkto, isPresent, linktoFor } from './linkto.js';
import type { Lookup, ReplicaSet } from './replica-set.js';
import { writeVersion } from './replica-update.js';
import type { ObjectRef } from './store.js';
import { withOffset } from './timestamp.js';

/** What moving one name did. */
export interface MoveResult {
  /** Copies outside the target were replaced by linktos (the name moved). */
  moved: boolean;
  /** Bytes copied to the target. */
  bytes: number;
}

/** Tries per name before it counts as failed (each Conflict means something changed under us). */
const ATTEMPTS = 5;

/**
 * Whether the crawl's view of a name (set index -> that set's record) says it needs moving: a live
 * copy outside the target, or a newest tombstone outside it that must bury an older copy on it.
 */
export function needsMove(records: ReadonlyMap<number, ObjectRecord>, target: number): boolean {
  const t = records.get(target);
  for (const [set, r] of records) {
    if (set === target || !isPresent(r)) continue;
    if (!r.deleted) return true;
    if (isPresent(t) && !t.deleted && t.timestamp < r.timestamp) return true;
  }
  return false;
}

/** Move `ref` to set `target` (see the module doc). `seen`: the sets the crawl saw it in. */
export async function moveName(sets: readonly ReplicaSet[], ref: ObjectRef, target: number, seen: Iterable<number>): Promise<MoveResult> {
  const involved = [...new Set([target, ...seen])];
  let bytes = 0;
  let lastConflict: Conflict | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const lookups = new Map<number, Lookup>();
    await Promise.all(involved.map(async (i) => { lookups.set(i, await sets[i]!.lookup(ref)); }));
    try {
      bytes += await settleTarget(sets, target, lookups);
      return { moved: await replaceOthers(sets, target, lookups), bytes };
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      lastConflict = err;
    }
  }
  throw lastConflict!;
}

/** Step 2: make the target hold the newest present version. Resolves with the bytes copied. */
async function settleTarget(sets: readonly ReplicaSet[], target: number, lookups: Map<number, Lookup>): Promise<number> {
  let best: { set: number; lookup: Lookup } | undefined;
  for (const [set, lookup] of lookups) {
    const r = lookup.newest;
    if (!isPresent(r)) continue;
    const b = best?.lookup.newest;
    // Newest wins; on a tie the target's own record stays.
    if (!b || r.timestamp > b.timestamp || (r.timestamp === b.timestamp && set === target)) best = { set, lookup };
  }
  if (!best || best.set === target) return 0;
  const version = best.lookup.newest!;
  const dst = sets[target]!;
  const held = lookups.get(target)!.newest;
  if (version.deleted) {
    if (isPresent(held) && !held.deleted && held.timestamp < version.timestamp) await dst.putRecord(version, dst.upMembers());
    return 0;
  }
  if (isPresent(held) && held.timestamp >= version.timestamp) return 0; // the target has newer (or the same)
  if (isPresent(held) && !held.deleted && held.dataFile === version.dataFile) {
    // Same bytes, older record (a POST the target missed): only the record moves.
    await dst.updateVersion(lookups.get(target)!, version);
    return 0;
  }
  // A linkto the target kept from an earlier move away is newer than the version: order after it.
  const record = held && isLinkto(held) && held.timestamp >= version.timestamp
    ? { ...version, timestamp: withOffset(held.timestamp, 1) }
    : version;
  await copyVersion(dst, sets[best.set]!, best.lookup, record);
  return record.size;
}

/** Step 3: a linkto over every live copy outside the target. Resolves with whether any was replaced. */
async function replaceOthers(sets: readonly ReplicaSet[], target: number, lookups: Map<number, Lookup>): Promise<boolean> {
  let replaced = false;
  for (const [set, lookup] of lookups) {
    const r = lookup.newest;
    if (set === target || !isPresent(r) || r.deleted) continue;
    const src = sets[set]!;
    await src.putRecord(linktoFor(r, target), src.upMembers());
    replaced = true;
  }
  return replaced;
}

/**
 * Stream `record`'s data from a holder in `src` into every reachable replica of `dst` and commit
 * `record` there, as one AFR transaction (dirty marks, quorum, blame for who missed it).
 */
async function copyVersion(dst: ReplicaSet, src: ReplicaSet, from: Lookup, record: ObjectRecord): Promise<void> {
  const handle = await src.openData(from);
  try {
    // As a client write: bricks below min-free-disk take no new data (a full set fails the move, counted).
    const room = await Promise.all(dst.members.map((m) => (m.up ? m.hasRoom() : Promise.resolve(false))));
    const targets = dst.upMembers().filter((i) => room[i]);
    const missed = new Map<number, StoreError>();
    dst.members.forEach((m, i) => {
      if (!m.up) missed.set(i, dst.downError(i));
      else if (!room[i]) missed.set(i, new InsufficientStorage(`brick ${m.id} is below min-free-disk`));
    });
    await dst.transact(refOf(record), record.timestamp, targets, missed, (m) => writeVersion(m, handle, record));
  } finally {
    handle.close();
  }
}
