/**
 * A brick as the replica set uses it: every call is bounded by a timeout, and a brick that fails
 * like a dead disk (BrickUnavailable, InsufficientStorage, or no answer in time) is marked down for
 * `retryMs` and skipped, then tried again (Swift's error limiting, GlusterFS's child-down). A brick
 * that could not be opened is opened when it is next tried.
 *
 * Calls never reject with anything but a StoreError: other errors are mapped by `fromErrno`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Brick, BrickHealth, BrickWriter } from './brick/brick.js';
import { BrickUnavailable, fromErrno, InsufficientStorage, StoreError, Timeout } from './errors.js';
import type { StoreMetricsSink } from './metrics-sink.js';
import type { ObjectRef, Timestamp } from './store.js';

export interface MemberOptions {
  /** A call that takes longer is abandoned (Timeout) and the brick marked down. */
  timeoutMs: number;
  /** How long a failed brick is skipped before it is tried again. */
  retryMs: number;
  /** A brick with less free space than this percentage takes no new object data. */
  minFreeDiskPercent: number;
  now?: () => number;
  /** Told the duration and outcome of every call (per-brick latency and error metrics). */
  metrics?: StoreMetricsSink;
}

export interface CallOptions {
  /** Whether a brick-level failure marks the brick down (default true). Off for per-file failures
   *  such as a missing data file, which say nothing about the brick as a whole. */
  markDown?: boolean;
  /** Called with the value if it arrives after the call timed out (e.g. to abort a late writer). */
  onLate?: (value: unknown) => void;
}

/** How long a health answer is trusted for the free-space check. */
const HEALTH_TTL_MS = 5000;

export class Member {
  private downUntil = 0;
  private opened = false;
  private lastError: StoreError | undefined;
  private health: { at: number; value: BrickHealth } | undefined;
  private readonly now: () => number;
  /** Marked down since it last answered: its next successful call is a down->up transition. */
  private recovering = false;
  private readonly upListeners = new Set<(m: Member) => void>();
  /** Calls in flight plus writers neither committed nor aborted (a member leaving the volume waits for 0). */
  private busy = 0;
  /** When something last finished on it (Date.now()). */
  private lastActive = 0;

  constructor(readonly brick: Brick, private readonly opts: MemberOptions) {
    this.now = opts.now ?? Date.now;
  }

  get id(): string { return this.brick.id; }

  /** Not marked down (it may still fail when called). */
  get up(): boolean { return this.now() >= this.downUntil; }

  /** Why the brick was last marked down, while it is. */
  get downReason(): StoreError | undefined { return this.up ? undefined : this.lastError; }

  markDown(err: StoreError): void {
    this.lastError = err;
    this.downUntil = this.now() + this.opts.retryMs;
    this.recovering = true;
  }

  /** Forget a down mark (tests, or an operator saying the brick is back). */
  markUp(): void {
    this.downUntil = 0;
    this.cameBack();
  }

  /**
   * Call `fn` whenever the brick answers again after being marked down (GlusterFS's child-up event,
   * on which the self-heal daemon starts healing that brick). Returns a function that unsubscribes.
   */
  onUp(fn: (m: Member) => void): () => void {
    this.upListeners.add(fn);
    return () => { this.upListeners.delete(fn); };
  }

  private cameBack(): void {
    if (!this.recovering) return;
    this.recovering = false;
    for (const fn of [...this.upListeners]) {
      try { fn(this); } catch { /* a listener's failure is its own business, never the caller's */ }
    }
  }

  /** Open the brick now; a failure marks it down and is returned, not thrown. */
  async open(): Promise<StoreError | undefined> {
    try {
      await this.ensureOpen();
      return undefined;
    } catch (err) {
      return err as StoreError;
    }
  }

