/**
 * Account and container records, which live on every brick of the volume (GlusterFS directories
 * exist on every subvolume). A change is merged onto every reachable brick and counts when every
 * replica set reached its quorum; records merge commutatively (max timestamps, newest value per
 * metadata key), so a brick that missed a change is brought up to date by any later merge or heal.
 *
 * A read merges what the reachable bricks hold. It needs a quorum of answers in at least one set:
 * every successful change reached a quorum in every set, and two 'auto' quorums of a set always
 * share a brick, so that set's answers include the change.
 *
 * A merged record is kept and served again while nothing could have changed it: no record change in
 * this process (record-flight.ts), every brick it was read from still up and at the same
 * recordsVersion (which moves at once with a change made through this process, and within
 * RECORDS_CHECK_MS with one made by another: index.ts), and every brick that was down still down.
 * Any brick that cannot say its version (a remote one) means reading every time. So a kept record is
 * what a read started at most that long ago would return, the same window as joining a read in
 * flight; object requests ask for their account and container on every request, and this is most of
 * the cost of asking.
 */
import { LRUCache } from 'lru-cache';
import type { AccountRecord, Brick, ContainerRecord, TimestampedMetadata, UsageCounters } from './brick/brick.js';
import { mergeAccountRecords, mergeContainerRecords } from './brick/records.js';
import { brickListCursor, MergeCursor, type Cursor, type ListingQuery, type PagedCursor } from './cursor.js';
import { QuorumNotMet, StoreError } from './errors.js';
import type { Member } from './member.js';
import { recordChange, recordChangesSoFar, RecordFlights, type Shared, type SharedMetadata } from './record-flight.js';
import type { ReplicaSet } from './replica-set.js';
import type { MetadataUpdate, Timestamp } from './store.js';

/** A container row of an account listing with its counts summed over the replica sets. */
export type ContainerRow = ContainerRecord & UsageCounters;

/** Whether an account or container record describes something that exists now. */
export function exists(r: { putTimestamp: Timestamp; deleteTimestamp?: Timestamp } | undefined): boolean {
  return r !== undefined && (r.deleteTimestamp === undefined || r.putTimestamp > r.deleteTimestamp);
}

/** The last change to a record: its creation or its newest metadata change. */
export function lastChange(r: { putTimestamp: Timestamp; metadata: SharedMetadata }): Timestamp {
  let ts = r.putTimestamp;
  for (const [, t] of Object.values(r.metadata)) if (t > ts) ts = t;
  return ts;
}

/** A metadata update stamped with `ts` ('' values stay, as removals that merge). */
export function stamp(update: MetadataUpdate | undefined, ts: Timestamp): TimestampedMetadata {
  const out: TimestampedMetadata = {};
  for (const [k, v] of Object.entries(update ?? {})) out[k] = [v, ts];
  return out;
}

/** Which bricks a read asked, per set (members' indexes). */
type Asked = number[][];

/**
 * What a kept record was read from: the process's record-change count, and per member of every set
 * its recordsVersion then (undefined: it was down and not asked).
 */
interface Stamp { changes: number; members: Array<[Member, number | undefined]> }

interface Kept<T> { value: T; stamp: Stamp }

/** Records kept per kind (accounts, containers): the active ones of a busy gateway, a few MB at most. */
const KEPT_RECORDS = 10_000;

export class Catalog {
  /** Concurrent reads of one record share a read (record-flight.ts has the rule and its window). */
  private readonly accountReads = new RecordFlights<Shared<AccountRecord> | undefined>();
  private readonly containerReads = new RecordFlights<Shared<ContainerRecord> | undefined>();
  private readonly keptAccounts = new LRUCache<string, Kept<Shared<AccountRecord> | undefined>>({ max: KEPT_RECORDS });
  private readonly keptContainers = new LRUCache<string, Kept<Shared<ContainerRecord> | undefined>>({ max: KEPT_RECORDS });

  constructor(private readonly sets: ReplicaSet[]) {}

  /** The merged record; it may be shared with concurrent readers (record-flight.ts). */
  getAccount(account: string): Promise<Shared<AccountRecord> | undefined> {
    return this.keptOrRead(this.keptAccounts, this.accountReads, account, (b) => b.getAccount(account), mergeAccountRecords);
  }

  /** Merges never change their input, so a Shared record (one just read) may be merged back as it is. */
  mergeAccount(shared: Shared<AccountRecord>): Promise<AccountRecord> {
    const record = shared as AccountRecord;
    return recordChange(async () => {
      const out = await this.writeEverywhere((b) => b.mergeAccount(record));
      return out.reduce((acc, r) => mergeAccountRecords(acc, r), record);
    });
  }

  /** The merged record; it may be shared with concurrent readers (record-flight.ts). */
  getContainer(account: string, container: string): Promise<Shared<ContainerRecord> | undefined> {
    return this.keptOrRead(this.keptContainers, this.containerReads, `${account}\0${container}`,
      (b) => b.getContainer(account, container), mergeContainerRecords);
  }

