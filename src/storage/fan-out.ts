/**
 * FanOut: one Writable that tees every chunk to R replica streams (MinIO's multiWriter, AFR's
 * parallel writev), computing the MD5 and byte count on the way.
 *
 * Backpressure: a chunk is acknowledged only when every target still in the write has accepted it
 * (`write()` returned true) or drained, so the slowest healthy replica sets the pace and nothing is
 * buffered beyond each target's own highWaterMark. A target that errors, closes early, or makes no
 * progress (no 'drain', no 'finish') for `timeoutMs` is dropped: it is written to no more and
 * `onDrop` is told, so the caller can abort its writer. After every drop, `check` decides whether
 * the survivors are still enough (quorum); if not, the write fails with the error `check` returns.
 *
 * The FanOut never destroys or aborts its targets: their owner does (it knows how to remove tmp files).
 */
import { createHash, type Hash } from 'node:crypto';
import { Writable } from 'node:stream';
import { SizeMismatch, StoreError, Timeout } from './errors.js';
import { streamed } from './young-gc.js';

export interface FanOutOptions {
  /** One stream per replica; the index is the replica's position in `survivors`. */
  targets: Writable[];
  /** The error to fail with if only `alive` remain, or undefined when they are enough. */
  check(alive: readonly number[]): StoreError | undefined;
  /** Target `index` was dropped because of `cause` (an error, or a Timeout). Called once per target. */
  onDrop(index: number, cause: unknown): void;
  /** A target that makes no progress for this long is dropped. */
  timeoutMs: number;
  /** Declared length: once more bytes than this arrive the write fails with SizeMismatch. */
  expectedSize?: number;
}

export class FanOut extends Writable {
  /** Bytes received so far. */
  bytes = 0;
  /** Set when the FanOut itself failed the write (quorum lost, too many bytes), as opposed to its source. */
  failure: StoreError | undefined;
  private readonly md5: Hash = createHash('md5');
  private digest: string | undefined;
  private readonly alive: Set<number>;
  /** Wake-ups of pending waits, per target, so a drop releases whoever waits on that target. */
  private readonly wakers = new Map<number, () => void>();

  constructor(private readonly opts: FanOutOptions) {
    // 1 MiB in hand per upload lets the replicas' writers take big batches (64 KiB made many small writes).
    super({ highWaterMark: 1024 * 1024 });
    this.alive = new Set(opts.targets.map((_t, i) => i));
    opts.targets.forEach((t, i) => {
      // Never removed: a target may still emit an error after it was dropped, and an unhandled
      // 'error' would crash the process.
      t.on('error', (err) => this.drop(i, err));
      t.on('close', () => {
        if (!t.writableFinished) this.drop(i, t.errored ?? new Error('replica stream closed before finishing'));
      });
    });
  }

  /** Targets still in the write, in index order. */
  get survivors(): number[] { return [...this.alive].sort((a, b) => a - b); }

  /** Hex MD5 of everything written; only after the FanOut has finished. */
  get etag(): string {
    if (this.digest === undefined) this.digest = this.md5.digest('hex');
    return this.digest;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.bytes += chunk.length;
    const max = this.opts.expectedSize;
    if (max !== undefined && this.bytes > max) {
      cb(this.fail(new SizeMismatch(max, this.bytes)));
      return;
    }
    this.md5.update(chunk);
    streamed(chunk.length);
    const waits: Array<Promise<void>> = [];
    for (const i of [...this.alive]) {
      const t = this.opts.targets[i]!;
      let accepted: boolean;
      try {
        accepted = t.write(chunk);
      } catch (err) {
        this.drop(i, err);
        continue;
      }
      if (!accepted && this.alive.has(i)) waits.push(this.waitFor(i, 'drain'));
    }
    if (waits.length === 0) { cb(this.verdict()); return; }
    void Promise.all(waits).then(() => cb(this.verdict()));
  }

  override _final(cb: (err?: Error | null) => void): void {
    const waits: Array<Promise<void>> = [];
    for (const i of [...this.alive]) {
      const t = this.opts.targets[i]!;
      try {
        t.end();
      } catch (err) {
        this.drop(i, err);
        continue;
      }
      if (!t.writableFinished && this.alive.has(i)) waits.push(this.waitFor(i, 'finish'));
    }
    void Promise.all(waits).then(() => cb(this.verdict()));
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    for (const wake of [...this.wakers.values()]) wake();
    cb(err);
  }

  /** Resolves when target i emits `event`, or is dropped (by error, early close, or timeout). Never rejects. */
  private waitFor(i: number, event: 'drain' | 'finish'): Promise<void> {
    const t = this.opts.targets[i]!;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.drop(i, new Timeout(`replica ${i} made no progress for ${this.opts.timeoutMs} ms`));
      }, this.opts.timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        t.off(event, done);
        if (this.wakers.get(i) === done) this.wakers.delete(i);
        resolve();
      };
      this.wakers.set(i, done);
      t.on(event, done);
    });
  }

  private drop(i: number, cause: unknown): void {
    if (!this.alive.delete(i)) return;
    this.wakers.get(i)?.();
    // Once the write is over (failed or torn down), targets close because their owner aborts them:
    // that is not the replica's fault and must not be reported.
    if (!this.destroyed) this.opts.onDrop(i, cause);
  }

  /** After a step: undefined to carry on, or the error that ends the write. */
  private verdict(): Error | undefined {
    if (this.failure) return this.failure;
    if (this.destroyed) return undefined; // the write is over; drops after that say nothing about quorum
    const err = this.opts.check(this.survivors);
    return err ? this.fail(err) : undefined;
  }

  private fail(err: StoreError): StoreError {
    this.failure ??= err;
    return this.failure;
  }
}
