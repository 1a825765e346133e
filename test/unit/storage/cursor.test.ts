/**
 * The listing cursors: a paged cursor over a sorted source, the k-way merge (synchronous over
 * buffered heads, parallel fetches when a source runs dry), and the Swift page builder on top.
 */
import { describe, expect, it } from 'vitest';
import { brickListCursor, collectPage, MergeCursor, PagedCursor, PENDING, type Cursor } from '../../../src/storage/cursor.js';
import { compareNames } from '../../../src/storage/store.js';

interface Item { name: string; v: number; gone?: boolean }

/** A source over sorted items, counting fetches and the most fetches in flight at once. */
function source(items: Item[], opts: { page?: number; reverse?: boolean; fail?: boolean } = {}) {
  const sorted = [...items].sort((a, b) => compareNames(a.name, b.name) * (opts.reverse ? -1 : 1));
  const stats = { fetches: 0, inFlight: 0, maxInFlight: 0 };
  const cursor = new PagedCursor<Item>(async (marker, limit) => {
    stats.fetches++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    await new Promise((r) => setTimeout(r, 1));
    stats.inFlight--;
    if (opts.fail) throw new Error('brick gone');
    const after = marker === undefined ? sorted
      : sorted.filter((i) => (opts.reverse ? compareNames(i.name, marker) < 0 : compareNames(i.name, marker) > 0));
    return after.slice(0, limit);
  }, (i) => i.name, { reverse: opts.reverse === true, firstPage: opts.page ?? 2, maxPage: 8, seekPage: 1 });
  return { cursor, stats };
}

const items = (...names: string[]): Item[] => names.map((name) => ({ name, v: 1 }));

/** Newest (highest v) wins; a winning `gone` item drops the name. */
function merge(sources: Array<Cursor<Item>>, opts: { reverse?: boolean; dropSource?: () => boolean } = {}) {
  return new MergeCursor<Item>(sources, {
    nameOf: (i) => i.name,
    reverse: opts.reverse === true,
    pick: (group) => {
      const best = group.reduce((a, b) => (b.v > a.v ? b : a));
      return best.gone ? undefined : best;
    },
    ...(opts.dropSource ? { dropSource: opts.dropSource } : {}),
  });
}

async function drain(cursor: Cursor<Item>): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const item = await cursor.peek();
    if (item === undefined) return out;
    out.push(`${item.name}${item.v}`);
    cursor.take();
  }
}

describe('PagedCursor', () => {
  it('is PENDING until its first page, then walks the buffered page without fetching', async () => {
    const { cursor, stats } = source(items('a', 'b', 'c'), { page: 2 });
    expect(cursor.ready()).toBe(PENDING);
    expect((await cursor.peek())?.name).toBe('a');
    expect(cursor.ready()).toEqual({ name: 'a', v: 1 });
    cursor.take();
    expect(cursor.ready()).toEqual({ name: 'b', v: 1 });
    cursor.take();
    expect(stats.fetches).toBe(1);
    expect(cursor.ready()).toBe(PENDING);
    expect((await cursor.peek())?.name).toBe('c');
    cursor.take();
    expect(cursor.ready()).toBeUndefined(); // the short second page ended it
    expect(stats.fetches).toBe(2);
  });
});

describe('brickListCursor', () => {
  it('asks the brick for the window after its marker, pages doubling up to maxPage', async () => {
    const names = Array.from({ length: 20 }, (_v, i) => `n${String(i).padStart(2, '0')}`);
    const asked: Array<{ marker?: string; limit: number; prefix?: string }> = [];
    const cursor = brickListCursor<string>(async (q) => {
      asked.push({ ...(q.marker !== undefined ? { marker: q.marker } : {}), limit: q.limit, ...(q.prefix ? { prefix: q.prefix } : {}) });
      return names.filter((n) => q.marker === undefined || n > q.marker).slice(0, q.limit);
    }, (n) => n, { reverse: false, prefix: 'n', firstPage: 3, maxPage: 5, seekPage: 2 });
    const seen: string[] = [];
    for (let n = await cursor.peek(); n !== undefined; n = await cursor.peek()) { seen.push(n); cursor.take(); }
    expect(seen).toEqual(names);
    expect(asked.map((a) => a.limit)).toEqual([3, 5, 5, 5, 5]);
    expect(asked[1]).toEqual({ marker: 'n02', limit: 5, prefix: 'n' });
  });
});