  /**
   * The record kept under `key` while it is current (see the module doc), else one read from the
   * bricks (shared with reads in flight) and merged, then kept when every brick asked could say its version.
   */
  private keptOrRead<R extends AccountRecord | ContainerRecord>(
    kept: LRUCache<string, Kept<Shared<R> | undefined>>, flights: RecordFlights<Shared<R> | undefined>, key: string,
    fetch: (b: Brick) => Promise<R | undefined>, merge: (stored: R | undefined, incoming: R) => R,
  ): Promise<Shared<R> | undefined> {
    const k = kept.get(key);
    if (k && this.current(k.stamp)) return Promise.resolve(k.value);
    return flights.run(key, async () => {
      const asked = this.toAsk();
      const stamp = this.stamp(asked);
      const found = await this.readEverywhere(asked, fetch);
      // A fresh merge, handed out as Shared from here on (TypeScript cannot see R fits Shared<R> generically).
      const value = found.reduce<R | undefined>((acc, r) => (r ? merge(acc, r) : acc), undefined) as Shared<R> | undefined;
      if (stamp) kept.set(key, { value, stamp });
      return value;
    });
  }

  mergeContainer(shared: Shared<ContainerRecord>): Promise<ContainerRecord> {
    const record = shared as ContainerRecord;
    return recordChange(async () => {
      const out = await this.writeEverywhere((b) => b.mergeContainer(record));
      return out.reduce((acc, r) => mergeContainerRecords(acc, r), record);
    });
  }

  /**
   * The containers of an account in listing order, merged over every reachable brick, deleted ones
   * dropped; each row's counts are the sum over sets of one brick's counters per set.
   */
  containers(account: string, q: ListingQuery): Cursor<ContainerRow> {
    const sources: Array<{ set: number; cursor: PagedCursor<ContainerRow> }> = [];
    for (const set of this.sets) {
      let members = set.upMembers();
      if (members.length === 0) members = set.members.map((_m, i) => i);
      for (const i of members) {
        const m = set.members[i]!;
        sources.push({
          set: set.index,
          cursor: brickListCursor<ContainerRow>((query) => m.call((b) => b.listContainers(account, query)), (r) => r.container, q),
        });
      }
    }
    return new MergeCursor(sources.map((s) => s.cursor), {
      nameOf: (r) => r.container,
      reverse: q.reverse,
      pick: (rows, from) => {
        let merged: ContainerRecord | undefined;
        const counted = new Set<number>();
        let objectCount = 0;
        let bytesUsed = 0;
        rows.forEach((r, k) => {
          merged = mergeContainerRecords(merged, r);
          const set = sources[from[k]!]!.set;
          if (counted.has(set)) return;
          counted.add(set);
          objectCount += r.objectCount;
          bytesUsed += r.bytesUsed;
        });
        return exists(merged) ? { ...merged!, objectCount, bytesUsed } : undefined;
      },
      dropSource: () => true,
    });
  }

  /**
   * Run `fn` on every reachable brick; succeed when every set reached its quorum. Resolves with the
   * answers of the bricks that succeeded.
   */
  private async writeEverywhere<R>(fn: (b: Brick) => Promise<R>): Promise<R[]> {
    const results: R[] = [];
    let failure: StoreError | undefined;
    await Promise.all(this.sets.map(async (set) => {
      const failed = new Map<number, StoreError>();
      const ok: number[] = [];
      set.members.forEach((_m, i) => { if (!set.members[i]!.up) failed.set(i, set.downError(i)); });
      await Promise.all(set.upMembers().map(async (i) => {
        try {
          results.push(await set.members[i]!.call(fn));
          ok.push(i);
        } catch (err) {
          failed.set(i, err as StoreError);
        }
      }));
      failure ??= set.quorumError(ok, failed);
    }));
    if (failure) throw failure;
    return results;
  }

  /** The bricks a read asks: every reachable one (every one of a set with none reachable). */
  private toAsk(): Asked {
    return this.sets.map((set) => {
      const ask = set.upMembers();
      return ask.length > 0 ? ask : set.members.map((_m, i) => i);
    });
  }

  /**
   * The stamp of a read about to ask `asked`, taken before it asks; undefined when its answer cannot
   * be kept (a brick that cannot say its version, or a set with nothing up).
   */
  private stamp(asked: Asked): Stamp | undefined {
    const changes = recordChangesSoFar();
    const members: Stamp['members'] = [];
    for (const [s, set] of this.sets.entries()) {
      const ask = asked[s]!;
      for (const [i, m] of set.members.entries()) {
        if (!ask.includes(i)) {
          members.push([m, undefined]);
          continue;
        }
        if (!m.up) return undefined; // a set with nothing up, asked all the same
        const v = m.brick.recordsVersion?.();
        if (v === undefined) return undefined;
        members.push([m, v]);
      }
    }
    return { changes, members };
  }

  /** Whether a read now would ask the same bricks and find them as the stamp says. */
  private current(stamp: Stamp): boolean {
    if (stamp.changes !== recordChangesSoFar()) return false;
    for (const [m, v] of stamp.members) {
      if (v === undefined ? m.up : !m.up || m.brick.recordsVersion?.() !== v) return false;
    }
    return true;
  }

  /** Ask the bricks in `asked`; at least one set must answer with a quorum. */
  private async readEverywhere<R>(asked: Asked, fn: (b: Brick) => Promise<R>): Promise<R[]> {
    const results: R[] = [];
    let quorate = false;
    let cause: unknown;
    await Promise.all(this.sets.map(async (set, s) => {
      const ask = asked[s]!;
      const ok: number[] = [];
      await Promise.all(ask.map(async (i) => {
        try {
          results.push(await set.members[i]!.call(fn));
          ok.push(i);
        } catch (err) {
          cause ??= err;
        }
      }));
      if (set.hasQuorum(ok)) quorate = true;
    }));
    if (!quorate) throw new QuorumNotMet(1, 0, { cause });
    return results;
  }
}
