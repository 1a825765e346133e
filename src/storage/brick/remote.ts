/**
 * RemoteBrick: a Brick served by a brick server (`cairn brick`, src/brickd/) on another host, reached
 * over HTTP keep-alive with undici (MinIO's storage-rest-client to LocalBrick's xl-storage).
 *
 * Spec: `http://host:port/brick-name` (a volume's brick list; brick-spec.ts). Every operation of the
 * Brick contract is one request: records, index and heal-mark operations are JSON calls; object data
 * is streamed both ways (remote-writer.ts, remote-handle.ts). Typed store errors survive the trip
 * (Conflict, SizeMismatch, InsufficientStorage, InvalidArgument, RangeNotSatisfiable, BrickIdentityMismatch);
 * everything that goes wrong on the way (refused, reset, timed out, not authenticated) is
 * BrickUnavailable or Timeout, which the replica set counts against quorum and marks the brick down for.
 *
 * Identity: `id` is the brick's id from its brick.json once `open` has answered (the same id the
 * directory has when opened locally, so heal marks stay valid), the URL before. `open` also proves the
 * server serves this brick for this volume: a brick of another volume is refused with BrickIdentityMismatch.
 *
 * `close` is this gateway's business only: it aborts this brick's requests in flight and drops its
 * connections; the brick stays open on the server for other gateways. Calls after close reject with
 * BrickUnavailable; `open` again reconnects.
 */
import type { ObjectRef, Timestamp } from '../store.js';
import type {
  AccountRecord, Brick, BrickHealth, BrickListQuery, BrickWriter, ContainerRecord, DataHandle, HealMark, ObjectRecord,
  UsageCounters,
} from './brick.js';
import { checkSecret } from './remote-auth.js';
import { RemoteClient, type DefinitionLink, type RemoteClientOptions } from './remote-client.js';
import { HandleReleaser, RemoteDataHandle } from './remote-handle.js';
import { parseBrickUrl, paths, type CallOp, type RemoteIdentity } from './remote-protocol.js';
import { RemoteWriter } from './remote-writer.js';
import { BufferDataHandle } from './streams.js';
import { BrickUnavailable, InvalidArgument } from '../errors.js';

export type RemoteBrickOptions = RemoteClientOptions;

export class RemoteBrick implements Brick {
  /** The server's name for the brick (the URL's path). */
  readonly name: string;
  private readonly client: RemoteClient;
  private readonly releaser: HandleReleaser;
  private identity: RemoteIdentity | undefined;

  constructor(readonly url: string, opts: RemoteBrickOptions) {
    checkSecret(opts.secret, `remote brick ${url}`);
    let parsed: { origin: string; name: string };
    try {
      parsed = parseBrickUrl(url);
    } catch (err) {
      throw new InvalidArgument((err as Error).message);
    }
    this.name = parsed.name;
    this.client = new RemoteClient(parsed.origin, opts, () => this.id);
    this.releaser = new HandleReleaser(this.client, this.name);
  }

  get id(): string { return this.identity?.id ?? this.url; }

  /** The volume id the brick's brick.json names, once open. */
  get volumeId(): string | undefined { return this.identity?.volumeId; }

  /** Follow the volume's definition: requests name the layout commit, answers report the server's (remote-client.ts). */
  linkDefinition(link: DefinitionLink): void { this.client.link = link; }

  // -- lifecycle ------------------------------------------------------------------------------------

  async open(): Promise<void> {
    if (this.client.isOpen && this.identity) return;
    this.client.open();
    try {
      this.identity = await this.client.call<RemoteIdentity>(paths.call(this.name, 'open'));
    } catch (err) {
      await this.client.close();
      throw err;
    }
  }

  async close(): Promise<void> { await this.client.close(); }

  async health(): Promise<BrickHealth> {
    if (!this.client.isOpen) return { id: this.id, ok: false, readOnly: false, totalBytes: 0, freeBytes: 0, detail: 'not open' };
    return this.call('health');
  }

  private call<T>(op: CallOp, args: Record<string, unknown> = {}): Promise<T> {
    if (!this.client.isOpen) return Promise.reject(this.client.closedError());
    return this.client.call<T>(paths.call(this.name, op), args);
  }

