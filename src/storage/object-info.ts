/**
 * Conversions between what bricks store (records) and what the ObjectStore answers, and the
 * expiry rule: an object whose X-Delete-At has come (deleteAt <= now, in unix seconds) is treated
 * as gone by reads, though listings keep showing it until the expirer deletes it (as Swift).
 */
import type { ObjectRecord } from './brick/brick.js';
import type { ObjectInfo, ObjectListEntry } from './store.js';

/** Unix seconds now (X-Delete-At is compared in whole seconds, as Swift's object server does). */
export function nowSeconds(): number { return Date.now() / 1000; }

export function isExpired(record: { deleteAt?: number }, now: number = nowSeconds()): boolean {
  return record.deleteAt !== undefined && record.deleteAt <= now;
}

/** A live version (not a tombstone, not expired). */
export function isLive(record: ObjectRecord | undefined, now: number = nowSeconds()): boolean {
  return record !== undefined && !record.deleted && !isExpired(record, now);
}

export function toObjectInfo(r: ObjectRecord): ObjectInfo {
  const info: ObjectInfo = {
    account: r.account,
    container: r.container,
    object: r.name,
    timestamp: r.timestamp,
    dataTimestamp: r.dataTimestamp,
    size: r.size,
    etag: r.etag,
    contentType: r.contentType,
    metadata: { ...r.metadata },
    systemMetadata: { ...r.systemMetadata },
  };
  if (r.deleteAt !== undefined) info.deleteAt = r.deleteAt;
  if (r.listing) info.listing = { ...r.listing };
  return info;
}

/** A container listing row: the listing override (SLO size, symlink etag...) where one was set. */
export function toListEntry(r: ObjectRecord): ObjectListEntry {
  return {
    name: r.name,
    bytes: r.listing?.size ?? r.size,
    hash: r.listing?.etag ?? r.etag,
    contentType: r.listing?.contentType ?? r.contentType,
    lastModified: r.timestamp,
    systemMetadata: { ...r.systemMetadata },
  };
}
