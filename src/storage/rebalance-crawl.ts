/**
 * The rebalance crawl's view of the volume: which containers hold object records (found by seeking
 * each brick's `scanObjects` past one container at a time, so it costs O(containers × bricks), not
 * O(objects)), how many live objects there are (for the ETA), and a container's names merged across
 * every replica set with each set's record (tombstones and linktos included) beside it.
 *
 * A set none of whose bricks answers fails the crawl: a name could hide there, and a container is
 * only stamped once every set has been read.
 */
import type { ObjectRecord, UsageCounters } from './brick/brick.js';
import type { Cursor } from './cursor.js';
import { QuorumNotMet } from './errors.js';
import type { ReplicaSet } from './replica-set.js';
import { compareNames } from './store.js';

export interface ContainerId { account: string; container: string }

/** Sorts after every valid name (names are at most a few KiB; U+10FFFF is the largest code point). */
const AFTER_ALL = '\u{10FFFF}'.repeat(1024);

/** `fn` on every reachable member of the set; rejects when none answers. */
async function askSet<T>(set: ReplicaSet, fn: (i: number) => Promise<T>): Promise<T[]> {
  let ask = set.upMembers();
  if (ask.length === 0) ask = set.members.map((_m, i) => i);
  const settled = await Promise.allSettled(ask.map(fn));
  const ok = settled.filter((s): s is PromiseFulfilledResult<Awaited<T>> => s.status === 'fulfilled').map((s) => s.value);
  if (ok.length === 0) {
    const why = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')?.reason as unknown;
    throw new QuorumNotMet(1, 0, { cause: why });
  }
  return ok;
}

function compareContainers(a: ContainerId, b: ContainerId): number {
  return compareNames(a.account, b.account) || compareNames(a.container, b.container);
}

/** The first container after `after` (undefined: from the start) that any brick holds records of. */
export async function nextContainer(sets: readonly ReplicaSet[], after?: ContainerId): Promise<ContainerId | undefined> {
  const from = after && { account: after.account, container: after.container, object: AFTER_ALL };
  const heads = await Promise.all(sets.map((set) => askSet(set, (i) => set.members[i]!.call((b) => b.scanObjects(from, 1)))));
  let best: ContainerId | undefined;
  for (const page of heads.flat()) {
    const r = page[0];
    if (r && (!best || compareContainers(r, best) < 0)) best = { account: r.account, container: r.container };
  }
  return best;
}

/** Every container holding object records, in order, starting after `after`. */
export async function* containers(sets: readonly ReplicaSet[], after?: ContainerId): AsyncGenerator<ContainerId> {
  for (let c = await nextContainer(sets, after); c; c = await nextContainer(sets, c)) yield c;
}

/** The accounts holding object records (one seek per account per brick). */
export async function accounts(sets: readonly ReplicaSet[]): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (;;) {
    const from = after === undefined ? undefined : { account: after, container: AFTER_ALL, object: AFTER_ALL };
    const heads = await Promise.all(sets.map((set) => askSet(set, (i) => set.members[i]!.call((b) => b.scanObjects(from, 1)))));
    let next: string | undefined;
    for (const page of heads.flat()) {
      const a = page[0]?.account;
      if (a !== undefined && (next === undefined || compareNames(a, next) < 0)) next = a;
    }
    if (next === undefined) return out;
    out.push(next);
    after = next;
  }
}

/** Live objects in the volume (one replica's counters per set, per account): the crawl's ETA basis. */
export async function countObjects(sets: readonly ReplicaSet[]): Promise<number> {
  let n = 0;
  for (const account of await accounts(sets)) {
    const usage = await Promise.all(sets.map((s) => s.accountUsage(account).catch((): UsageCounters => ({ objectCount: 0, bytesUsed: 0 }))));
    n += usage.reduce((a, u) => a + u.objectCount, 0);
  }
  return n;
}

/** One name of a container with, per set index, the newest record that set holds (any kind). */
export interface NameGroup { name: string; records: Map<number, ObjectRecord> }

/** Page sizes for the per-set cursors of a crawl (they double up to the listing limit as they go). */
const CRAWL_PAGE = 256;

/** The container's names after `marker`, in order, each with every set's record. */
export async function* containerNames(sets: readonly ReplicaSet[], c: ContainerId, marker?: string): AsyncGenerator<NameGroup> {
  const cursors: Array<Cursor<ObjectRecord>> = sets.map((s) => s.cursor(c.account, c.container, {
    reverse: false, firstPage: CRAWL_PAGE, seekPage: CRAWL_PAGE, tombstones: true, ...(marker !== undefined ? { marker } : {}),
  }));
  for (;;) {
    const heads = await Promise.all(cursors.map((cur) => cur.peek()));
    let name: string | undefined;
    for (const h of heads) if (h && (name === undefined || compareNames(h.name, name) < 0)) name = h.name;
    if (name === undefined) return;
    const records = new Map<number, ObjectRecord>();
    heads.forEach((h, i) => {
      if (h && h.name === name) {
        records.set(sets[i]!.index, h);
        cursors[i]!.take();
      }
    });
    yield { name, records };
  }
}

/**
 * Live objects a replica set still holds (remove-brick commit requires 0): every brick's records are
 * scanned, and a live record counts when the set's newest-wins view agrees (a replica that missed a
 * move still shows the old copy; its peers' linkto wins).
 */
export async function liveObjectsIn(set: ReplicaSet, page = 1000): Promise<number> {
  const seen = new Set<string>();
  let live = 0;
  for (const m of set.members) {
    let after: { account: string; container: string; object: string } | undefined;
    for (;;) {
      const rows = await m.call((b) => b.scanObjects(after, page));
      for (const r of rows) {
        const id = `${r.account}\u0000${r.container}\u0000${r.name}`;
        if (r.deleted || seen.has(id)) continue;
        seen.add(id);
        const { newest } = await set.lookup({ account: r.account, container: r.container, object: r.name });
        if (newest && !newest.deleted) live++;
      }
      if (rows.length < page) break;
      const last = rows[rows.length - 1]!;
      after = { account: last.account, container: last.container, object: last.name };
    }
  }
  return live;
}
