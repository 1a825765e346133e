/**
 * Storage policies (Swift's storage_policy.POLICIES over several rings): one ObjectStore over one
 * volume per policy, each with its own bricks and replica count.
 *
 * Accounts and every container record (with the container's policy name) live in the default
 * policy's volume, as Swift keeps account and container databases on rings of their own whatever
 * the policy. A container of another policy also gets a bare mirror record in its policy's volume,
 * created before the real record and deleted after it, so that volume accepts, counts and lists the
 * container's objects. Every object operation, listing and count of a container goes to the volume
 * of the container's policy; a policy name the configuration does not know (a container written
 * under an older configuration) is the default policy, as the API shows it.
 *
 * With one policy this is a pass-through: no lookup is added to any operation.
 */
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { AccountNotFound, Conflict, ContainerNotFound } from './errors.js';
import { compareNames, isSubdir } from './store.js';
import { now } from './timestamp.js';
import type {
  AccountInfo, AccountRef, AccountSettings, ContainerInfo, ContainerListEntry, ContainerRef, ContainerSettings, CopyObjectOptions, CreateContainerOptions,
  CreateContainerResult, ListPage, ListQuery, MetadataUpdate, ObjectInfo, ObjectListEntry, ObjectReader, ObjectRef,
  ObjectStore, PostObjectOptions, PutObjectOptions, StoreHealth, Timestamp, VolumeSpec,
} from './store.js';

/** One storage policy as the config declares it; its index is its position in the list. */
export interface PolicySpec {
  name: string;
  /** Other names X-Storage-Policy may use for it (Swift's aliases; the name is always one). */
  aliases: string[];
  default: boolean;
  volume: VolumeSpec;
}

/** The name Swift gives the one policy of a cluster whose swift.conf declares none. */
export const IMPLICIT_POLICY_NAME = 'Policy-0';

/** The policies of a config: `policies` when it declares them, else its `volume` as 'Policy-0'. */
export function policySpecs(config: { volume: VolumeSpec; policies?: PolicySpec[] }): PolicySpec[] {
  return config.policies ?? [{ name: IMPLICIT_POLICY_NAME, aliases: [], default: true, volume: config.volume }];
}

/** A container PUT naming another policy than the existing container's (Swift's container server: 409). */
export class PolicyConflict extends Conflict {
  constructor(readonly existingPolicy: string, readonly requestedPolicy: string) {
    super(existingPolicy, requestedPolicy);
    this.message = `container has storage policy ${existingPolicy}, not ${requestedPolicy}`;
  }
}

/** Per-policy account statistics (Swift's X-Account-Storage-Policy-<name>-* headers), keyed by policy name. */
export type PolicyStats = NonNullable<AccountInfo['policyStats']>;

interface Member { name: string; store: ObjectStore }

/** Open one store per policy (with `open`) and combine them; closes what it opened if one fails. */
export async function openPolicyStore(specs: PolicySpec[], open: (spec: VolumeSpec, policy: PolicySpec) => Promise<ObjectStore>): Promise<PolicyStore> {
  const opened: Member[] = [];
  try {
    for (const p of specs) opened.push({ name: p.name, store: await open(p.volume, p) });
  } catch (err) {
    await Promise.allSettled(opened.map((m) => m.store.close()));
    throw err;
  }
  const def = specs.find((p) => p.default) ?? specs[0]!;
  return new PolicyStore(opened, def.name);
}

export class PolicyStore implements ObjectStore {
  private readonly byName = new Map<string, ObjectStore>();
  private readonly main: ObjectStore;

  /** `members` in policy-index order; `defaultName` names the one holding accounts and containers. */
  constructor(private readonly members: readonly Member[], readonly defaultName: string) {
    if (members.length === 0) throw new Error('PolicyStore needs at least one policy');
    for (const m of members) this.byName.set(m.name, m.store);
    const main = this.byName.get(defaultName);
    if (!main) throw new Error(`default policy ${defaultName} has no store`);
    this.main = main;
  }

