/**
 * The Volume: Cairn's ObjectStore. GlusterFS's DHT over AFR replica sets, done in the gateway:
 * an object's full name is hashed (`gf_dm_hashfn`) and the container's layout range holding the
 * hash names its replica set (layout.ts); the set replicates it (replica-set.ts). Accounts and
 * containers live on every brick (catalog.ts; their operations are in volume-accounts.ts).
 *
 * Listings are k-way merges of one sorted cursor per replica set (each merging its replicas), so a
 * page costs O(sets × limit) whatever the container's size; counts are sums of per-brick counters.
 *
 * With several gateways, a definition change made through another one reaches this volume through
 * the brick servers: writes placed by a stale layout are refused and run again (`placing`), reads
 * whose answer could be incomplete run again once it is adopted (`reading`).
 */
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type { Brick, ContainerRecord, DataHandle, ObjectRecord } from './brick/brick.js';
import { makeBrick, type BrickFactory } from './brick-spec.js';
import { Catalog, exists } from './catalog.js';
import { collectPage, MergeCursor } from './cursor.js';
import type { DefinitionVersion } from './definition-version.js';
import { ClientDisconnected, Conflict, ContainerNotFound, InvalidArgument, ObjectNotFound, QuorumNotMet, StaleLayout, SupersededSet } from './errors.js';
import { Layout } from './layout.js';
import type { HashLayout } from './layout-arcs.js';
import { Placement } from './layout-history.js';
import { Member } from './member.js';
import { probeMember } from './member-status.js';
import type { Shared } from './record-flight.js';
import type { StoreMetricsSink } from './metrics-sink.js';
import { pageSizes } from './listing-pages.js';
import { isLive, toListEntry, toObjectInfo } from './object-info.js';
import { checkQuorumPolicy } from './quorum.js';
import { ReplicaSet, type Lookup } from './replica-set.js';
import { compareNames, LISTING_LIMIT } from './store.js';
import type {
  AccountInfo, AccountRef, AccountSettings, ContainerInfo, ContainerListEntry, ContainerRef, ContainerSettings, CopyObjectOptions, CreateContainerOptions,
  CreateContainerResult, ListPage, ListQuery, MetadataUpdate, ObjectInfo, ObjectListEntry, ObjectReader, ObjectRef,
  ObjectStore, PostObjectOptions, PutObjectOptions, StoreHealth, Timestamp, VolumeSpec,
} from './store.js';
import * as accounts from './volume-accounts.js';

/** Knobs that are not part of the volume definition. */
export interface VolumeOptions {
  /** Builds a Brick from a spec string (tests wrap bricks in FaultyBrick here). */
  brickFactory?: BrickFactory;
  /** The layout to use (persisted by whoever owns the volume file); default: weights from brick capacities. */
  layout?: HashLayout;
  /** The layout objects may still be placed by while a rebalance away from it is pending (layout-history.ts). */
  previousLayout?: HashLayout;
  /** How long a failed brick is skipped before it is tried again (default 10000 ms). */
  brickRetryMs?: number;
  /** Bound on any single brick call other than streaming (default: writeTimeoutMs). */
  callTimeoutMs?: number;
  /** Where per-brick call latency and errors are reported (src/metrics.ts); none by default. */
  metrics?: StoreMetricsSink;
}

export async function openVolume(spec: VolumeSpec, options: VolumeOptions = {}): Promise<Volume> {
  if (!Number.isSafeInteger(spec.replica) || spec.replica < 1) throw new InvalidArgument(`bad replica count ${spec.replica}`);
  if (spec.bricks.length === 0 || spec.bricks.length % spec.replica !== 0) {
    throw new InvalidArgument(`${spec.bricks.length} bricks cannot form replica sets of ${spec.replica}`);
  }
  checkQuorumPolicy(spec.quorum ?? 'auto', spec.replica);
  const factory = options.brickFactory ?? makeBrick;
  const bricks = await Promise.all(spec.bricks.map((s) => factory(s, spec)));
  const writeTimeoutMs = spec.writeTimeoutMs ?? 30000;
  const members = bricks.map((b) => new Member(b, {
    timeoutMs: options.callTimeoutMs ?? writeTimeoutMs,
    retryMs: options.brickRetryMs ?? 10000,
    minFreeDiskPercent: spec.minFreeDiskPercent ?? 10,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  }));
  // A brick that cannot be opened now is marked down and opened when next tried.
  const failures = await Promise.all(members.map((m) => m.open()));
  // Ids are known once bricks are open (a LocalBrick's comes from its brick.json); heal marks name bricks by id.
  const ids = members.filter((_m, i) => !failures[i]).map((m) => m.id);
  if (new Set(ids).size !== ids.length) {
    await Promise.allSettled(bricks.map((b) => b.close()));
    throw new InvalidArgument(`brick ids must be unique within a volume: ${ids.join(', ')}`);
  }
  const sets: ReplicaSet[] = [];
  for (let s = 0; s * spec.replica < members.length; s++) {
    sets.push(new ReplicaSet(s, members.slice(s * spec.replica, (s + 1) * spec.replica), {
      quorum: spec.quorum ?? 'auto', writeTimeoutMs,
    }));
  }
  const layout = options.layout ?? await capacityLayout(sets);
  if (layout.sets !== sets.length) throw new InvalidArgument(`layout has ${layout.sets} sets, volume has ${sets.length}`);
  return new Volume(spec, sets, layout, options.previousLayout);
}