  /** Run `fn` against the brick with the timeout; brick-level failures mark it down. */
  async call<T>(fn: (brick: Brick) => Promise<T>, options: CallOptions = {}): Promise<T> {
    const markDown = options.markDown ?? true;
    const sink = this.opts.metrics;
    const t0 = sink ? performance.now() : 0;
    this.busy++;
    try {
      if (!this.opened) await this.ensureOpen(); // no await (two microtask turns) once open
      const value = await this.bounded(fn(this.brick), options.onLate);
      sink?.brickCall(this.id, (performance.now() - t0) / 1000);
      // A call that succeeds while the brick is still held out (aborting its own writer, say) proves
      // little: the transition is the first success once its retry time has come.
      if (this.recovering && this.up) this.cameBack();
      return value;
    } catch (raw) {
      const err = fromErrno(raw, this.id);
      const failure = isBrickFailure(err);
      sink?.brickCall(this.id, (performance.now() - t0) / 1000, failure ? err : undefined);
      if (markDown && failure) this.markDown(err);
      throw err;
    } finally {
      this.release();
    }
  }

  /**
   * Start a write through call(); a writer that arrives after the call timed out is aborted, not leaked.
   * The member counts as busy until the writer is committed or aborted.
   */
  async createWriter(ref: ObjectRef, timestamp: Timestamp): Promise<BrickWriter> {
    const w = await this.call((b) => b.createWriter(ref, timestamp), {
      onLate: (late) => { void (late as BrickWriter).abort().catch(() => undefined); },
    });
    this.busy++;
    let open = true;
    const done = (): void => { if (open) { open = false; this.release(); } };
    return {
      get stream() { return w.stream; },
      get dataFile() { return w.dataFile; },
      commit: async (record) => { await w.commit(record); done(); },
      abort: async () => { try { await w.abort(); } finally { done(); } },
    };
  }

  /**
   * Resolves once nothing has been in flight on this member (no call, no open writer) for `quietMs`,
   * or after `maxMs`. A volume that drops the brick (remove-brick, replace-brick) waits for this before
   * closing it, so operations that started before the change finish on it instead of failing; the
   * quiet time covers an operation between two of its calls.
   */
  async drained(maxMs: number, quietMs = 250): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (Date.now() < deadline) {
      if (this.busy === 0 && Date.now() - this.lastActive >= quietMs) return;
      await sleep(Math.min(50, quietMs));
    }
  }

  private release(): void {
    this.busy--;
    this.lastActive = Date.now();
  }

  /**
   * Whether the brick has room for new data (free >= minFreeDiskPercent), from a health answer at
   * most a few seconds old. A brick whose health cannot be read is marked down and has no room.
   */
  async hasRoom(): Promise<boolean> {
    const t = this.now();
    if (!this.health || t - this.health.at > HEALTH_TTL_MS) {
      try {
        const value = await this.call((b) => b.health());
        this.health = { at: t, value };
      } catch {
        return false;
      }
    }
    const h = this.health.value;
    if (h.readOnly) return false;
    if (!(h.totalBytes > 0)) return true;
    return (h.freeBytes / h.totalBytes) * 100 >= this.opts.minFreeDiskPercent;
  }

  /** Forget the cached health answer (after a write failed for lack of space, say). */
  forgetHealth(): void { this.health = undefined; }

  private async ensureOpen(): Promise<void> {
    if (this.opened) return;
    try {
      await this.bounded(this.brick.open());
      this.opened = true;
    } catch (raw) {
      const err = fromErrno(raw, this.id);
      this.markDown(err);
      throw err;
    }
  }

  /** `p`, or a Timeout after timeoutMs; a late rejection is swallowed, a late value handed to onLate. */
  private bounded<T>(p: Promise<T>, onLate?: (value: unknown) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        reject(new Timeout(`brick ${this.id} did not answer within ${this.opts.timeoutMs} ms`));
      }, this.opts.timeoutMs);
      p.then(
        (v) => {
          if (done) { onLate?.(v); return; }
          done = true;
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }
}

/** Errors that say the brick (not one file, not the caller) is in trouble. */
export function isBrickFailure(err: unknown): boolean {
  return err instanceof BrickUnavailable || err instanceof Timeout || err instanceof InsufficientStorage;
}