  /** The store of a policy by name (the default policy's for a name the config does not know). */
  storeOf(policy: string | undefined): ObjectStore {
    return (policy !== undefined ? this.byName.get(policy) : undefined) ?? this.main;
  }

  private get single(): boolean { return this.members.length === 1; }

  /** The canonical policy name of a stored one (unknown names are the default policy). */
  private canonical(policy: string | undefined): string {
    return policy !== undefined && this.byName.has(policy) ? policy : this.defaultName;
  }

  // -- accounts ------------------------------------------------------------------------------------

  async getAccount(ref: AccountRef): Promise<AccountInfo> {
    return this.withPolicyStats(await this.main.getAccount(ref));
  }

  getAccountSettings(ref: AccountRef): Promise<AccountSettings> {
    return this.main.getAccountSettings(ref);
  }

  createAccount(ref: AccountRef, opts: { timestamp: Timestamp; metadata?: MetadataUpdate }): Promise<boolean> {
    return this.main.createAccount(ref, opts);
  }

  async updateAccountMetadata(ref: AccountRef, update: MetadataUpdate, opts: { timestamp: Timestamp }): Promise<AccountInfo> {
    return this.withPolicyStats(await this.main.updateAccountMetadata(ref, update, opts));
  }

  deleteAccount(ref: AccountRef, opts: { timestamp: Timestamp }): Promise<void> { return this.main.deleteAccount(ref, opts); }

  /**
   * The default volume lists every container, but counts only the objects it holds itself: each
   * other volume lists the same window (its mirrors are a subset of the containers, so its first
   * entries are exactly its containers within this page) and its counts replace the default's.
   */
  async listContainers(ref: AccountRef, query: ListQuery): Promise<ListPage<ContainerListEntry>> {
    const page = await this.main.listContainers(ref, query);
    if (this.single || page.entries.length === 0) return page;
    const counts = new Map<string, ContainerListEntry>();
    await Promise.all(this.others().map(async (m) => {
      let theirs: ListPage<ContainerListEntry>;
      try {
        theirs = await m.store.listContainers(ref, query);
      } catch (err) {
        if (err instanceof AccountNotFound) return; // no container of this policy yet
        throw err;
      }
      for (const e of theirs.entries) if (!isSubdir(e)) counts.set(e.name, e);
    }));
    if (counts.size === 0) return page;
    return {
      entries: page.entries.map((e) => {
        if (isSubdir(e)) return e;
        const c = counts.get(e.name);
        return c ? { ...e, count: e.count + c.count, bytes: e.bytes + c.bytes } : e;
      }),
    };
  }

  // -- containers ----------------------------------------------------------------------------------

  async createContainer(ref: ContainerRef, opts: CreateContainerOptions): Promise<CreateContainerResult> {
    const existing = await this.findContainer(ref);
    const requested = opts.storagePolicy;
    if (existing && requested !== undefined && this.canonical(requested) !== this.canonical(existing.storagePolicy)) {
      throw new PolicyConflict(this.canonical(existing.storagePolicy), requested);
    }
    const policy = this.canonical(existing ? existing.storagePolicy : requested);
    const store = this.storeOf(policy);
    // The mirror first: objects may be written as soon as the real record is visible.
    if (store !== this.main) await store.createContainer(ref, { timestamp: opts.timestamp, storagePolicy: policy });
    const res = await this.main.createContainer(ref, { ...opts, ...(existing ? {} : { storagePolicy: policy }) });
    return { created: res.created, info: await this.withCounts(res.info) };
  }

  async deleteContainer(ref: ContainerRef, opts: { timestamp: Timestamp }): Promise<void> {
    const info = await this.main.getContainerSettings(ref);
    const store = this.storeOf(info.storagePolicy);
    if (store !== this.main) {
      // The policy's volume decides emptiness (ContainerNotEmpty) before the record goes.
      try {
        await store.deleteContainer(ref, opts);
      } catch (err) {
        if (!(err instanceof ContainerNotFound)) throw err;
      }
    }
    await this.main.deleteContainer(ref, opts);
  }