/**
 * Weights from capacities: a set holds as much as its smallest brick. A set none of whose bricks
 * answers gets the average of the others (it cannot take writes now anyway).
 */
async function capacityLayout(sets: ReplicaSet[]): Promise<Layout> {
  const caps = await Promise.all(sets.map(async (set) => {
    const totals = await Promise.all(set.members.map((m) => m.call((b) => b.health()).then((h) => h.totalBytes, () => undefined)));
    const known = totals.filter((t): t is number => t !== undefined && t > 0);
    return known.length > 0 ? Math.min(...known) : undefined;
  }));
  const known = caps.filter((c): c is number => c !== undefined);
  const fallback = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
  return Layout.fromCapacities(caps.map((c) => c ?? fallback));
}

export class Volume implements ObjectStore {
  readonly catalog: Catalog;
  /** Current (and, while a rebalance is pending, previous) layout and the lookup rules across them. */
  readonly placement: Placement;
  /** Run by close() (a volume-file watcher stops here). */
  private readonly closers: Array<() => void> = [];
  /**
   * Set by a gateway that shares its definition with the brick servers (definition-sync.ts): adopts the
   * newer definition a brick server refused a write for, so the write can run again under it.
   */
  staleLayoutHandler: ((err: StaleLayout) => Promise<void>) | undefined;
  /**
   * Set by the same gateway: reads are not refused under a stale layout, so a read whose answer a newer
   * placement could change asks this, with the version it was placed under, whether to run once more
   * (it waits, bounded, for a newer definition a brick server named: definition-sync.ts `caughtUp`).
   */
  placementCatchUp: ((placed: DefinitionVersion) => Promise<boolean>) | undefined;
  /**
   * The version of the volume definition applied (volume-runtime.ts sets it in the same step as the
   * sets and layouts); what requests to brick servers say they act under. Undefined: not from a file.
   */
  definitionVersion: DefinitionVersion | undefined;

  constructor(readonly spec: VolumeSpec, readonly sets: ReplicaSet[], layout: HashLayout, previous?: HashLayout) {
    this.catalog = new Catalog(sets);
    this.placement = new Placement(layout, previous);
  }

  get layout(): HashLayout { return this.placement.current; }

  /** Every brick, in spec order. */
  get bricks(): Brick[] { return this.sets.flatMap((s) => s.bricks); }

  /** The replica set holding an object under the current layout. */
  setOf(ref: ObjectRef): ReplicaSet {
    return this.placement.hashedSet(this, ref);
  }

  // -- accounts and containers (volume-accounts.ts) --------------------------------------------------

  // Counts are sums over the replica sets: a stale placement leaves new sets out (`reading`).
  getAccount(ref: AccountRef): Promise<AccountInfo> { return this.reading(() => accounts.getAccount(this, ref)); }
  getAccountSettings(ref: AccountRef): Promise<AccountSettings> { return accounts.getAccountSettings(this, ref); }
  createAccount(ref: AccountRef, opts: { timestamp: Timestamp; metadata?: MetadataUpdate }): Promise<boolean> {
    return accounts.createAccount(this, ref, opts);
  }
  updateAccountMetadata(ref: AccountRef, update: MetadataUpdate, opts: { timestamp: Timestamp }): Promise<AccountInfo> {
    return accounts.updateAccountMetadata(this, ref, update, opts);
  }
  deleteAccount(ref: AccountRef, opts: { timestamp: Timestamp }): Promise<void> { return accounts.deleteAccount(this, ref, opts); }
  listContainers(ref: AccountRef, query: ListQuery): Promise<ListPage<ContainerListEntry>> {
    return this.reading(() => accounts.listContainers(this, ref, query));
  }
  createContainer(ref: ContainerRef, opts: CreateContainerOptions): Promise<CreateContainerResult> {
    return accounts.createContainer(this, ref, opts);
  }
  deleteContainer(ref: ContainerRef, opts: { timestamp: Timestamp }): Promise<void> { return accounts.deleteContainer(this, ref, opts); }
  getContainer(ref: ContainerRef): Promise<ContainerInfo> { return this.reading(() => accounts.getContainer(this, ref)); }
  getContainerSettings(ref: ContainerRef): Promise<ContainerSettings> { return accounts.getContainerSettings(this, ref); }
  updateContainerMetadata(ref: ContainerRef, update: MetadataUpdate, opts: { timestamp: Timestamp }): Promise<ContainerInfo> {
    return accounts.updateContainerMetadata(this, ref, update, opts);
  }

