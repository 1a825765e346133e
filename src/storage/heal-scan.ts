/**
 * Sorted scans for the heal crawl: one brick's records read page by page (resuming after the last one
 * seen), and a merge of several such scans by key that says, for each key, what every scan holds for
 * it. Memory stays at one page per scan, whatever the brick holds (DESIGN.md §1: nothing is ever held
 * whole).
 */

/** Fetch up to `limit` items strictly after `after` (undefined: from the start), in key order. */
export type ScanFetch<T> = (after: T | undefined, limit: number) => Promise<T[]>;

/** One sorted source. A failed fetch ends it, with `failure` set: its items are unknown from then on. */
export class PagedScan<T> {
  failure: unknown;
  private buf: T[] = [];
  private pos = 0;
  private done = false;
  private last: T | undefined;

  constructor(private readonly fetch: ScanFetch<T>, private readonly pageSize: number) {}

  get failed(): boolean { return this.failure !== undefined; }

  async peek(): Promise<T | undefined> {
    if (this.pos < this.buf.length) return this.buf[this.pos];
    if (this.done) return undefined;
    try {
      this.buf = await this.fetch(this.last, this.pageSize);
    } catch (err) {
      this.failure = err ?? new Error('scan failed');
      this.done = true;
      this.buf = [];
      return undefined;
    }
    this.pos = 0;
    if (this.buf.length < this.pageSize) this.done = true;
    if (this.buf.length > 0) this.last = this.buf[this.buf.length - 1];
    return this.buf[0];
  }

  take(): void { this.pos++; }
}

/** What the scans hold for one key: `items` by scan index (absent: that scan has no such item). */
export interface ScanGroup<T> {
  key: T;
  items: Map<number, T>;
  /** Scans that have failed so far: for them, absence from `items` means "unknown", not "missing". */
  failed: ReadonlySet<number>;
}

/** Merge sorted scans by `compare`, yielding each key once, in order. Scans are read in parallel. */
export async function* mergeScans<T>(scans: Array<PagedScan<T>>, compare: (a: T, b: T) => number): AsyncGenerator<ScanGroup<T>> {
  const failed = new Set<number>();
  for (;;) {
    const heads = await Promise.all(scans.map((s) => s.peek()));
    scans.forEach((s, i) => { if (s.failed) failed.add(i); });
    let key: T | undefined;
    for (const h of heads) if (h !== undefined && (key === undefined || compare(h, key) < 0)) key = h;
    if (key === undefined) return;
    const items = new Map<number, T>();
    heads.forEach((h, i) => {
      if (h === undefined || compare(h, key) !== 0) return;
      items.set(i, h);
      scans[i]!.take();
    });
    yield { key, items, failed };
  }
}

/** Run `fn` over `items` with at most `limit` calls in flight (`fn` handles its own errors, as with Pool). */
export async function forEachLimit<T>(items: Iterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const pool = new Pool(limit);
  for (const item of items) await pool.run(() => fn(item));
  await pool.drain();
}

/**
 * A bound on concurrent work: `run` waits for a free slot, then starts `fn` without waiting for it.
 * A rejection of `fn` is swallowed (nobody awaits it): `fn` handles its own errors.
 */
export class Pool {
  private readonly active = new Set<Promise<void>>();

  constructor(private readonly limit: number) {}

  async run(fn: () => Promise<void>): Promise<void> {
    while (this.active.size >= Math.max(1, this.limit)) await Promise.race(this.active);
    const p: Promise<void> = fn().catch(() => undefined).finally(() => { this.active.delete(p); });
    this.active.add(p);
  }

  async drain(): Promise<void> {
    while (this.active.size > 0) await Promise.race(this.active);
  }
}