  async getContainer(ref: ContainerRef): Promise<ContainerInfo> {
    return this.withCounts(await this.main.getContainer(ref));
  }

  /** The record lives in the default volume whatever the policy; no counts are read anywhere. */
  getContainerSettings(ref: ContainerRef): Promise<ContainerSettings> {
    return this.main.getContainerSettings(ref);
  }

  async updateContainerMetadata(ref: ContainerRef, update: MetadataUpdate, opts: { timestamp: Timestamp }): Promise<ContainerInfo> {
    return this.withCounts(await this.main.updateContainerMetadata(ref, update, opts));
  }

  async listObjects(ref: ContainerRef, query: ListQuery): Promise<ListPage<ObjectListEntry>> {
    const store = await this.route(ref);
    try {
      return await store.listObjects(ref, query);
    } catch (err) {
      // A container whose mirror is missing (created before its policy was configured) is empty.
      if (err instanceof ContainerNotFound && store !== this.main) {
        await this.main.getContainerSettings(ref);
        return { entries: [] };
      }
      throw err;
    }
  }

  // -- objects -------------------------------------------------------------------------------------

  async putObject(ref: ObjectRef, body: Readable, opts: PutObjectOptions): Promise<ObjectInfo> {
    const store = await this.route(ref);
    try {
      return await store.putObject(ref, body, opts);
    } catch (err) {
      // A missing mirror is found before the body is read: restore it and write once more.
      if (!(err instanceof ContainerNotFound) || store === this.main || body.readableDidRead) throw err;
      await this.ensureMirror(ref, store);
      return store.putObject(ref, body, opts);
    }
  }

  async getObject(ref: ObjectRef, opts?: { signal?: AbortSignal }): Promise<ObjectReader> {
    return (await this.route(ref)).getObject(ref, opts);
  }

  async headObject(ref: ObjectRef): Promise<ObjectInfo> { return (await this.route(ref)).headObject(ref); }

  async postObject(ref: ObjectRef, opts: PostObjectOptions): Promise<ObjectInfo> {
    return (await this.route(ref)).postObject(ref, opts);
  }

  async deleteObject(ref: ObjectRef, opts: { timestamp: Timestamp }): Promise<{ existed: boolean }> {
    return (await this.route(ref)).deleteObject(ref, opts);
  }

  /** Within one policy the volume copies (hard links where it can); across policies the bytes stream over. */
  async copyObject(src: ObjectRef, dst: ObjectRef, opts: CopyObjectOptions): Promise<ObjectInfo> {
    const [from, to] = await Promise.all([this.route(src), this.route(dst)]);
    await this.ensureMirror(dst, to);
    if (from === to) return from.copyObject(src, dst, opts);
    const reader = await from.getObject(src);
    let body: Readable | undefined;
    try {
      const source = reader.info;
      const attrs = opts.describe(source);
      body = reader.read();
      return await to.putObject(dst, body, {
        timestamp: opts.timestamp, contentType: attrs.contentType, contentLength: source.size, expectedEtag: source.etag,
        metadata: attrs.metadata, systemMetadata: attrs.systemMetadata,
        ...(attrs.deleteAt !== undefined ? { deleteAt: attrs.deleteAt } : {}),
        ...(attrs.listing ? { listing: attrs.listing } : {}),
      });
    } finally {
      // The reader may only close once its stream is done with (ObjectReader contract).
      if (body && !body.destroyed) {
        body.destroy();
        await once(body, 'close').catch(() => undefined);
      }
      reader.close();
    }
  }

  // -- maintenance ---------------------------------------------------------------------------------

  async listExpired(before: number, limit: number): Promise<ObjectInfo[]> {
    if (this.single) return this.main.listExpired(before, limit);
    const all = (await Promise.all(this.members.map((m) => m.store.listExpired(before, limit)))).flat();
    return all
      .sort((a, b) => (a.deleteAt! - b.deleteAt!) || compareNames(a.account, b.account)
        || compareNames(a.container, b.container) || compareNames(a.object, b.object))
      .slice(0, Math.max(0, limit));
  }