describe('MergeCursor', () => {
  it('merges sorted sources by UTF-8 name order, one item per name, the picked one', async () => {
    const a = source([{ name: 'a', v: 1 }, { name: 'c', v: 2 }, { name: 'é', v: 1 }, { name: 'x', v: 1 }]);
    const b = source([{ name: 'b', v: 1 }, { name: 'c', v: 3 }, { name: '\u{E000}', v: 1 }, { name: 'x', v: 1, gone: true }]);
    const names = await drain(merge([a.cursor, b.cursor]));
    // 'x': equal versions, the pick keeps the first source's (live) one.
    expect(names).toEqual(['a1', 'b1', 'c3', 'x1', 'é1', '\u{E000}1']);
  });

  it('drops a name whose winner is a tombstone, and merges in reverse', async () => {
    const a = source([{ name: 'a', v: 1 }, { name: 'b', v: 1 }, { name: 'c', v: 1 }], { reverse: true });
    const b = source([{ name: 'b', v: 2, gone: true }, { name: 'd', v: 1 }], { reverse: true });
    expect(await drain(merge([a.cursor, b.cursor], { reverse: true }))).toEqual(['d1', 'c1', 'a1']);
  });

  it('answers from buffered heads without waiting, and fetches dry sources in parallel', async () => {
    const a = source(items('a', 'c', 'e', 'g'), { page: 2 });
    const b = source(items('b', 'd', 'f', 'h'), { page: 2 });
    const m = merge([a.cursor, b.cursor]);
    expect(m.ready()).toBe(PENDING);
    expect((await m.peek())?.name).toBe('a');
    expect(a.stats.maxInFlight + b.stats.maxInFlight).toBe(2);
    expect(a.stats.fetches + b.stats.fetches).toBe(2);
    const seen: string[] = [];
    for (let item = m.ready(); item !== PENDING && item !== undefined; item = m.ready()) {
      seen.push(item.name);
      m.take();
    }
    // Until a's first page runs out: then 'd' cannot be known to come next without a's next page.
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(a.stats.fetches + b.stats.fetches).toBe(2);
    expect(await drain(m)).toEqual(['d1', 'e1', 'f1', 'g1', 'h1']);
  });

  it('leaves out a failed source when allowed, fails the merge when not', async () => {
    const good = source(items('a', 'b'));
    const bad = source(items('a'), { fail: true });
    expect(await drain(merge([good.cursor, bad.cursor], { dropSource: () => true }))).toEqual(['a1', 'b1']);
    await expect(drain(merge([source(items('a')).cursor, source(items('a'), { fail: true }).cursor])))
      .rejects.toThrow('brick gone');
    // The last live source failing fails the merge even when sources may be dropped.
    await expect(drain(merge([source([], { fail: true }).cursor], { dropSource: () => true }))).rejects.toThrow('brick gone');
  });
});

describe('collectPage', () => {
  const entry = (i: Item): string => i.name;

  it('stops at the limit and rolls names up to subdirs, seeking past them', async () => {
    const names = ['a/1', 'a/2', 'a/3', 'a/4', 'a/5', 'a/6', 'b', 'c/1', 'c/2', 'd'];
    const a = source(items(...names.filter((_n, i) => i % 2 === 0)), { page: 2 });
    const b = source(items(...names.filter((_n, i) => i % 2 === 1)), { page: 2 });
    const page = await collectPage(merge([a.cursor, b.cursor]), (i) => i.name, { delimiter: '/', limit: 10 }, entry);
    expect(page).toEqual([{ subdir: 'a/' }, 'b', { subdir: 'c/' }, 'd']);
    const limited = await collectPage(merge([source(items(...names)).cursor]), (i) => i.name, { limit: 3 }, entry);
    expect(limited).toEqual(['a/1', 'a/2', 'a/3']);
  });

  it('does not repeat the subdir the marker names', async () => {
    const m = merge([source(items('a/1', 'a/2', 'b')).cursor]);
    expect(await collectPage(m, (i) => i.name, { delimiter: '/', marker: 'a/', limit: 10 }, entry)).toEqual(['b']);
  });
});
