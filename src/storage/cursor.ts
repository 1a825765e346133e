/**
 * Sorted cursors for listings: a paged cursor over one brick's sorted records, a k-way merge of
 * cursors, and the Swift page builder (limit, delimiter roll-up) on top.
 *
 * Cost: every cursor pulls pages only as far as the merged output needs, and a delimiter roll-up
 * skips the rolled-up names with a seek instead of reading them, so a page costs
 * O(sources × limit) records however large the container is (DESIGN.md §6).
 */
import type { BrickListQuery } from './brick/brick.js';
import { compareNames, LISTING_LIMIT, type SubdirEntry } from './store.js';

/** What `Cursor.ready()` answers when the head is not buffered: it must be fetched with `peek()`. */
export const PENDING: unique symbol = Symbol('pending');
export type Pending = typeof PENDING;

export interface Cursor<T> {
  /** The next item, or undefined at the end. Rejects if the source failed. */
  peek(): Promise<T | undefined>;
  /**
   * The next item if it is known without waiting (undefined at the end), else PENDING: then await
   * `peek()`. A page of buffered items is walked without a promise per item.
   */
  ready(): T | undefined | Pending;
  /** Consume the item the last `peek` (or `ready`) returned. */
  take(): void;
  /**
   * Skip every item whose name starts with `prefix`. The caller has just seen such an item at the
   * head of the merged order, so they are the next items of every source that has any.
   */
  skipPrefix(prefix: string): void;
}

/**
 * Appended to a rolled-up prefix to make an exclusive forward marker that sorts after every name
 * starting with the prefix: U+10FFFF is the largest code point, and no valid name (at most a few KiB)
 * can start with prefix + this many of them and still be longer.
 */
const AFTER_ALL = '\u{10FFFF}'.repeat(1024);

/** Fetch up to `limit` items strictly after `marker` (before it when reverse), in listing order. */
export type PageFetch<T> = (marker: string | undefined, limit: number) => Promise<T[]>;

export interface PagedCursorOptions {
  reverse: boolean;
  /** The marker of the first fetch (the listing's own marker). */
  marker?: string;
  /** Items per fetch at first; doubled after every fetch, up to `maxPage`. */
  firstPage: number;
  maxPage: number;
  /** Items per fetch right after a roll-up seek (the next name is usually all that is needed). */
  seekPage: number;
}

/** A listing query as the merging cursors take it: Swift's bounds and direction, and the page sizes. */
export interface ListingQuery {
  marker?: string;
  endMarker?: string;
  prefix?: string;
  reverse: boolean;
  firstPage: number;
  seekPage: number;
  /** Pages grow (doubling) up to this many items; default the listing limit. */
  maxPage?: number;
}

/**
 * A PagedCursor over one brick listing (`list`: a brick's listObjects or listContainers) for `q`:
 * each page asks for the names after the cursor's marker, within q's end marker and prefix.
 */
export function brickListCursor<T>(list: (query: BrickListQuery) => Promise<T[]>, nameOf: (item: T) => string,
                                   q: ListingQuery): PagedCursor<T> {
  return new PagedCursor<T>(
    (marker, limit) => list({
      ...(marker !== undefined ? { marker } : {}),
      ...(q.endMarker !== undefined ? { endMarker: q.endMarker } : {}),
      ...(q.prefix !== undefined ? { prefix: q.prefix } : {}),
      reverse: q.reverse, limit,
    }),
    nameOf,
    { reverse: q.reverse, ...(q.marker !== undefined ? { marker: q.marker } : {}), firstPage: q.firstPage, maxPage: q.maxPage ?? LISTING_LIMIT, seekPage: q.seekPage },
  );
}

/** A cursor over one sorted source fetched page by page, resuming after the last name it saw. */
export class PagedCursor<T> implements Cursor<T> {
  private buf: T[] = [];
  private pos = 0;
  private exhausted = false;
  private marker: string | undefined;
  private pageSize: number;

  constructor(private readonly fetch: PageFetch<T>, private readonly nameOf: (item: T) => string,
              private readonly opts: PagedCursorOptions) {
    this.marker = opts.marker;
    this.pageSize = Math.max(1, Math.min(opts.firstPage, opts.maxPage));
  }

  ready(): T | undefined | Pending {
    if (this.pos < this.buf.length) return this.buf[this.pos];
    return this.exhausted ? undefined : PENDING;
  }

  async peek(): Promise<T | undefined> {
    if (this.pos < this.buf.length) return this.buf[this.pos];
    if (this.exhausted) return undefined;
    const limit = this.pageSize;
    const page = await this.fetch(this.marker, limit);
    this.buf = page;
    this.pos = 0;
    if (page.length < limit) this.exhausted = true;
    if (page.length > 0) this.marker = this.nameOf(page[page.length - 1]!);
    this.pageSize = Math.min(this.opts.maxPage, limit * 2);
    return page[0];
  }

  take(): void { this.pos++; }

