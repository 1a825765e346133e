/**
 * The two volume-wide passes around a rebalance's object crawl.
 *
 * fix-layout (before): account and container records live on every brick (GlusterFS directories exist
 * on every subvolume), but bricks that joined with add-brick have none. Every account record, and the
 * record of every container of it (empty ones too), is read merged and merged back onto every brick,
 * as GlusterFS's fix-layout creates each directory on the new subvolumes. O(accounts + containers).
 *
 * linkto reclaim (after completion): once every gateway has dropped the previous layout, no lookup
 * looks outside an object's hashed set, and the linktos the moves left serve only to keep a replica
 * that missed the move from bringing the old copy back. A linkto that EVERY replica of its set holds
 * is therefore removed from all of them (Brick.reclaimTombstone, which removes exactly that record);
 * one some replica lacks is left for heal to spread and a later rebalance to reclaim. The volume ends
 * holding no trace of the moves.
 */
import type { ObjectRecord } from './brick/brick.js';
import { refOf } from './brick/records.js';
import { isLinkto } from './linkto.js';
import type { ReplicaSet } from './replica-set.js';
import { compareNames, LISTING_LIMIT } from './store.js';
import { sameVersion } from './versions.js';
import type { Volume } from './volume.js';

const PAGE = 1000;

/** Every account any reachable brick holds a record of, in name order. */
export async function allAccounts(sets: readonly ReplicaSet[]): Promise<string[]> {
  const seen = new Set<string>();
  await Promise.all(sets.flatMap((set) => set.upMembers().map(async (i) => {
    let after: string | undefined;
    for (;;) {
      const page = await set.members[i]!.call((b) => b.scanAccounts(after, PAGE)).catch(() => []);
      for (const a of page) seen.add(a.account);
      if (page.length < PAGE) return;
      after = page[page.length - 1]!.account;
    }
  })));
  return [...seen].sort(compareNames);
}

/** fix-layout: merge every account and container record onto every brick. Resolves with the containers merged. */
export async function fixLayout(volume: Volume, signal?: AbortSignal): Promise<number> {
  let merged = 0;
  for (const account of await allAccounts(volume.sets)) {
    if (signal?.aborted) break;
    const rec = await volume.catalog.getAccount(account);
    if (!rec) continue;
    await volume.catalog.mergeAccount(rec);
    const cursor = volume.catalog.containers(account, { reverse: false, firstPage: LISTING_LIMIT, seekPage: LISTING_LIMIT });
    for (let row = await cursor.peek(); row; row = await cursor.peek()) {
      cursor.take();
      const { objectCount: _c, bytesUsed: _b, ...container } = row;
      await volume.catalog.mergeContainer(container);
      merged++;
    }
  }
  return merged;
}

/** Reclaim the linktos every replica of their set holds (see the module doc). Resolves with how many. */
export async function reclaimLinktos(sets: readonly ReplicaSet[], signal?: AbortSignal): Promise<number> {
  let reclaimed = 0;
  for (const set of sets) {
    const done = new Set<string>();
    for (const m of set.members) {
      let after: ObjectRecord | undefined;
      for (;;) {
        if (signal?.aborted) return reclaimed;
        const from = after && refOf(after);
        const page = await m.call((b) => b.scanObjects(from, PAGE)).catch(() => [] as ObjectRecord[]);
        for (const r of page) {
          const id = `${r.account}\u0000${r.container}\u0000${r.name}`;
          if (!isLinkto(r) || done.has(id)) continue;
          done.add(id);
          if (await reclaimOne(set, r)) reclaimed++;
        }
        if (page.length < PAGE) break;
        after = page[page.length - 1];
      }
    }
  }
  return reclaimed;
}

async function reclaimOne(set: ReplicaSet, seen: ObjectRecord): Promise<boolean> {
  const lookup = await set.lookup(refOf(seen)).catch(() => undefined);
  if (!lookup || lookup.answers.size !== set.size) return false;
  const linkto = lookup.newest;
  if (!linkto || !isLinkto(linkto)) return false;
  for (const r of lookup.answers.values()) if (!r || !sameVersion(r, linkto)) return false;
  const results = await Promise.all(set.members.map((m) => m.call((b) => b.reclaimTombstone(refOf(linkto), linkto.timestamp)).catch(() => false)));
  return results.some(Boolean);
}
