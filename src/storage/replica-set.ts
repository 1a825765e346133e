/**
 * ReplicaSet: GlusterFS's AFR done by the gateway over R bricks (one DHT subvolume).
 *
 * - Mutations are AFR transactions: pre-op `markDirty` on every replica taking part, the op on all of
 *   them in parallel, post-op `settle` — the dirty mark cleared where all succeeded, or a pending mark
 *   left on the good replicas blaming the ones that missed it (down bricks included). They succeed at
 *   quorum (see quorum.ts); below it they fail with QuorumNotMet (InsufficientStorage when full bricks
 *   are why). A replica answering Conflict already holds something newer: it needs no heal.
 * - Reads ask every reachable replica for its record and trust the newest timestamp, tombstones
 *   included, so a replica that missed a delete cannot resurrect the object. Data is read from one
 *   replica holding that exact version, chosen by a hash of the name (AFR read-hash-mode 1) so reads
 *   spread; if its data file is missing or truncated, the next holder serves and the bad one is blamed.
 * - Equal timestamps with different content (split-brain) resolve by majority, then replica order
 *   (versions.ts). A single-replica set keeps no heal marks (nobody to heal from).
 * - Bricks failing like dead disks are skipped for a while (member.ts).
 *
 * The streaming object write is in replica-write.ts; POST and same-set copies in replica-update.ts.
 */
import type { Brick, DataHandle, ObjectRecord, UsageCounters } from './brick/brick.js';
import { brickListCursor, MergeCursor, type Cursor, type ListingQuery } from './cursor.js';
import { BrickUnavailable, Conflict, InsufficientStorage, QuorumNotMet, StaleLayout, StoreError, SupersededSet } from './errors.js';
import { dmHash } from './hash.js';
import { chooseNewest, sameVersion } from './versions.js';
import { isBrickFailure, type Member } from './member.js';
import { hasQuorum, quorumSize, type QuorumPolicy } from './quorum.js';
import type { ObjectRef, Timestamp } from './store.js';
import { linkCopy, updateVersion } from './replica-update.js';
import { writeObject, type WriteRequest } from './replica-write.js';

export interface ReplicaSetOptions {
  quorum: QuorumPolicy;
  /** A replica making no progress for this long is dropped from a write. */
  writeTimeoutMs: number;
}

/** What the reachable replicas hold for one object. */
export interface Lookup {
  ref: ObjectRef;
  /** The winning record (newest, tombstones included; see versions.ts); undefined if none holds one. */
  newest: ObjectRecord | undefined;
  /** Per member position, the record it answered (undefined: it holds none). Non-answering members are absent. */
  answers: Map<number, ObjectRecord | undefined>;
}

/** The outcome of the op step of a transaction on one member. */
type OpResult = { ok: true } | { ok: false; err: StoreError };

/** Listing window passed down to the bricks (the marker moves as the cursor pages). */
export interface SetListQuery extends ListingQuery {
  /** Yield the set's newest record even when it is a tombstone (cross-set merges during a rebalance). */
  tombstones?: boolean;
}

export class ReplicaSet {
  constructor(readonly index: number, readonly members: Member[], readonly opts: ReplicaSetOptions) {}

  get bricks(): Brick[] { return this.members.map((m) => m.brick); }

  get size(): number { return this.members.length; }

  /**
   * Set when a reload of the volume definition replaced this set (volume-runtime.ts applyDefinition):
   * operations already writing finish here, but no new write starts on it (a brick that left the
   * volume must not take new data).
   */
  superseded = false;

  /** SupersededSet unless this set is still the volume's. Called before a write touches any brick. */
  assertCurrent(): void {
    if (this.superseded) throw new SupersededSet(this.index);
  }

  /** Positions of the members not marked down. */
  upMembers(): number[] {
    return this.members.flatMap((m, i) => (m.up ? [i] : []));
  }

  hasQuorum(ok: readonly number[]): boolean {
    return hasQuorum(this.opts.quorum, this.members.length, ok);
  }

