/**
 * Heal one object within its replica set (one AFR self-heal of one file):
 * 1. read the record of every reachable replica (members marked down are not asked);
 * 2. choose the source: the newest timestamp, tombstones included; an equal-timestamp split-brain
 *    only by the favorite-child policy (heal-source.ts);
 * 3. copy it to every replica that lacks it (heal-copy.ts: a record, or data streamed from a holder);
 * 4. settle the marks: when every replica of the set now holds it, clear the object's marks of
 *    transactions up to the healed version (a newer transaction's marks stay); otherwise clear what was
 *    healed and leave pending marks on the holders blaming the replicas still missing it, so the next
 *    heal (e.g. when that brick comes back) knows.
 * An unresolved split-brain is left alone, marks included: `cairn heal split-brain` lists it.
 * Nothing here is unsafe against concurrent client writes: every brick keeps newest-wins.
 */
import type { ObjectRecord } from './brick/brick.js';
import { copyVersion } from './heal-copy.js';
import { chooseSource, type FavoriteChildPolicy, type SplitBrain } from './heal-source.js';
import { describeError } from './member-status.js';
import type { ReplicaSet } from './replica-set.js';
import type { ObjectRef, Timestamp } from './store.js';

export interface HealObjectOptions {
  policy: FavoriteChildPolicy;
  /** A copy moving no bytes for this long is abandoned. */
  stallMs: number;
  /** Clear marks of transactions up to this timestamp too (the marks that brought the healer here). */
  marksThrough?: Timestamp;
}

/**
 * - clean: every replica already held the same version (or none held any);
 * - healed: copies were made and every replica now holds the source;
 * - partial: some replica could not be asked or copied to (it stays blamed);
 * - split-brain: equal timestamps, different content, no rule resolved it;
 * - failed: no replica answered.
 */
export type HealVerdict = 'clean' | 'healed' | 'partial' | 'split-brain' | 'failed';

export interface HealResult {
  ref: ObjectRef;
  verdict: HealVerdict;
  /** Replicas that were given the version. */
  copied: number;
  source?: ObjectRecord;
  splitBrain?: SplitBrain;
  /** `brick-id: reason` for every replica left without the version. */
  errors: string[];
}

export async function healObject(set: ReplicaSet, ref: ObjectRef, opts: HealObjectOptions): Promise<HealResult> {
  const answers = new Map<number, ObjectRecord | undefined>();
  const missing = new Set<number>();
  const errors: string[] = [];
  await Promise.all(set.members.map(async (m, i) => {
    if (!m.up) {
      missing.add(i);
      errors.push(`${m.id}: ${m.downReason ? describeError(m.downReason) : 'down'}`);
      return;
    }
    try {
      answers.set(i, await m.call((b) => b.getRecord(ref)));
    } catch (err) {
      missing.add(i);
      errors.push(`${m.id}: ${describeError(err)}`);
    }
  }));
  if (answers.size === 0) return { ref, verdict: 'failed', copied: 0, errors };

  const choice = chooseSource(answers, opts.policy, set.size);
  const splitBrain = choice.splitBrain;
  if (splitBrain && !splitBrain.resolved) return { ref, verdict: 'split-brain', copied: 0, splitBrain, errors };
  const source = choice.source;
  const have = new Set(choice.holders);
  let copied = 0;
  if (source) {
    const from = choice.dataHolders.map((i) => set.members[i]!);
    await Promise.all([...answers.keys()].filter((i) => !have.has(i)).map(async (i) => {
      const m = set.members[i]!;
      try {
        if (await copyVersion(ref, source, m, answers.get(i), from, { stallMs: opts.stallMs }, choice.data) === 'copied') copied++;
        have.add(i);
      } catch (err) {
        missing.add(i);
        errors.push(`${m.id}: ${describeError(err)}`);
      }
    }));
  }

  const complete = missing.size === 0;
  // Without a source, a replica that did not answer may hold the version: leave the marks for later.
  if (source || complete) await settleMarks(set, ref, answers, missing, have, source, opts.marksThrough);
  const verdict = !complete ? 'partial' : copied > 0 ? 'healed' : 'clean';
  return { ref, verdict, copied, ...(source ? { source } : {}), ...(splitBrain ? { splitBrain } : {}), errors };
}

/** Clear the healed marks on the replicas that answered; blame the ones still missing the version. */
async function settleMarks(set: ReplicaSet, ref: ObjectRef, answers: ReadonlyMap<number, unknown>, missing: ReadonlySet<number>,
                           have: ReadonlySet<number>, source: ObjectRecord | undefined, marksThrough: Timestamp | undefined): Promise<void> {
  if (!set.keepsMarks) return;
  let through = marksThrough;
  if (source && (through === undefined || source.timestamp > through)) through = source.timestamp;
  if (through === undefined) return;
  const upTo = through;
  // Best effort: a mark left behind only costs the next pass a look.
  await Promise.all([...answers.keys()].map((i) => set.members[i]!.call((b) => b.clearMark(ref, upTo)).catch(() => undefined)));
  if (missing.size === 0 || !source) return;
  const blamed = [...missing].map((i) => set.members[i]!.id);
  await Promise.all([...have].filter((i) => !missing.has(i)).map((i) =>
    set.members[i]!.call((b) => b.settle(ref, source.timestamp, blamed)).catch(() => undefined)));
}