  // -- objects ------------------------------------------------------------------------------------

  createWriter(ref: ObjectRef, timestamp: Timestamp): Promise<BrickWriter> {
    if (!this.client.isOpen) return Promise.reject(this.client.closedError());
    return RemoteWriter.create(this.client, this.name, ref, timestamp);
  }

  putRecord(record: ObjectRecord): Promise<void> { return this.call('putRecord', { record }); }

  getRecord(ref: ObjectRef): Promise<ObjectRecord | undefined> { return this.call('getRecord', { ref }); }

  /** A small file comes back whole in the answer (INLINE_DATA_MAX); a larger one as a pinned handle. */
  async openData(record: ObjectRecord): Promise<DataHandle> {
    if (!this.client.isOpen) throw this.client.closedError();
    const h = await this.client.call<{ id?: string; size: number; inline?: string }>(paths.handles(this.name), { record, inline: true },
      await this.client.sessionHeaders());
    if (h.inline !== undefined) {
      const bytes = Buffer.from(h.inline, 'base64');
      if (bytes.length !== h.size) throw new BrickUnavailable(this.name, { cause: new Error(`inline data of ${bytes.length} bytes, size ${h.size}`) });
      return new BufferDataHandle(bytes);
    }
    if (h.id === undefined) throw new BrickUnavailable(this.name, { cause: new Error('handle answer without an id') });
    return new RemoteDataHandle(this.client, this.name, h.id, h.size, this.releaser);
  }

  linkData(source: ObjectRecord, dst: ObjectRef, timestamp: Timestamp): Promise<string | undefined> {
    return this.call('linkData', { source, dst, timestamp });
  }

  listObjects(account: string, container: string, query: BrickListQuery): Promise<ObjectRecord[]> {
    return this.call('listObjects', { account, container, query });
  }

  scanObjects(after: ObjectRef | undefined, limit: number): Promise<ObjectRecord[]> {
    return this.call('scanObjects', { ...(after ? { after } : {}), limit });
  }

  reclaimTombstone(ref: ObjectRef, timestamp: Timestamp): Promise<boolean> { return this.call('reclaimTombstone', { ref, timestamp }); }

  listExpired(before: number, limit: number): Promise<ObjectRecord[]> { return this.call('listExpired', { before, limit }); }

  containerUsage(account: string, container: string): Promise<UsageCounters> {
    return this.call('containerUsage', { account, container });
  }

  accountUsage(account: string): Promise<UsageCounters> { return this.call('accountUsage', { account }); }

  // -- accounts and containers ----------------------------------------------------------------------

  mergeAccount(record: AccountRecord): Promise<AccountRecord> { return this.call('mergeAccount', { record }); }
  getAccount(account: string): Promise<AccountRecord | undefined> { return this.call('getAccount', { account }); }
  mergeContainer(record: ContainerRecord): Promise<ContainerRecord> { return this.call('mergeContainer', { record }); }
  getContainer(account: string, container: string): Promise<ContainerRecord | undefined> {
    return this.call('getContainer', { account, container });
  }
  listContainers(account: string, query: BrickListQuery): Promise<Array<ContainerRecord & UsageCounters>> {
    return this.call('listContainers', { account, query });
  }

  scanAccounts(after: string | undefined, limit: number): Promise<AccountRecord[]> {
    return this.call('scanAccounts', { ...(after !== undefined ? { after } : {}), limit });
  }

  // -- heal marks -------------------------------------------------------------------------------------

  markDirty(ref: ObjectRef, timestamp: Timestamp): Promise<void> { return this.call('markDirty', { ref, timestamp }); }
  settle(ref: ObjectRef, timestamp: Timestamp, blamed: string[]): Promise<void> {
    return this.call('settle', { ref, timestamp, blamed });
  }
  listMarks(limit: number): Promise<HealMark[]> { return this.call('listMarks', { limit }); }
  clearMark(ref: ObjectRef, through?: Timestamp): Promise<void> {
    return this.call('clearMark', { ref, ...(through !== undefined ? { through } : {}) });
  }

  // -- maintenance ------------------------------------------------------------------------------------

  audit(): Promise<number> { return this.call('audit'); }
}