  /** The error for a transaction that reached only `ok`, or undefined when that is a quorum. */
  quorumError(ok: readonly number[], failed: ReadonlyMap<number, StoreError>): StoreError | undefined {
    if (this.hasQuorum(ok)) return undefined;
    const causes = [...failed.values()];
    const stale = staleAmong(failed);
    if (stale) return stale;
    const full = causes.find((e) => e instanceof InsufficientStorage);
    if (full) return new InsufficientStorage(`replica set ${this.index}: not enough bricks with free space`, { cause: full });
    return new QuorumNotMet(quorumSize(this.opts.quorum, this.members.length), ok.length, { cause: causes[0] });
  }

  /** Why a member that is marked down misses an operation. */
  downError(i: number): StoreError {
    const m = this.members[i]!;
    return m.downReason ?? new BrickUnavailable(m.id);
  }

  // -- writes -------------------------------------------------------------------------------------

  /** Stream an object version to the replicas (see replica-write.ts). */
  write(req: WriteRequest): Promise<ObjectRecord> { return writeObject(this, req); }

  /**
   * Run `op` as an AFR transaction on `targets` (positions); members not targeted count as having
   * missed it (`missed` says why). Resolves with the positions that succeeded, at quorum;
   * rejects with Conflict when newer versions kept it from quorum, else QuorumNotMet/InsufficientStorage.
   */
  async transact(ref: ObjectRef, ts: Timestamp, targets: number[], missed: Map<number, StoreError>,
                 op: (member: Member, i: number) => Promise<void>): Promise<number[]> {
    this.assertCurrent();
    const failed = new Map(missed);
    const marked = await this.markAll(ref, ts, targets, failed);
    // A brick server refusing the pre-op under a newer layout: this set may not be the object's any more.
    const tooFew = staleAmong(failed) ?? this.quorumError(marked, failed);
    if (tooFew) {
      await this.settleAll(ref, ts, marked, []);
      throw tooFew;
    }
    const results = await Promise.all(marked.map(async (i): Promise<OpResult> => {
      try {
        await op(this.members[i]!, i);
        return { ok: true };
      } catch (err) {
        return { ok: false, err: err as StoreError };
      }
    }));
    const ok: number[] = [];
    const conflicts: number[] = [];
    let conflict: Conflict | undefined;
    results.forEach((r, k) => {
      const i = marked[k]!;
      if (r.ok) ok.push(i);
      else if (r.err instanceof Conflict) { conflicts.push(i); conflict ??= r.err; }
      else failed.set(i, r.err);
    });
    await this.postOp(ref, ts, ok, conflicts);
    if (this.hasQuorum(ok)) return ok;
    if (conflict) throw conflict;
    throw this.quorumError(ok, failed)!;
  }

  /**
   * Whether heal marks are kept. A single-replica set has no other copy to heal from or to blame, so
   * its transactions skip the pre-op and post-op (two index commits per write saved).
   */
  get keepsMarks(): boolean { return this.members.length > 1; }

  /** Pre-op: markDirty on `targets`; resolves with those that took it (failures recorded in `failed`). */
  async markAll(ref: ObjectRef, ts: Timestamp, targets: number[], failed: Map<number, StoreError>): Promise<number[]> {
    if (!this.keepsMarks) return [...targets];
    const ok = await Promise.all(targets.map(async (i) => {
      try {
        await this.members[i]!.call((b) => b.markDirty(ref, ts));
        return true;
      } catch (err) {
        failed.set(i, err as StoreError);
        return false;
      }
    }));
    return targets.filter((_i, k) => ok[k]);
  }

  /**
   * Post-op: the members in `ok` record a pending mark blaming every member that missed the version
   * (or clear their dirty mark when none did); members that answered Conflict hold something newer
   * and just clear theirs. Members that failed keep their dirty mark: it accuses themselves.
   */
  async postOp(ref: ObjectRef, ts: Timestamp, ok: number[], conflicts: number[]): Promise<void> {
    const good = new Set([...ok, ...conflicts]);
    const blamed = this.members.filter((_m, i) => !good.has(i)).map((m) => m.id);
    await Promise.all([this.settleAll(ref, ts, ok, blamed), this.settleAll(ref, ts, conflicts, [])]);
  }

