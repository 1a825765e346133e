/**
 * FaultyBrick: a decorator that makes any Brick misbehave on command (MinIO's naughty disk), for
 * replica-set, volume and fault tests. With no fault set it passes every call straight through.
 *
 * Faults (each can be changed at any time, also while calls and streams are in flight):
 * - `fail('all')`: every call rejects with BrickUnavailable (health too); `fail('writes')`: mutations
 *   reject, writer streams error on their next chunk, health reports readOnly; `fail('none')` heals.
 * - `disappear()`: like fail('all') and, in addition, every open writer and reader stream is destroyed
 *   at once; `reappear()` brings the brick back (stored data intact, as a remounted disk).
 * - `failWritesAfterBytes(n)`: a writer stream passes its first n bytes through, then errors.
 * - `failNext(op, times, error?)`: the next `times` calls of `op` fail (by call number, as naughty disk).
 * - `stall(ms?)`: calls wait, writer streams stop consuming (backpressure builds upstream) and reader
 *   streams stop producing, until `release()` or until `ms` have passed; without `ms`, forever.
 * `close()` always passes through immediately, so test teardown never hangs or fails.
 * `calls` counts every call per operation, including writer `write`/`commit`/`abort` and reader `read`.
 */
import { Transform, Writable, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { BrickUnavailable, InvalidArgument, StoreError } from '../errors.js';
import type { ByteRange, ObjectRef, Timestamp } from '../store.js';
import type {
  AccountRecord,
  Brick,
  BrickHealth,
  BrickListQuery,
  BrickWriter,
  ContainerRecord,
  DataHandle,
  HealMark,
  ObjectRecord,
  UsageCounters,
} from './brick.js';

export type FaultMode = 'none' | 'writes' | 'all';

const OPS = [
  'open', 'close', 'health', 'createWriter', 'putRecord', 'getRecord', 'openData', 'linkData', 'listObjects',
  'scanObjects', 'listExpired', 'containerUsage', 'accountUsage', 'mergeAccount', 'getAccount', 'mergeContainer',
  'getContainer', 'listContainers', 'markDirty', 'settle', 'listMarks', 'clearMark', 'audit',
  'reclaimTombstone', 'scanAccounts', 'write', 'commit', 'abort', 'read',
] as const;

/** A Brick method, or a step of a writer (`write` = one chunk, `commit`, `abort`) or reader (`read`). */
export type FaultyOp = (typeof OPS)[number];

/** Operations that change what the brick stores: refused in 'writes' mode. */
const MUTATIONS = new Set<FaultyOp>([
  'createWriter', 'putRecord', 'linkData', 'mergeAccount', 'mergeContainer', 'markDirty', 'settle', 'clearMark',
  'audit', 'write', 'commit', 'reclaimTombstone',
]);

export class FaultyBrick implements Brick {
  /** How many times each operation was called (faulted calls included). */
  readonly calls: Record<FaultyOp, number> = Object.fromEntries(OPS.map((op) => [op, 0])) as Record<FaultyOp, number>;
  private mode: FaultMode = 'none';
  private writeLimit: number | undefined;
  private readonly programmed = new Map<FaultyOp, Array<Error | undefined>>();
  private stallGate: Promise<void> | undefined;
  private releaseGate: (() => void) | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  /** Open streams, so disappear() can break them. */
  private readonly live = new Set<Writable | Readable>();

  constructor(readonly inner: Brick) {}

  get id(): string { return this.inner.id; }

  // -- controls -------------------------------------------------------------------------------------

  fail(mode: FaultMode): void { this.mode = mode; }

  get faultMode(): FaultMode { return this.mode; }

  /** Every writer stream errors once it has been given more than `n` bytes; undefined turns this off. */
  failWritesAfterBytes(n: number | undefined): void { this.writeLimit = n; }

  /** The next `times` calls of `op` reject with `error` (default BrickUnavailable). */
  failNext(op: FaultyOp, times = 1, error?: Error): void {
    const queue = this.programmed.get(op) ?? [];
    for (let i = 0; i < times; i++) queue.push(error);
    this.programmed.set(op, queue);
  }

  /** Stop answering until release() (or for `ms`). Calling it again while stalled only resets the timer. */
  stall(ms?: number): void {
    if (!this.stallGate) this.stallGate = new Promise((resolve) => { this.releaseGate = resolve; });
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = ms === undefined ? undefined : setTimeout(() => this.release(), ms);
  }

  release(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    const resolve = this.releaseGate;
    this.stallGate = undefined;
    this.releaseGate = undefined;
    resolve?.();
  }

  get stalled(): boolean { return this.stallGate !== undefined; }

  /** The brick goes away: every call rejects and every open stream is destroyed now. */
  disappear(): void {
    this.mode = 'all';
    for (const s of [...this.live]) s.destroy(this.unavailable('brick disappeared'));
    this.live.clear();
  }

  reappear(): void { this.mode = 'none'; }

  resetCalls(): void { for (const op of OPS) this.calls[op] = 0; }

  /** Clear every fault (mode, byte limit, programmed failures, stall). */
  heal(): void {
    this.mode = 'none';
    this.writeLimit = undefined;
    this.programmed.clear();
    this.release();
  }

  // -- the Brick ----------------------------------------------------------------------------------------

  async open(): Promise<void> { return this.call('open', () => this.inner.open()); }

  async close(): Promise<void> {
    this.calls.close++;
    return this.inner.close();
  }

  async health(): Promise<BrickHealth> {
    const h = await this.call('health', () => this.inner.health());
    return this.mode === 'writes' ? { ...h, readOnly: true, detail: h.detail ?? 'read-only (fault injected)' } : h;
  }

  async createWriter(ref: ObjectRef, timestamp: Timestamp): Promise<BrickWriter> {
    const w = await this.call('createWriter', () => this.inner.createWriter(ref, timestamp));
    return new FaultyWriter(this, w);
  }

  async putRecord(record: ObjectRecord): Promise<void> { return this.call('putRecord', () => this.inner.putRecord(record)); }
  async getRecord(ref: ObjectRef): Promise<ObjectRecord | undefined> { return this.call('getRecord', () => this.inner.getRecord(ref)); }

  async openData(record: ObjectRecord): Promise<DataHandle> {
    const h = await this.call('openData', () => this.inner.openData(record));
    return { size: h.size, read: (range?: ByteRange) => this.wrapReader(h.read(range)), close: () => h.close() };
  }

  async linkData(source: ObjectRecord, dst: ObjectRef, timestamp: Timestamp): Promise<string | undefined> {
    return this.call('linkData', () => this.inner.linkData(source, dst, timestamp));
  }

  async listObjects(account: string, container: string, query: BrickListQuery): Promise<ObjectRecord[]> {
    return this.call('listObjects', () => this.inner.listObjects(account, container, query));
  }

  async scanObjects(after: ObjectRef | undefined, limit: number): Promise<ObjectRecord[]> {
    return this.call('scanObjects', () => this.inner.scanObjects(after, limit));
  }

  async reclaimTombstone(ref: ObjectRef, timestamp: Timestamp): Promise<boolean> {
    return this.call('reclaimTombstone', () => this.inner.reclaimTombstone(ref, timestamp));
  }

  async listExpired(before: number, limit: number): Promise<ObjectRecord[]> {
    return this.call('listExpired', () => this.inner.listExpired(before, limit));
  }

  async containerUsage(account: string, container: string): Promise<UsageCounters> {
    return this.call('containerUsage', () => this.inner.containerUsage(account, container));
  }

  async accountUsage(account: string): Promise<UsageCounters> { return this.call('accountUsage', () => this.inner.accountUsage(account)); }
  async mergeAccount(record: AccountRecord): Promise<AccountRecord> { return this.call('mergeAccount', () => this.inner.mergeAccount(record)); }
  async getAccount(account: string): Promise<AccountRecord | undefined> { return this.call('getAccount', () => this.inner.getAccount(account)); }

  async mergeContainer(record: ContainerRecord): Promise<ContainerRecord> {
    return this.call('mergeContainer', () => this.inner.mergeContainer(record));
  }

  async getContainer(account: string, container: string): Promise<ContainerRecord | undefined> {
    return this.call('getContainer', () => this.inner.getContainer(account, container));
  }

  async listContainers(account: string, query: BrickListQuery): Promise<Array<ContainerRecord & UsageCounters>> {
    return this.call('listContainers', () => this.inner.listContainers(account, query));
  }

  async scanAccounts(after: string | undefined, limit: number): Promise<AccountRecord[]> {
    return this.call('scanAccounts', () => this.inner.scanAccounts(after, limit));
  }

  async markDirty(ref: ObjectRef, timestamp: Timestamp): Promise<void> { return this.call('markDirty', () => this.inner.markDirty(ref, timestamp)); }

  async settle(ref: ObjectRef, timestamp: Timestamp, blamed: string[]): Promise<void> {
    return this.call('settle', () => this.inner.settle(ref, timestamp, blamed));
  }

  async listMarks(limit: number): Promise<HealMark[]> { return this.call('listMarks', () => this.inner.listMarks(limit)); }
  async clearMark(ref: ObjectRef, through?: Timestamp): Promise<void> {
    return this.call('clearMark', () => this.inner.clearMark(ref, through));
  }
  async audit(): Promise<number> { return this.call('audit', () => this.inner.audit()); }

  // -- fault machinery (also used by FaultyWriter) -------------------------------------------------------

  /** @internal Count the call, wait out a stall, then fail it if a fault says so. */
  async gate(op: FaultyOp): Promise<void> {
    this.calls[op]++;
    while (this.stallGate) await this.stallGate;
    this.check(op);
  }

  /** @internal Throw the fault that applies to `op` now, if any (no counting, no waiting). */
  check(op: FaultyOp): void {
    const queue = this.programmed.get(op);
    if (queue && queue.length > 0) throw queue.shift() ?? this.unavailable(`injected failure of ${op}`);
    if (this.mode === 'all' || (this.mode === 'writes' && MUTATIONS.has(op))) {
      throw this.unavailable(`${op} refused (fault mode ${this.mode})`);
    }
  }

  /** @internal */
  get byteLimit(): number | undefined { return this.writeLimit; }

  /** @internal Wait while stalled (streams use this between chunks). */
  async waitWhileStalled(): Promise<void> { while (this.stallGate) await this.stallGate; }

  /** @internal */
  track(s: Writable | Readable): void {
    this.live.add(s);
    s.once('close', () => this.live.delete(s));
  }

  /** @internal */
  unavailable(why: string): BrickUnavailable { return new BrickUnavailable(this.id, { cause: new Error(why) }); }

  private async call<T>(op: FaultyOp, fn: () => Promise<T>): Promise<T> {
    await this.gate(op);
    return fn();
  }

  /** Pass a reader's bytes through a gate that honours stalls and faults between chunks. */
  private wrapReader(src: Readable): Readable {
    const gate = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        this.waitWhileStalled().then(() => {
          this.check('read');
          cb(null, chunk);
        }).catch((err: unknown) => cb(err as Error));
      },
    });
    this.calls.read++;
    try { this.check('read'); } catch (err) { src.destroy(); queueMicrotask(() => gate.destroy(err as Error)); return gate; }
    src.once('error', (err) => gate.destroy(err));
    gate.once('close', () => { if (!src.destroyed) src.destroy(); });
    this.track(gate);
    return src.pipe(gate);
  }
}