  async health(): Promise<StoreHealth> {
    if (this.single) return this.main.health();
    const all = await Promise.all(this.members.map((m) => m.store.health()));
    return { ok: all.every((h) => h.ok), bricks: all.flatMap((h) => h.bricks) };
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled(this.members.map((m) => m.store.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  // -- helpers -------------------------------------------------------------------------------------

  private others(): Member[] { return this.members.filter((m) => m.store !== this.main); }

  /** The store holding the container's objects; ContainerNotFound when the container does not exist. */
  private async route(ref: ContainerRef): Promise<ObjectStore> {
    if (this.single) return this.main;
    const rec = await this.main.getContainerSettings(ref);
    return this.storeOf(rec.storagePolicy);
  }

  private async findContainer(ref: ContainerRef): Promise<ContainerSettings | undefined> {
    try {
      return await this.main.getContainerSettings(ref);
    } catch (err) {
      if (err instanceof ContainerNotFound || err instanceof AccountNotFound) return undefined;
      throw err;
    }
  }

  /**
   * Recreate a missing mirror (a container created before its policy had a volume, or a mirror
   * write that failed). Stamped now: a mirror's own timestamps show nowhere, and a mirror deleted
   * by a half-done container DELETE can only be brought back by a newer one.
   */
  private async ensureMirror(ref: ContainerRef, store: ObjectStore): Promise<void> {
    if (store === this.main) return;
    try {
      await store.getContainerSettings(ref);
    } catch (err) {
      if (!(err instanceof ContainerNotFound) && !(err instanceof AccountNotFound)) throw err;
      const info = await this.main.getContainerSettings(ref);
      await store.createContainer(ref, { timestamp: now(), storagePolicy: this.canonical(info.storagePolicy) });
    }
  }

  /** Counts of a container of another policy come from that policy's volume. */
  private async withCounts(info: ContainerInfo): Promise<ContainerInfo> {
    const store = this.storeOf(info.storagePolicy);
    if (store === this.main) return info;
    try {
      const theirs = await store.getContainer(info);
      return { ...info, objectCount: theirs.objectCount, bytesUsed: theirs.bytesUsed };
    } catch (err) {
      if (err instanceof ContainerNotFound || err instanceof AccountNotFound) return { ...info, objectCount: 0, bytesUsed: 0 };
      throw err;
    }
  }

  /**
   * Totals over every policy, and the per-policy statistics of the policies the account uses. The
   * default volume has every container record but only its own policy's objects; each other volume
   * has its policy's containers (mirrors) and objects.
   */
  private async withPolicyStats(info: AccountInfo): Promise<AccountInfo> {
    const stats: PolicyStats = {};
    let otherContainers = 0;
    let objectCount = info.objectCount;
    let bytesUsed = info.bytesUsed;
    await Promise.all(this.others().map(async (m) => {
      let theirs: AccountInfo;
      try {
        theirs = await m.store.getAccount(info);
      } catch (err) {
        if (err instanceof AccountNotFound) return;
        throw err;
      }
      stats[m.name] = { containerCount: theirs.containerCount, objectCount: theirs.objectCount, bytesUsed: theirs.bytesUsed };
      otherContainers += theirs.containerCount;
      objectCount += theirs.objectCount;
      bytesUsed += theirs.bytesUsed;
    }));
    stats[this.defaultName] = {
      containerCount: Math.max(0, info.containerCount - otherContainers), objectCount: info.objectCount, bytesUsed: info.bytesUsed,
    };
    // Swift lists a policy once the account has had a container in it; an unused policy is left out.
    const used: PolicyStats = {};
    for (const m of this.members) {
      const s = stats[m.name];
      if (s && (s.containerCount > 0 || s.objectCount > 0 || s.bytesUsed > 0)) used[m.name] = s;
    }
    return { ...info, objectCount, bytesUsed, policyStats: used };
  }
}