  /** settle() on each of `members`, best effort (a leftover dirty mark only costs the healer a look). */
  async settleAll(ref: ObjectRef, ts: Timestamp, members: number[], blamed: string[]): Promise<void> {
    if (!this.keepsMarks) return;
    await Promise.all(members.map((i) => this.members[i]!.call((b) => b.settle(ref, ts, blamed)).catch(() => undefined)));
  }

  /**
   * Store a record needing no new data (tombstone, POST) on `targets` as a transaction; see `transact`.
   * Members left out (down, or not holding the data a POST record names) are blamed.
   */
  async putRecord(record: ObjectRecord, targets: number[]): Promise<number[]> {
    const ref = { account: record.account, container: record.container, object: record.name };
    const missed = new Map<number, StoreError>();
    this.members.forEach((_m, i) => { if (!targets.includes(i)) missed.set(i, this.downError(i)); });
    return this.transact(ref, record.timestamp, targets, missed, (m) => m.call((b) => b.putRecord(record)));
  }

  /** POST: a new record of the lookup's newest live version on every reachable replica (replica-update.ts). */
  updateVersion(lookup: Lookup, record: ObjectRecord): Promise<number[]> { return updateVersion(this, lookup, record); }

  /** Server-side copy by hard links within the set (replica-update.ts); undefined when it cannot link. */
  linkCopy(source: Lookup, dst: ObjectRef, ts: Timestamp, describe: (dataFile: string) => ObjectRecord): Promise<ObjectRecord | undefined> {
    return linkCopy(this, source, dst, ts, describe);
  }

  // -- reads --------------------------------------------------------------------------------------

  /** The records of `ref` on every reachable replica. QuorumNotMet when none answers. */
  async lookup(ref: ObjectRef): Promise<Lookup> {
    let ask = this.upMembers();
    // With every member marked down, asking costs little and may find one back already.
    if (ask.length === 0) ask = this.members.map((_m, i) => i);
    const answers = new Map<number, ObjectRecord | undefined>();
    const errors: unknown[] = [];
    await Promise.all(ask.map(async (i) => {
      try {
        answers.set(i, await this.members[i]!.call((b) => b.getRecord(ref)));
      } catch (err) {
        errors.push(err);
      }
    }));
    if (answers.size === 0) throw new QuorumNotMet(1, 0, { cause: errors[0] });
    const newest = chooseNewest([...answers.keys()].sort((a, b) => a - b).map((i) => answers.get(i)));
    return { ref, newest, answers };
  }

  /** Positions holding exactly the newest version of a lookup (same timestamp and data file). */
  holders(lookup: Lookup): number[] {
    const v = lookup.newest;
    if (!v) return [];
    return [...lookup.answers.entries()]
      .filter(([, r]) => r !== undefined && sameVersion(r, v))
      .map(([i]) => i)
      .sort((a, b) => a - b);
  }

  /**
   * Open the data of the lookup's newest (live) version from one holder, starting at a position
   * chosen by the name's hash; holders whose file is missing or wrong are skipped and blamed.
   */
  async openData(lookup: Lookup): Promise<DataHandle> {
    const version = lookup.newest!;
    const holders = this.holders(lookup);
    const start = holders.length > 0 ? dmHash(`${lookup.ref.account}/${lookup.ref.container}/${lookup.ref.object}`) % holders.length : 0;
    const bad: number[] = [];
    let lastErr: unknown;
    for (let k = 0; k < holders.length; k++) {
      const i = holders[(start + k) % holders.length]!;
      try {
        const handle = await this.members[i]!.call((b) => b.openData(version), { markDown: false });
        if (bad.length > 0) await this.blame(lookup.ref, version.timestamp, i, bad);
        return handle;
      } catch (err) {
        lastErr = err;
        if (!isBrickFailure(err)) throw err;
        bad.push(i);
      }
    }
    throw new QuorumNotMet(1, 0, { cause: lastErr });
  }

  /**
   * Read repair hint: when reachable replicas answered an older version (or none) of a version that
   * exists, a holder records a pending mark blaming them, so the healer copies it over.
   */
  async noteStale(lookup: Lookup): Promise<void> {
    const v = lookup.newest;
    if (!v) return;
    const stale = [...lookup.answers.entries()].filter(([, r]) => !r || !sameVersion(r, v)).map(([i]) => i);
    const holders = this.holders(lookup);
    if (stale.length === 0 || holders.length === 0) return;
    await this.blame(lookup.ref, v.timestamp, holders[0]!, stale);
  }