  skipPrefix(prefix: string): void {
    while (this.pos < this.buf.length && this.nameOf(this.buf[this.pos]!).startsWith(prefix)) this.pos++;
    if (this.pos < this.buf.length || this.exhausted) return;
    // The rest of the rolled-up names are not fetched yet: seek past them instead of reading them.
    this.marker = this.opts.reverse ? prefix : prefix + AFTER_ALL;
    this.pageSize = Math.max(1, Math.min(this.opts.seekPage, this.opts.maxPage));
  }
}

export interface MergeOptions<T> {
  nameOf(item: T): string;
  reverse: boolean;
  /**
   * Combine the items that share the head name (`from[k]` is the source index of `items[k]`):
   * the item to yield, or undefined to drop the name (a tombstone, a deleted container).
   */
  pick(items: T[], from: number[]): T | undefined;
  /**
   * A source failed. Return true to carry on without it (a replica whose peers hold the same
   * names); false, or throwing, fails the whole merge. Not called for the last live source.
   */
  dropSource?(index: number, err: unknown): boolean;
}

/**
 * A k-way merge of sorted cursors by name. The merge itself is synchronous over the sources'
 * buffered heads (`ready`); it waits only when a source has to fetch its next page, and then
 * fetches every such source at once.
 */
export class MergeCursor<T> implements Cursor<T> {
  private readonly live: Array<Cursor<T> | undefined>;
  /** Per source, its head while the merge compares them (reused, so a step allocates nothing). */
  private readonly heads: Array<T | undefined>;
  private readonly names: Array<string | undefined>;
  private current: { item: T; group: number[] } | undefined;

  constructor(sources: Array<Cursor<T>>, private readonly opts: MergeOptions<T>) {
    this.live = [...sources];
    this.heads = new Array<T | undefined>(sources.length);
    this.names = new Array<string | undefined>(sources.length);
  }

  async peek(): Promise<T | undefined> {
    for (;;) {
      const head = this.ready();
      if (head !== PENDING) return head;
      await this.fetchPending();
    }
  }

  ready(): T | undefined | Pending {
    if (this.current) return this.current.item;
    const { live, heads, names, opts } = this;
    for (;;) {
      let best: string | undefined;
      for (let i = 0; i < live.length; i++) {
        const source = live[i];
        const head = source === undefined ? undefined : source.ready();
        if (head === PENDING) return PENDING;
        heads[i] = head;
        if (head === undefined) { names[i] = undefined; continue; }
        const name = opts.nameOf(head);
        names[i] = name;
        if (best === undefined) { best = name; continue; }
        const c = compareNames(name, best);
        if (opts.reverse ? c > 0 : c < 0) best = name;
      }
      if (best === undefined) return undefined;
      const items: T[] = [];
      const group: number[] = [];
      for (let i = 0; i < live.length; i++) {
        if (names[i] === best) { items.push(heads[i]!); group.push(i); }
      }
      const item = opts.pick(items, group);
      if (item !== undefined) {
        this.current = { item, group };
        return item;
      }
      for (const i of group) live[i]!.take();
    }
  }

  take(): void {
    if (!this.current) return;
    for (const i of this.current.group) this.live[i]?.take();
    this.current = undefined;
  }

  skipPrefix(prefix: string): void {
    this.current = undefined;
    for (const s of this.live) s?.skipPrefix(prefix);
  }

  /** Fetch the head of every live source that has none buffered, in parallel; failed sources dropped if allowed. */
  private async fetchPending(): Promise<void> {
    const waiting: number[] = [];
    for (let i = 0; i < this.live.length; i++) if (this.live[i]?.ready() === PENDING) waiting.push(i);
    const settled = await Promise.allSettled(waiting.map((i) => this.live[i]!.peek()));
    settled.forEach((r, k) => {
      if (r.status === 'fulfilled') return;
      const i = waiting[k]!;
      const others = this.live.filter((s, j) => s && j !== i).length;
      if (others === 0 || !this.opts.dropSource?.(i, r.reason)) throw r.reason;
      this.live[i] = undefined;
    });
  }
}

export interface PageQuery {
  prefix?: string;
  delimiter?: string;
  marker?: string;
  limit: number;
}

/**
 * Build one listing page as Swift's container and account servers do: up to `limit` entries, names
 * containing the delimiter after the prefix rolled up into one `subdir` each (and then skipped with
 * a seek), a subdir equal to the marker not repeated (the client is paging past it).
 */
export async function collectPage<T, E>(cursor: Cursor<T>, nameOf: (item: T) => string, query: PageQuery,
                                        toEntry: (item: T) => E): Promise<Array<E | SubdirEntry>> {
  const out: Array<E | SubdirEntry> = [];
  const prefix = query.prefix ?? '';
  const delimiter = query.delimiter ?? '';
  while (out.length < query.limit) {
    let item = cursor.ready();
    if (item === PENDING) item = await cursor.peek();
    if (item === undefined) break;
    const name = nameOf(item);
    if (delimiter !== '') {
      const at = name.indexOf(delimiter, prefix.length);
      if (at >= 0) {
        const subdir = name.slice(0, at + delimiter.length);
        if (subdir !== query.marker) out.push({ subdir });
        cursor.skipPrefix(subdir);
        continue;
      }
    }
    out.push(toEntry(item));
    cursor.take();
  }
  return out;
}
