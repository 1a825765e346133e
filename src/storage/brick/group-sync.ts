/**
 * GroupSync: group commit for one file (the brick index's write-ahead log).
 *
 * `sync()` resolves once everything written to the file before the call is on disk. The fsync runs
 * on the libuv threadpool, so the event loop keeps serving while the disk works, and concurrent
 * callers share fsyncs: at most one fsync is in flight, and every caller that arrives while it runs
 * joins one follow-up fsync that starts when it ends (classic group commit). A caller cannot join the
 * fsync in flight: it may have started before the caller's bytes were written.
 *
 * A failed fsync fails every caller waiting on it, and every later call: after a failed fsync the
 * kernel may have dropped the dirty pages and cleared the error, so a later fsync that succeeds would
 * prove nothing (PostgreSQL's "fsyncgate"). The owner has to be closed and reopened.
 */
import { promises as fsp, type promises } from 'node:fs';

/** Flushes a file handle; `FileHandle.datasync` unless a test substitutes one. */
export type Flush = (fh: promises.FileHandle) => Promise<void>;

interface Waiter { resolve: () => void; reject: (err: Error) => void }

export class GroupSync {
  /** fsyncs issued so far (tests and diagnostics: fewer than the sync() calls under load). */
  flushes = 0;
  private handle: promises.FileHandle | undefined;
  private inFlight = false;
  /** Callers for the next fsync (they arrived after the one in flight started). */
  private waiting: Waiter[] = [];
  private broken: Error | undefined;
  private closed = false;

  constructor(private readonly file: string, private readonly flush: Flush = (fh) => fh.datasync()) {}

  /** Resolves when every byte written to the file before this call is durable. */
  sync(): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.closed) return Promise.reject(new Error(`${this.file}: closed`));
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.inFlight) void this.run();
    });
  }

  /** Take batches of waiters, one fsync each, until nobody waits. */
  private async run(): Promise<void> {
    this.inFlight = true;
    while (this.waiting.length > 0) {
      // Everyone in this batch wrote before this point; the fsync below starts after it.
      const batch = this.waiting;
      this.waiting = [];
      try {
        await this.flushOnce();
        for (const w of batch) w.resolve();
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        this.broken ??= Object.assign(new Error(`fsync of ${this.file} failed: ${e.message}`, { cause: e }),
          { code: (e as NodeJS.ErrnoException).code ?? 'EIO' });
        for (const w of [...batch, ...this.waiting.splice(0)]) w.reject(this.broken);
      }
    }
    this.inFlight = false;
  }

  private async flushOnce(): Promise<void> {
    if (this.closed) throw new Error('closed while a sync was pending');
    this.handle ??= await fsp.open(this.file, 'r'); // fsync works on a read-only descriptor
    this.flushes++;
    await this.flush(this.handle);
  }

  /** Close the descriptor (after the fsync in flight, if any: FileHandle.close waits for it). */
  async close(): Promise<void> {
    this.closed = true;
    const fh = this.handle;
    this.handle = undefined;
    await fh?.close().catch(() => undefined);
  }
}