  listObjects(ref: ContainerRef, query: ListQuery): Promise<ListPage<ObjectListEntry>> {
    return this.reading(() => this.listOnce(ref, query));
  }

  private async listOnce(ref: ContainerRef, query: ListQuery): Promise<ListPage<ObjectListEntry>> {
    const container = await this.requireContainer(ref);
    const limit = Math.min(Math.max(0, Math.floor(query.limit)), LISTING_LIMIT);
    if (limit === 0) return { entries: [] };
    const reverse = query.reverse === true;
    const paging = pageSizes(limit, this.sets.map((_s, i) => this.layout.weights[i] ?? 1), query.delimiter);
    const window = {
      ...(query.marker ? { marker: query.marker } : {}),
      ...(query.endMarker ? { endMarker: query.endMarker } : {}),
      ...(query.prefix ? { prefix: query.prefix } : {}),
      reverse,
    };
    // While a rebalance is pending, an unstamped container may hold a name in two sets: merge with
    // tombstones and linktos so the newest present record wins (layout-history.ts).
    const mixed = !await this.placement.settled(this, ref.account, ref.container, container);
    const cursor = new MergeCursor(this.sets.map((s, i) => s.cursor(ref.account, ref.container, { ...window, ...paging[i]!, tombstones: mixed })), {
      nameOf: (r: ObjectRecord) => r.name,
      reverse,
      pick: mixed ? Placement.visible : (items) => items.reduce((a, b) => (b.timestamp > a.timestamp ? b : a)),
    });
    const entries = await collectPage(cursor, (r) => r.name, { ...query, limit }, toListEntry);
    return { entries };
  }

  // -- objects -------------------------------------------------------------------------------------

  putObject(ref: ObjectRef, body: Readable, opts: PutObjectOptions): Promise<ObjectInfo> {
    // A stale-layout refusal comes before the body is read (replica-write.ts), so the retry gets it whole.
    return this.placing(() => this.putOnce(ref, body, opts));
  }

