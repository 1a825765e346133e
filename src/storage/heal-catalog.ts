/**
 * Heal of account and container records, which live on every brick of the volume (GlusterFS
 * directories exist on every subvolume; a brick that missed a mkdir or a setxattr gets it from
 * the entry and metadata self-heal). The crawl merges every reachable brick's account records by
 * name (scanAccounts), and for each account its container records (listContainers), and merges the
 * result onto every brick whose record differs or is missing. Records merge commutatively (max
 * timestamps, newest value per metadata key: records.ts), so this is safe against concurrent changes:
 * a change racing the heal is merged, never overwritten.
 */
import type { AccountRecord, Brick, ContainerRecord, TimestampedMetadata } from './brick/brick.js';
import { mergeAccountRecords, mergeContainerRecords } from './brick/records.js';
import { mergeScans, PagedScan, type ScanGroup } from './heal-scan.js';
import type { Member } from './member.js';
import { recordChange } from './record-flight.js';
import { compareNames } from './store.js';

export interface CatalogCounts {
  accounts: number;
  containers: number;
  /** Records merged onto bricks that lacked or differed from the merged record. */
  fixed: number;
  /** Bricks that could not be read (down, or failed during the crawl). */
  unreadable: string[];
}

export interface CatalogOptions {
  pageSize?: number;
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** Heal the account and container records of every member (the volume's bricks, all sets). */
export async function healCatalog(members: Member[], opts: CatalogOptions = {}): Promise<CatalogCounts> {
  const pageSize = opts.pageSize ?? 500;
  const up = members.filter((m) => m.up);
  const counts: CatalogCounts = { accounts: 0, containers: 0, fixed: 0, unreadable: members.filter((m) => !m.up).map((m) => m.id) };
  const scans = up.map((m) => new PagedScan<AccountRecord>((after, limit) => m.call((b) => b.scanAccounts(after?.account, limit)), pageSize));
  for await (const group of mergeScans(scans, (a, b) => compareNames(a.account, b.account))) {
    if (opts.signal?.aborted) break;
    counts.accounts++;
    const merged = await mergeOnto(up, group, mergeAccountRecords, sameAccount, (b, r) => b.mergeAccount(r), counts, opts);
    await healContainers(up, merged.account, pageSize, counts, opts);
  }
  counts.unreadable.push(...up.filter((_m, k) => scans[k]!.failed).map((m) => m.id));
  return counts;
}

async function healContainers(up: Member[], account: string, pageSize: number, counts: CatalogCounts, opts: CatalogOptions): Promise<void> {
  const scans = up.map((m) => new PagedScan<ContainerRecord>(async (after, limit) => {
    const rows = await m.call((b) => b.listContainers(account, { ...(after ? { marker: after.container } : {}), limit }));
    // Drop the counters: they are this brick's own, not part of the record.
    return rows.map(({ objectCount: _c, bytesUsed: _b, ...rec }) => rec);
  }, pageSize));
  for await (const group of mergeScans(scans, (a, b) => compareNames(a.container, b.container))) {
    if (opts.signal?.aborted) return;
    counts.containers++;
    await mergeOnto(up, group, mergeContainerRecords, sameContainer, (b, r) => b.mergeContainer(r), counts, opts);
  }
}

/**
 * Merge the records the bricks hold for one name and merge the result onto every readable brick
 * whose record differs or is missing (counted as fixed; a brick that refuses is left to the next crawl).
 */
async function mergeOnto<T>(up: Member[], group: ScanGroup<T>, merge: (stored: T | undefined, incoming: T) => T,
                            same: (a: T, b: T) => boolean, write: (brick: Brick, record: T) => Promise<unknown>,
                            counts: CatalogCounts, opts: CatalogOptions): Promise<T> {
  const merged = [...group.items.values()].reduce<T | undefined>(merge, undefined)!;
  await Promise.all(up.map(async (m, k) => {
    if (group.failed.has(k)) return;
    const have = group.items.get(k);
    if (have && same(have, merged)) return;
    counts.fixed++;
    // A record change like the catalog's merges: in-flight record reads are not joined across it.
    if (!opts.dryRun) await recordChange(() => m.call((b) => write(b, merged))).catch(() => undefined);
  }));
  return merged;
}

function sameAccount(a: AccountRecord, b: AccountRecord): boolean {
  return a.putTimestamp === b.putTimestamp && a.deleteTimestamp === b.deleteTimestamp && sameMetadata(a.metadata, b.metadata);
}

function sameContainer(a: ContainerRecord, b: ContainerRecord): boolean {
  return a.putTimestamp === b.putTimestamp && a.deleteTimestamp === b.deleteTimestamp && a.storagePolicy === b.storagePolicy
    && sameMetadata(a.metadata, b.metadata);
}

function sameMetadata(a: TimestampedMetadata, b: TimestampedMetadata): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => b[k] !== undefined && b[k]![0] === a[k]![0] && b[k]![1] === a[k]![1]);
}