  private async blame(ref: ObjectRef, ts: Timestamp, good: number, bad: number[]): Promise<void> {
    if (!this.keepsMarks) return;
    const ids = bad.map((i) => this.members[i]!.id);
    await this.members[good]!.call((b) => b.settle(ref, ts, ids)).catch(() => undefined);
  }

  // -- listings and counters ------------------------------------------------------------------------

  /**
   * The set's live records of a container in listing order: the replicas' sorted pages merged by
   * name, newest wins, tombstones dropped. A replica that fails mid-way is left out while another remains.
   */
  cursor(account: string, container: string, q: SetListQuery): Cursor<ObjectRecord> {
    let members = this.upMembers();
    if (members.length === 0) members = this.members.map((_m, i) => i);
    const sources = members.map((i) => brickListCursor<ObjectRecord>(
      (query) => this.members[i]!.call((b) => b.listObjects(account, container, query)), (r) => r.name, q));
    return new MergeCursor(sources, {
      nameOf: (r) => r.name,
      reverse: q.reverse,
      pick: (items) => {
        // Items come in member order, as chooseNewest's tie-break expects.
        const newest = chooseNewest(items)!;
        return newest.deleted && !q.tombstones ? undefined : newest;
      },
      dropSource: () => true,
    });
  }

  /** Run `fn` on the first reachable member, in order (counters: any one replica's view will do). */
  async onAny<T>(fn: (b: Brick) => Promise<T>): Promise<T> {
    let lastErr: unknown;
    const order = [...this.upMembers(), ...this.members.map((_m, i) => i).filter((i) => !this.members[i]!.up)];
    for (const i of order) {
      try {
        return await this.members[i]!.call(fn);
      } catch (err) {
        lastErr = err;
      }
    }
    throw new QuorumNotMet(1, 0, { cause: lastErr });
  }

  containerUsage(account: string, container: string): Promise<UsageCounters> {
    return this.onAny((b) => b.containerUsage(account, container));
  }

  accountUsage(account: string): Promise<UsageCounters> {
    return this.onAny((b) => b.accountUsage(account));
  }

  /** Whether the container has a live object in this set (newest-wins across replicas). */
  async hasObjects(account: string, container: string): Promise<boolean> {
    const counts = await Promise.allSettled(this.upMembers().map((i) => this.members[i]!.call((b) => b.containerUsage(account, container))));
    const answered = counts.filter((c): c is PromiseFulfilledResult<UsageCounters> => c.status === 'fulfilled');
    if (answered.length > 0 && answered.every((c) => c.value.objectCount === 0)) return false;
    // Some replica counts objects: confirm with the merged view (a stale replica may still count a deleted one).
    const head = await this.cursor(account, container, { reverse: false, firstPage: 16, seekPage: 16 }).peek();
    return head !== undefined;
  }

  /** Live records with deleteAt <= before, as the newest version says, oldest deleteAt first. */
  async listExpired(before: number, limit: number): Promise<ObjectRecord[]> {
    const pages = await Promise.allSettled(this.upMembers().map((i) => this.members[i]!.call((b) => b.listExpired(before, limit))));
    const seen = new Map<string, ObjectRecord>();
    for (const p of pages) {
      if (p.status !== 'fulfilled') continue;
      for (const r of p.value) seen.set(`${r.account}\u0000${r.container}\u0000${r.name}`, r);
    }
    const out: ObjectRecord[] = [];
    for (const r of seen.values()) {
      // One replica's record may be stale: only the newest version counts.
      const { newest } = await this.lookup({ account: r.account, container: r.container, object: r.name });
      if (newest && !newest.deleted && newest.deleteAt !== undefined && newest.deleteAt <= before) out.push(newest);
    }
    return out;
  }
}

/**
 * A StaleLayout among a transaction's failures: the placement itself is in doubt, so the whole
 * operation stops (before any data moves) even if the other replicas would make a quorum.
 */
export function staleAmong(failed: ReadonlyMap<number, StoreError>): StaleLayout | undefined {
  for (const e of failed.values()) if (e instanceof StaleLayout) return e;
  return undefined;
}
