/**
 * A small in-memory ObjectStore for API tests while (or where) the real volume is not wanted. It
 * implements the account/container/listing contract of src/storage/store.ts faithfully (byte-order
 * names, marker/end_marker/prefix/delimiter/reverse, counts) and stores object bodies in memory.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import * as E from '../../src/storage/errors.js';
import type {
  AccountInfo, AccountSettings, ContainerInfo, ContainerListEntry, ContainerSettings, ListPage, ListQuery, Metadata, MetadataUpdate,
  ObjectInfo, ObjectListEntry, ObjectReader, ObjectStore, StoreHealth, SubdirEntry,
} from '../../src/storage/store.js';
import { compareNames } from '../../src/storage/store.js';

interface Obj { info: ObjectInfo; data: Buffer }
interface Cont { info: ContainerInfo; objects: Map<string, Obj> }
interface Acct { info: AccountInfo; containers: Map<string, Cont> }

function merge(meta: Metadata, update: MetadataUpdate | undefined): Metadata {
  const out = { ...meta };
  for (const [k, v] of Object.entries(update ?? {})) {
    if (v === '') delete out[k];
    else out[k] = v;
  }
  return out;
}

function page<T extends { name: string }>(items: T[], q: ListQuery): Array<T | SubdirEntry> {
  // What the API layer must have checked before calling a store (Swift's listing limit is 10,000).
  assert.ok(Number.isInteger(q.limit) && q.limit >= 0 && q.limit <= 10_000, `listing limit ${q.limit}`);
  let list = [...items].sort((a, b) => compareNames(a.name, b.name));
  if (q.reverse) list.reverse();
  const out: Array<T | SubdirEntry> = [];
  const prefix = q.prefix ?? '';
  let lastSubdir: string | undefined;
  for (const it of list) {
    const n = it.name;
    if (!n.startsWith(prefix)) continue;
    if (q.marker !== undefined && (q.reverse ? compareNames(n, q.marker) >= 0 : compareNames(n, q.marker) <= 0)) continue;
    if (q.endMarker !== undefined && (q.reverse ? compareNames(n, q.endMarker) <= 0 : compareNames(n, q.endMarker) >= 0)) continue;
    if (q.delimiter) {
      const i = n.indexOf(q.delimiter, prefix.length);
      if (i >= 0) {
        const sub = n.slice(0, i + q.delimiter.length);
        if (sub !== lastSubdir) {
          lastSubdir = sub;
          out.push({ subdir: sub });
        }
        if (out.length >= q.limit) break;
        continue;
      }
    }
    out.push(it);
    if (out.length >= q.limit) break;
  }
  return out;
}

export class FakeStore implements ObjectStore {
  readonly accounts = new Map<string, Acct>();
  healthState: StoreHealth = { ok: true, bricks: [{ id: 'fake', up: true }] };

  private acct(account: string): Acct {
    const a = this.accounts.get(account);
    if (!a) throw new E.AccountNotFound(account);
    return a;
  }

  private cont(account: string, container: string): Cont {
    const c = this.accounts.get(account)?.containers.get(container);
    if (!c) throw new E.ContainerNotFound(account, container);
    return c;
  }

  private refreshAccount(a: Acct): void {
    let objects = 0;
    let bytes = 0;
    for (const c of a.containers.values()) {
      this.refreshContainer(c);
      objects += c.info.objectCount;
      bytes += c.info.bytesUsed;
    }
    a.info.containerCount = a.containers.size;
    a.info.objectCount = objects;
    a.info.bytesUsed = bytes;
  }

  private refreshContainer(c: Cont): void {
    c.info.objectCount = c.objects.size;
    c.info.bytesUsed = [...c.objects.values()].reduce((s, o) => s + o.info.size, 0);
  }

  async getAccount(ref: { account: string }): Promise<AccountInfo> {
    const a = this.acct(ref.account);
    this.refreshAccount(a);
    return structuredClone(a.info);
  }

  async getAccountSettings(ref: { account: string }): Promise<AccountSettings> {
    const { account, createdAt, timestamp, metadata } = this.acct(ref.account).info;
    return structuredClone({ account, createdAt, timestamp, metadata });
  }

  async createAccount(ref: { account: string }, opts: { timestamp: string; metadata?: MetadataUpdate }): Promise<boolean> {
    if (this.accounts.has(ref.account)) return false;
    this.accounts.set(ref.account, {
      info: { account: ref.account, createdAt: opts.timestamp, timestamp: opts.timestamp, containerCount: 0,
              objectCount: 0, bytesUsed: 0, metadata: merge({}, opts.metadata) },
      containers: new Map(),
    });
    return true;
  }

  async updateAccountMetadata(ref: { account: string }, update: MetadataUpdate, opts: { timestamp: string }): Promise<AccountInfo> {
    await this.createAccount(ref, opts);
    const a = this.acct(ref.account);
    a.info.metadata = merge(a.info.metadata, update);
    a.info.timestamp = opts.timestamp;
    return this.getAccount(ref);
  }

  async deleteAccount(ref: { account: string }): Promise<void> { this.accounts.delete(ref.account); }

  async listContainers(ref: { account: string }, q: ListQuery): Promise<ListPage<ContainerListEntry>> {
    const a = this.acct(ref.account);
    this.refreshAccount(a);
    const items = [...a.containers.values()].map((c) => ({
      name: c.info.container, count: c.info.objectCount, bytes: c.info.bytesUsed, lastModified: c.info.timestamp,
    }));
    return { entries: page(items, q) };
  }

  async createContainer(ref: { account: string; container: string }, opts: { timestamp: string; metadata?: MetadataUpdate; storagePolicy?: string }) {
    await this.createAccount(ref, { timestamp: opts.timestamp });
    const a = this.acct(ref.account);
    const existing = a.containers.get(ref.container);
    if (existing) {
      existing.info.metadata = merge(existing.info.metadata, opts.metadata);
      existing.info.timestamp = opts.timestamp;
      return { created: false, info: structuredClone(existing.info) };
    }
    const c: Cont = {
      info: { account: ref.account, container: ref.container, createdAt: opts.timestamp, timestamp: opts.timestamp,
              objectCount: 0, bytesUsed: 0, metadata: merge({}, opts.metadata), storagePolicy: opts.storagePolicy ?? '' },
      objects: new Map(),
    };
    a.containers.set(ref.container, c);
    return { created: true, info: structuredClone(c.info) };
  }

  async deleteContainer(ref: { account: string; container: string }): Promise<void> {
    const c = this.cont(ref.account, ref.container);
    if (c.objects.size) throw new E.ContainerNotEmpty(ref.account, ref.container);
    this.accounts.get(ref.account)!.containers.delete(ref.container);
  }

  async getContainer(ref: { account: string; container: string }): Promise<ContainerInfo> {
    const c = this.cont(ref.account, ref.container);
    this.refreshContainer(c);
    return structuredClone(c.info);
  }

  async getContainerSettings(ref: { account: string; container: string }): Promise<ContainerSettings> {
    const { objectCount: _c, bytesUsed: _b, ...settings } = structuredClone(this.cont(ref.account, ref.container).info);
    return settings;
  }

  async updateContainerMetadata(ref: { account: string; container: string }, update: MetadataUpdate, opts: { timestamp: string }) {
    const c = this.cont(ref.account, ref.container);
    c.info.metadata = merge(c.info.metadata, update);
    c.info.timestamp = opts.timestamp;
    return this.getContainer(ref);
  }

  async listObjects(ref: { account: string; container: string }, q: ListQuery): Promise<ListPage<ObjectListEntry>> {
    const c = this.cont(ref.account, ref.container);
    const items = [...c.objects.values()].map((o) => ({
      name: o.info.object, bytes: o.info.size, hash: o.info.etag, contentType: o.info.contentType,
      lastModified: o.info.timestamp, systemMetadata: o.info.systemMetadata,
    }));
    return { entries: page(items, q) };
  }

  async putObject(ref: { account: string; container: string; object: string }, body: Readable,
                  opts: { timestamp: string; contentType: string; metadata?: Metadata; contentLength?: number; expectedEtag?: string }): Promise<ObjectInfo> {
    assert.ok(ref.object.length > 0, 'the API layer never stores an object without a name');
    const c = this.cont(ref.account, ref.container);
    const chunks: Buffer[] = [];
    for await (const ch of body) chunks.push(Buffer.from(ch as Buffer));
    const data = Buffer.concat(chunks);
    const etag = createHash('md5').update(data).digest('hex');
    // As the store contract says: a wrong length or ETag stores nothing.
    if (opts.contentLength !== undefined && opts.contentLength !== data.length) throw new E.SizeMismatch(opts.contentLength, data.length);
    if (opts.expectedEtag !== undefined && opts.expectedEtag !== etag) throw new E.ChecksumMismatch(opts.expectedEtag, etag);
    const info: ObjectInfo = {
      ...ref, timestamp: opts.timestamp, dataTimestamp: opts.timestamp, size: data.length,
      etag, contentType: opts.contentType,
      metadata: opts.metadata ?? {}, systemMetadata: {},
    };
    c.objects.set(ref.object, { info, data });
    return structuredClone(info);
  }

  async getObject(ref: { account: string; container: string; object: string }): Promise<ObjectReader> {
    const o = this.cont(ref.account, ref.container).objects.get(ref.object);
    if (!o) throw new E.ObjectNotFound(ref.account, ref.container, ref.object);
    return { info: structuredClone(o.info), read: (r) => Readable.from([r ? o.data.subarray(r.start, r.end + 1) : o.data]), close() {} };
  }

  async headObject(ref: { account: string; container: string; object: string }): Promise<ObjectInfo> {
    return (await this.getObject(ref)).info;
  }

  async postObject(): Promise<ObjectInfo> { throw new Error('not implemented in FakeStore'); }

  async deleteObject(ref: { account: string; container: string; object: string }): Promise<{ existed: boolean }> {
    const c = this.cont(ref.account, ref.container);
    return { existed: c.objects.delete(ref.object) };
  }

  async copyObject(): Promise<ObjectInfo> { throw new Error('not implemented in FakeStore'); }
  async listExpired(): Promise<ObjectInfo[]> { return []; }
  async health(): Promise<StoreHealth> { return structuredClone(this.healthState); }
  async close(): Promise<void> {}
}
