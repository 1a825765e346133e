/**
 * Account and container operations of the Volume (the records themselves live on every brick:
 * catalog.ts). Existence follows Swift's account/container brokers: a record exists while its
 * put timestamp is newer than its delete timestamp. Counts are sums over replica sets of one
 * replica's per-brick counters (O(sets)).
 */
import type { AccountRecord, ContainerRecord, UsageCounters } from './brick/brick.js';
import { liveMetadata } from './brick/brick.js';
import { exists, lastChange, stamp, type ContainerRow } from './catalog.js';
import { collectPage } from './cursor.js';
import type { Shared } from './record-flight.js';
import { AccountNotFound, Conflict, ContainerNotEmpty, ContainerNotFound } from './errors.js';
import { LISTING_LIMIT } from './store.js';
import type {
  AccountInfo, AccountRef, AccountSettings, ContainerInfo, ContainerListEntry, ContainerRef, ContainerSettings, CreateContainerOptions,
  CreateContainerResult, ListPage, ListQuery, MetadataUpdate, Timestamp,
} from './store.js';
import type { Volume } from './volume.js';

/** Swift's name for the policy of a cluster that declares none (src/api/policies.ts). */
const DEFAULT_POLICY = 'Policy-0';

/**
 * A PUT of an existing container moves its put timestamp (Swift's X-PUT-Timestamp and Last-Modified)
 * while its creation time stays. The record's putTimestamp is its creation time, so the re-PUT is
 * recorded as this metadata key stamped with the PUT's timestamp: lastChange() sees the stamp, and
 * the empty value keeps it out of liveMetadata() (and so out of every header). Records written before
 * this key existed simply lack it.
 */
export const CONTAINER_REPUT_KEY = 'x-backend-container-reput';

// -- accounts ----------------------------------------------------------------------------------------

export async function getAccount(v: Volume, ref: AccountRef): Promise<AccountInfo> {
  return accountInfo(v, await liveAccount(v, ref));
}

/** The account's record as getAccount shows it, without counting (no usage reads, no container walk). */
export async function getAccountSettings(v: Volume, ref: AccountRef): Promise<AccountSettings> {
  return accountSettings(await liveAccount(v, ref));
}

async function liveAccount(v: Volume, ref: AccountRef): Promise<Shared<AccountRecord>> {
  const rec = await v.catalog.getAccount(ref.account);
  if (!exists(rec)) throw new AccountNotFound(ref.account);
  return rec!;
}

function accountSettings(rec: Shared<AccountRecord>): AccountSettings {
  return { account: rec.account, createdAt: rec.putTimestamp, timestamp: lastChange(rec), metadata: liveMetadata(rec.metadata) };
}

export async function createAccount(v: Volume, ref: AccountRef, opts: { timestamp: Timestamp; metadata?: MetadataUpdate }): Promise<boolean> {
  const rec = await v.catalog.getAccount(ref.account);
  if (exists(rec)) {
    if (opts.metadata && Object.keys(opts.metadata).length > 0) {
      await v.catalog.mergeAccount({ account: ref.account, putTimestamp: rec!.putTimestamp, metadata: stamp(opts.metadata, opts.timestamp) });
    }
    return false;
  }
  if (rec?.deleteTimestamp !== undefined && opts.timestamp <= rec.deleteTimestamp) throw new Conflict(rec.deleteTimestamp, opts.timestamp);
  await v.catalog.mergeAccount({ account: ref.account, putTimestamp: opts.timestamp, metadata: stamp(opts.metadata, opts.timestamp) });
  return true;
}

export async function updateAccountMetadata(v: Volume, ref: AccountRef, update: MetadataUpdate,
                                            opts: { timestamp: Timestamp }): Promise<AccountInfo> {
  const rec = await v.catalog.getAccount(ref.account);
  const putTimestamp = exists(rec) ? rec!.putTimestamp : opts.timestamp;
  const merged = await v.catalog.mergeAccount({ account: ref.account, putTimestamp, metadata: stamp(update, opts.timestamp) });
  return accountInfo(v, merged);
}

export async function deleteAccount(v: Volume, ref: AccountRef, opts: { timestamp: Timestamp }): Promise<void> {
  const rec = await liveAccount(v, ref);
  if (opts.timestamp <= rec.putTimestamp) throw new Conflict(rec.putTimestamp, opts.timestamp);
  await v.catalog.mergeAccount({ account: ref.account, putTimestamp: rec.putTimestamp, deleteTimestamp: opts.timestamp, metadata: {} });
}

export async function listContainers(v: Volume, ref: AccountRef, query: ListQuery): Promise<ListPage<ContainerListEntry>> {
  const rec = await v.catalog.getAccount(ref.account);
  if (!exists(rec)) throw new AccountNotFound(ref.account);
  const limit = Math.min(Math.max(0, Math.floor(query.limit)), LISTING_LIMIT);
  if (limit === 0) return { entries: [] };
  const cursor = v.catalog.containers(ref.account, {
    ...(query.marker ? { marker: query.marker } : {}),
    ...(query.endMarker ? { endMarker: query.endMarker } : {}),
    ...(query.prefix ? { prefix: query.prefix } : {}),
    reverse: query.reverse === true,
    firstPage: query.delimiter ? Math.min(limit, 256) : limit,
    seekPage: 16,
  });
  const entries = await collectPage(cursor, (r) => r.container, { ...query, limit }, (r: ContainerRow): ContainerListEntry => ({
    name: r.container, count: r.objectCount, bytes: r.bytesUsed, lastModified: r.putTimestamp,
  }));
  return { entries };
}