  private async putOnce(ref: ObjectRef, body: Readable, opts: PutObjectOptions): Promise<ObjectInfo> {
    await this.requireContainer(ref);
    const record = await this.setOf(ref).write({
      ref, timestamp: opts.timestamp, body,
      ...(opts.contentLength !== undefined ? { contentLength: opts.contentLength } : {}),
      ...(opts.expectedEtag !== undefined ? { expectedEtag: opts.expectedEtag } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      keepBody: opts.keepBody === true,
      describe: (size, etag, dataFile) => newVersion(ref, opts.timestamp, size, etag, dataFile, opts),
    });
    return toObjectInfo(record);
  }

  async getObject(ref: ObjectRef, opts: { signal?: AbortSignal } = {}): Promise<ObjectReader> {
    if (opts.signal?.aborted) throw new ClientDisconnected({ cause: opts.signal.reason });
    const { lookup, handle } = await this.openNewest(ref);
    let closed = false;
    return {
      info: toObjectInfo(lookup.newest!),
      read: (range) => handle.read(range),
      close: () => {
        if (closed) return;
        closed = true;
        handle.close();
      },
    };
  }

  async headObject(ref: ObjectRef): Promise<ObjectInfo> {
    const { lookup } = await this.liveLookup(ref);
    return toObjectInfo(lookup.newest!);
  }

  postObject(ref: ObjectRef, opts: PostObjectOptions): Promise<ObjectInfo> {
    return this.placing(() => this.postOnce(ref, opts));
  }

  private async postOnce(ref: ObjectRef, opts: PostObjectOptions): Promise<ObjectInfo> {
    // Applied on the hashed set (an object not yet migrated is moved there first: layout-history.ts).
    const { set, lookup } = await this.liveLookup(ref, true);
    const current = lookup.newest!;
    if (opts.timestamp <= current.timestamp) throw new Conflict(current.timestamp, opts.timestamp);
    const record: ObjectRecord = {
      ...current,
      timestamp: opts.timestamp,
      metadata: { ...opts.metadata },
      contentType: opts.contentType ?? current.contentType,
    };
    if (typeof opts.deleteAt === 'number') record.deleteAt = opts.deleteAt;
    else delete record.deleteAt;
    await set.updateVersion(lookup, record);
    return toObjectInfo(record);
  }

  deleteObject(ref: ObjectRef, opts: { timestamp: Timestamp }): Promise<{ existed: boolean }> {
    return this.placing(() => this.deleteOnce(ref, opts));
  }

  private async deleteOnce(ref: ObjectRef, opts: { timestamp: Timestamp }): Promise<{ existed: boolean }> {
    const set = this.setOf(ref);
    // The tombstone goes to the hashed set; the newest version may still be in another (rebalance pending).
    // A miss here under a stale placement needs no `reading`: the tombstone write is then refused (StaleLayout).
    const { newest } = (await this.placement.find(this, ref)).lookup;
    if (newest && newest.timestamp >= opts.timestamp) throw new Conflict(newest.timestamp, opts.timestamp);
    const tombstone: ObjectRecord = {
      account: ref.account, container: ref.container, name: ref.object,
      timestamp: opts.timestamp, dataTimestamp: opts.timestamp, deleted: true,
      size: 0, etag: '', contentType: '', metadata: {}, systemMetadata: {},
    };
    await set.putRecord(tombstone, set.upMembers());
    return { existed: isLive(newest) };
  }

  copyObject(src: ObjectRef, dst: ObjectRef, opts: CopyObjectOptions): Promise<ObjectInfo> {
    return this.placing(() => this.copyOnce(src, dst, opts));
  }

  private async copyOnce(src: ObjectRef, dst: ObjectRef, opts: CopyObjectOptions): Promise<ObjectInfo> {
    await this.requireContainer(dst);
    const { set: srcSet, lookup } = await this.liveLookup(src);
    const source = lookup.newest!;
    const attrs = opts.describe(toObjectInfo(source));
    const describe = (size: number, etag: string, dataFile: string): ObjectRecord =>
      newVersion(dst, opts.timestamp, size, etag, dataFile, attrs);
    const dstSet = this.setOf(dst);
    if (dstSet === srcSet) {
      // Same replica set: hard links, no bytes copied (DESIGN.md §3).
      const linked = await srcSet.linkCopy(lookup, dst, opts.timestamp, (dataFile) => describe(source.size, source.etag, dataFile));
      if (linked) return toObjectInfo(linked);
    }
    const handle = await srcSet.openData(lookup);
    const body = handle.read();
    try {
      const record = await dstSet.write({
        ref: dst, timestamp: opts.timestamp, body, contentLength: source.size, expectedEtag: source.etag, describe,
      });
      return toObjectInfo(record);
    } finally {
      if (!body.destroyed) {
        body.destroy();
        await once(body, 'close').catch(() => undefined);
      }
      handle.close();
    }
  }

  // -- maintenance ---------------------------------------------------------------------------------

  async listExpired(before: number, limit: number): Promise<ObjectInfo[]> {
    const perSet = await Promise.all(this.sets.map((s) => s.listExpired(before, limit)));
    return perSet.flat()
      .sort((a, b) => (a.deleteAt! - b.deleteAt!) || compareNames(a.account, b.account)
        || compareNames(a.container, b.container) || compareNames(a.name, b.name))
      .slice(0, Math.max(0, limit))
      .map(toObjectInfo);
  }

  async health(): Promise<StoreHealth> {
    const bricks: StoreHealth['bricks'] = [];
    let ok = true;
    for (const set of this.sets) {
      // Down, read-only and full bricks are detected (and held out) by the probe: member-status.ts.
      const answers = await Promise.all(set.members.map((m) => probeMember(m, this.spec.minFreeDiskPercent ?? 10)));
      bricks.push(...answers);
      if (!set.hasQuorum(answers.flatMap((a, i) => (a.up ? [i] : [])))) ok = false;
    }
    return { ok, bricks };
  }

  /** Run `fn` when the volume closes. */
  onClose(fn: () => void): void { this.closers.push(fn); }

  async close(): Promise<void> {
    for (const fn of this.closers.splice(0)) fn();
    await Promise.allSettled(this.bricks.map((b) => b.close()));
  }

  // -- helpers -------------------------------------------------------------------------------------

  /**
   * Run a read placed by the layout, once more under a newer definition when its answer could be
   * incomplete and a brick server named one that places objects otherwise (definition-sync.ts
   * `caughtUp`; reads are not refused like writes). `found` says which answers are complete: an object
   * that is there is (a stale gateway may serve an older version of an object overwritten on a new set
   * until it adopts, as Swift is eventually consistent for overwrites); a miss (ObjectNotFound) never
   * is, nor, by default, a listing or count. Without a newer definition named, the answer stands at
   * once: no extra request, at most one extra run.
   */
  async reading<T>(read: () => Promise<T>, found: (answer: T) => boolean = () => false): Promise<T> {
    const catchUp = this.placementCatchUp;
    const placed = this.definitionVersion;
    if (!catchUp || !placed) return read(); // a volume that shares no definition: nobody else changes it
    let answer: T;
    try {
      answer = await read();
    } catch (err) {
      if (err instanceof ObjectNotFound && await catchUp(placed)) return read();
      throw err;
    }
    if (found(answer) || !await catchUp(placed)) return answer;
    return read();
  }

  /**
   * Run a write that places by layout; when a brick server refuses it as placed by a stale layout
   * (nothing was written), adopt the newer definition and run it once more. Without a handler (a volume
   * that does not share its definition) the refusal is the answer (503).
   */
  private async placing<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      // This process already holds the newer sets: nothing to fetch, just run it on them.
      if (err instanceof SupersededSet) return write();
      if (!(err instanceof StaleLayout) || !this.staleLayoutHandler) throw err;
      await this.staleLayoutHandler(err);
      return write();
    }
  }

  /** The container's record; ContainerNotFound unless the container exists. */
  async requireContainer(ref: ContainerRef): Promise<Shared<ContainerRecord>> {
    const rec = await this.catalog.getContainer(ref.account, ref.container);
    if (!exists(rec)) throw new ContainerNotFound(ref.account, ref.container);
    return rec!;
  }

  /**
   * Look up the live object and open its data. An overwrite (or a rebalance move) may replace the
   * version between the lookup and the open, and the bricks then drop its data file: every holder
   * fails with QuorumNotMet although a newer version exists, so look again (a few times) before failing.
   */
  private async openNewest(ref: ObjectRef): Promise<{ lookup: Lookup; handle: DataHandle }> {
    for (let attempt = 1; ; attempt++) {
      const { set, lookup } = await this.liveLookup(ref);
      try {
        return { lookup, handle: await set.openData(lookup) };
      } catch (err) {
        if (!(err instanceof QuorumNotMet) || attempt >= 3) throw err;
      }
    }
  }

  /**
   * Where the live (not deleted, not expired) object is and what its replicas hold, or ObjectNotFound.
   * Every object read goes through here (GET, HEAD, a COPY's source, POST): a miss is looked up once
   * more under a newer placement (`reading`).
   */
  private liveLookup(ref: ObjectRef, forUpdate = false): Promise<{ set: ReplicaSet; lookup: Lookup }> {
    return this.reading(() => this.liveLookupOnce(ref, forUpdate), () => true);
  }

  private async liveLookupOnce(ref: ObjectRef, forUpdate: boolean): Promise<{ set: ReplicaSet; lookup: Lookup }> {
    const found = forUpdate ? await this.placement.findForUpdate(this, ref) : await this.placement.find(this, ref);
    const v = found.lookup.newest;
    if (!isLive(v)) throw new ObjectNotFound(ref.account, ref.container, ref.object, v?.deleted ? v.timestamp : undefined);
    await found.set.noteStale(found.lookup);
    return found;
  }
}

/** A new object version's record. */
function newVersion(ref: ObjectRef, ts: Timestamp, size: number, etag: string, dataFile: string,
                    attrs: Pick<PutObjectOptions, 'contentType' | 'metadata' | 'systemMetadata' | 'deleteAt' | 'listing'>): ObjectRecord {
  const r: ObjectRecord = {
    account: ref.account, container: ref.container, name: ref.object,
    timestamp: ts, dataTimestamp: ts, deleted: false, size, etag,
    contentType: attrs.contentType, metadata: { ...(attrs.metadata ?? {}) }, systemMetadata: { ...(attrs.systemMetadata ?? {}) },
    dataFile,
  };
  if (attrs.deleteAt !== undefined) r.deleteAt = attrs.deleteAt;
  if (attrs.listing) r.listing = { ...attrs.listing };
  return r;
}
