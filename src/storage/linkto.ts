/**
 * Linkto records: what rebalance leaves in a replica set an object has moved away from (GlusterFS's
 * linkto file, mode ---------T, which `dht_migrate_file` turns the source into before unlinking it).
 *
 * Bricks keep one record per name and accept only newer ones, so the old set's copy cannot simply be
 * dropped; it is *replaced*, conditionally, by this record: a data-less record whose timestamp is the
 * moved version's plus the smallest offset. The brick accepts it only while it still holds that
 * version (or an older one), which is exactly "remove the old copy only if it is still the same
 * version"; a POST or overwrite that landed meanwhile is newer and makes it a Conflict. The brick then
 * drops the superseded data file and the set's counters no longer count the object.
 *
 * A linkto is NOT a delete. It is stored with `deleted: true` (it has no data and must not count or
 * list), but every cross-set reader (layout-history.ts) treats it as "not here, look at the hashed
 * set", never as a tombstone, so a reader cannot get a 404 from it. Inside one set it still wins
 * newest-wins, so a replica that missed the move (and still holds the old copy) cannot bring it back.
 * Like tombstones, linktos are reclaimable once the rebalance that wrote them has completed.
 */
import type { ObjectRecord } from './brick/brick.js';
import { withOffset } from './timestamp.js';

/** System metadata key marking a linkto; its value is the set the object moved to (for humans). */
export const LINKTO_KEY = 'x-backend-cairn-linkto';

export function isLinkto(r: ObjectRecord | undefined): boolean {
  return r !== undefined && r.deleted && r.systemMetadata[LINKTO_KEY] !== undefined;
}

/** A record that is really there for readers: neither absent nor a linkto (tombstones count). */
export function isPresent(r: ObjectRecord | undefined): r is ObjectRecord {
  return r !== undefined && !isLinkto(r);
}

/** The linkto that replaces `moved` (held by the old set) once it is on `target`. */
export function linktoFor(moved: ObjectRecord, target: number): ObjectRecord {
  const ts = withOffset(moved.timestamp, 1);
  return {
    account: moved.account, container: moved.container, name: moved.name,
    timestamp: ts, dataTimestamp: ts, deleted: true,
    size: 0, etag: '', contentType: '', metadata: {}, systemMetadata: { [LINKTO_KEY]: String(target) },
  };
}