async function accountInfo(v: Volume, rec: Shared<AccountRecord>): Promise<AccountInfo> {
  const [usage, containerCount] = await Promise.all([
    sumUsage(v.sets.map((s) => s.accountUsage(rec.account))),
    countContainers(v, rec.account),
  ]);
  return { ...accountSettings(rec), containerCount, objectCount: usage.objectCount, bytesUsed: usage.bytesUsed };
}

/** Live containers of the account (the brick interface keeps no per-account container counter). */
async function countContainers(v: Volume, account: string): Promise<number> {
  const cursor = v.catalog.containers(account, { reverse: false, firstPage: LISTING_LIMIT, seekPage: LISTING_LIMIT });
  let n = 0;
  while (await cursor.peek()) {
    cursor.take();
    n++;
  }
  return n;
}

// -- containers --------------------------------------------------------------------------------------

export async function createContainer(v: Volume, ref: ContainerRef, opts: CreateContainerOptions): Promise<CreateContainerResult> {
  const acct = await v.catalog.getAccount(ref.account);
  if (!exists(acct)) await createAccount(v, ref, { timestamp: opts.timestamp });
  const rec = await v.catalog.getContainer(ref.account, ref.container);
  const metadata = stamp(opts.metadata, opts.timestamp);
  let merged: ContainerRecord;
  let created: boolean;
  if (exists(rec)) {
    // An existing container keeps its creation time and policy; the metadata merges in and the
    // put timestamp moves (see CONTAINER_REPUT_KEY).
    metadata[CONTAINER_REPUT_KEY] = ['', opts.timestamp];
    merged = await v.catalog.mergeContainer({ ...rec!, metadata });
    created = false;
  } else {
    if (rec?.deleteTimestamp !== undefined && opts.timestamp <= rec.deleteTimestamp) throw new Conflict(rec.deleteTimestamp, opts.timestamp);
    merged = await v.catalog.mergeContainer({
      account: ref.account, container: ref.container, putTimestamp: opts.timestamp, metadata,
      storagePolicy: opts.storagePolicy ?? DEFAULT_POLICY,
    });
    created = true;
  }
  return { created, info: await containerInfo(v, merged) };
}

export async function getContainer(v: Volume, ref: ContainerRef): Promise<ContainerInfo> {
  return containerInfo(v, await liveContainer(v, ref));
}

/** The container's record as getContainer shows it, without reading the counters. */
export async function getContainerSettings(v: Volume, ref: ContainerRef): Promise<ContainerSettings> {
  return containerSettings(await liveContainer(v, ref));
}

export async function updateContainerMetadata(v: Volume, ref: ContainerRef, update: MetadataUpdate,
                                              opts: { timestamp: Timestamp }): Promise<ContainerInfo> {
  const rec = await liveContainer(v, ref);
  const merged = await v.catalog.mergeContainer({ ...rec, metadata: stamp(update, opts.timestamp) });
  return containerInfo(v, merged);
}

export async function deleteContainer(v: Volume, ref: ContainerRef, opts: { timestamp: Timestamp }): Promise<void> {
  const rec = await liveContainer(v, ref);
  if (opts.timestamp <= rec.putTimestamp) throw new Conflict(rec.putTimestamp, opts.timestamp);
  // "Empty" is a miss a stale placement could cause (new sets left out): checked again under a newer one.
  const busy = await v.reading(async () => (await Promise.all(v.sets.map((s) => s.hasObjects(ref.account, ref.container)))).some(Boolean),
    (found) => found);
  if (busy) throw new ContainerNotEmpty(ref.account, ref.container);
  // Swift clears a deleted container's metadata (DatabaseBroker.delete_db), so a container created
  // again under the same name starts without the old ACLs and settings.
  const cleared = Object.fromEntries(Object.keys(rec.metadata).map((k): [string, [string, Timestamp]] => [k, ['', opts.timestamp]]));
  await v.catalog.mergeContainer({ ...rec, metadata: cleared, deleteTimestamp: opts.timestamp });
}

async function liveContainer(v: Volume, ref: ContainerRef): Promise<Shared<ContainerRecord>> {
  const rec = await v.catalog.getContainer(ref.account, ref.container);
  if (!exists(rec)) throw new ContainerNotFound(ref.account, ref.container);
  return rec!;
}

async function containerInfo(v: Volume, rec: Shared<ContainerRecord>): Promise<ContainerInfo> {
  const usage = await sumUsage(v.sets.map((s) => s.containerUsage(rec.account, rec.container)));
  // Spelled out rather than spread from containerSettings(): the spread measured ~2 µs a call.
  return {
    account: rec.account, container: rec.container, createdAt: rec.putTimestamp, timestamp: lastChange(rec),
    objectCount: usage.objectCount, bytesUsed: usage.bytesUsed, metadata: liveMetadata(rec.metadata),
    storagePolicy: rec.storagePolicy,
  };
}

function containerSettings(rec: Shared<ContainerRecord>): ContainerSettings {
  return {
    account: rec.account, container: rec.container, createdAt: rec.putTimestamp, timestamp: lastChange(rec),
    metadata: liveMetadata(rec.metadata), storagePolicy: rec.storagePolicy,
  };
}

async function sumUsage(parts: Array<Promise<UsageCounters>>): Promise<UsageCounters> {
  const all = await Promise.all(parts);
  return all.reduce((a, b) => ({ objectCount: a.objectCount + b.objectCount, bytesUsed: a.bytesUsed + b.bytesUsed }),
    { objectCount: 0, bytesUsed: 0 });
}
