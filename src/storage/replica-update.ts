/**
 * Replica-set operations that give an existing version a new record: a POST (same data, new
 * metadata) and a same-set server-side copy (the data hard-linked under the destination's name).
 * Both run as AFR transactions (ReplicaSet.transact): dirty marks first, blame for who missed it.
 */
import { pipeline } from 'node:stream/promises';
import type { DataHandle, ObjectRecord } from './brick/brick.js';
import { dataFileName, refOf } from './brick/records.js';
import { BrickUnavailable, fromErrno, type StoreError } from './errors.js';
import type { Member } from './member.js';
import type { Lookup, ReplicaSet } from './replica-set.js';
import type { ObjectRef, Timestamp } from './store.js';

/**
 * Store `record`, a new record of the lookup's newest live version (a POST: same data file), on
 * every reachable replica as a transaction. Replicas holding the version take the record; replicas
 * that answered with something older (they missed the PUT) first get the data copied from a holder
 * and `record` committed with it, so a POST needs a quorum of reachable replicas, not of holders.
 */
export function updateVersion(set: ReplicaSet, lookup: Lookup, record: ObjectRecord): Promise<number[]> {
  const holders = set.holders(lookup);
  const targets = [...lookup.answers.keys()].filter((i) => set.members[i]!.up).sort((a, b) => a - b);
  const missed = new Map<number, StoreError>();
  set.members.forEach((_m, i) => { if (!targets.includes(i)) missed.set(i, set.downError(i)); });
  return set.transact(lookup.ref, record.timestamp, targets, missed, (m, i) => (holders.includes(i)
    ? m.call((b) => b.putRecord(record))
    : repair(set, lookup, m, record)));
}

/** Copy the lookup's version data from a holder to `member`, committing `record` (naming that data) there. */
async function repair(set: ReplicaSet, lookup: Lookup, member: Member, record: ObjectRecord): Promise<void> {
  const handle = await set.openData(lookup);
  try {
    await writeVersion(member, handle, record);
  } finally {
    handle.close();
  }
}

/**
 * Stream `handle` into a new writer on `member` and commit `record` (naming that data) there; the
 * writer is aborted on any failure. The caller owns the handle.
 */
export async function writeVersion(member: Member, handle: DataHandle, record: ObjectRecord): Promise<void> {
  const writer = await member.createWriter(refOf(record), record.dataTimestamp);
  try {
    await pipeline(handle.read(), writer.stream);
    await member.call(() => writer.commit(record));
  } catch (err) {
    await writer.abort().catch(() => undefined);
    throw fromErrno(err, member.id);
  }
}

/**
 * Copy the version `source` (held in this set) to `dst` as version `ts` by hard links on the
 * replicas holding it, then store `describe(dataFile)` there. Resolves with the stored record, or
 * undefined when too few replicas could link (the caller then streams a copy; links made without a
 * record are swept by the brick's audit, or replaced by the streamed copy's identically named file).
 */
export async function linkCopy(set: ReplicaSet, source: Lookup, dst: ObjectRef, ts: Timestamp,
                               describe: (dataFile: string) => ObjectRecord): Promise<ObjectRecord | undefined> {
  const version = source.newest!;
  const holders = set.holders(source).filter((i) => set.members[i]!.up);
  const failed = new Map<number, StoreError>();
  set.members.forEach((_m, i) => { if (!holders.includes(i)) failed.set(i, set.downError(i)); });
  const marked = await set.markAll(dst, ts, holders, failed);
  const linked: number[] = [];
  await Promise.all(marked.map(async (i) => {
    try {
      const made = await set.members[i]!.call((b) => b.linkData(version, dst, ts), { markDown: false });
      if (made !== undefined) linked.push(i);
      else failed.set(i, new BrickUnavailable(set.members[i]!.id));
    } catch (err) {
      failed.set(i, err as StoreError);
    }
  }));
  linked.sort((a, b) => a - b);
  if (!set.hasQuorum(linked)) {
    await set.settleAll(dst, ts, marked, []);
    return undefined;
  }
  const record = describe(dataFileName(dst, ts));
  // transact re-marks the linked replicas (idempotent) and settles, blaming the rest.
  await set.transact(dst, ts, linked, failed, (m) => m.call((b) => b.putRecord(record)));
  return record;
}