/** A writer whose stream sits in front of the inner writer's stream, so chunks can be held or failed. */
class FaultyWriter implements BrickWriter {
  readonly stream: Writable;
  private written = 0;

  constructor(private readonly brick: FaultyBrick, private readonly inner: BrickWriter) {
    const downstream = inner.stream;
    this.stream = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.feed(chunk).then(() => cb(), (err: unknown) => cb(err as Error));
      },
      final: (cb) => {
        downstream.end();
        finished(downstream).then(() => cb(), (err: unknown) => cb(err as Error));
      },
      destroy: (err, cb) => {
        if (!downstream.destroyed && !downstream.writableFinished) downstream.destroy(err ?? undefined);
        cb(err);
      },
    });
    downstream.once('error', (err) => this.stream.destroy(err));
    brick.track(this.stream);
  }

  get dataFile(): string { return this.inner.dataFile; }

  private async feed(chunk: Buffer): Promise<void> {
    await this.brick.gate('write');
    const limit = this.brick.byteLimit;
    if (limit !== undefined && this.written + chunk.length > limit) {
      const head = chunk.subarray(0, Math.max(0, limit - this.written));
      if (head.length > 0) await this.pass(head);
      throw this.brick.unavailable(`write failed after ${limit} bytes (fault injected)`);
    }
    await this.pass(chunk);
  }

  /** Forward a chunk, waiting for 'drain' when the inner stream asks for it (backpressure). */
  private async pass(chunk: Buffer): Promise<void> {
    this.written += chunk.length;
    const downstream = this.inner.stream;
    if (downstream.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        downstream.off('drain', onDrain);
        downstream.off('close', onClose);
        if (err) reject(err); else resolve();
      };
      const onDrain = (): void => done();
      const onClose = (): void => done(downstream.errored ?? this.brick.unavailable('writer stream closed'));
      downstream.on('drain', onDrain);
      downstream.on('close', onClose);
    });
  }

  async commit(record: ObjectRecord): Promise<void> {
    await this.brick.gate('commit');
    if (!this.stream.writableEnded) throw new InvalidArgument('commit before the stream was ended');
    await finished(this.stream).catch((err: unknown) => {
      throw err instanceof StoreError ? err : new BrickUnavailable(this.brick.id, { cause: err });
    });
    this.brick.check('commit');
    return this.inner.commit(record);
  }

  async abort(): Promise<void> {
    this.brick.calls.abort++;
    if (!this.stream.destroyed) this.stream.destroy();
    await this.inner.abort();
    // The inner writer is cleaned up either way; a gone brick still reports that it could not answer.
    if (this.brick.faultMode === 'all') throw this.brick.unavailable('abort on an unavailable brick');
  }
}
