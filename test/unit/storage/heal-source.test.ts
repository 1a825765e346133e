/** Heal source selection: newest wins (tombstones included); equal-timestamp split-brain only by a stated policy. */
import { describe, expect, it } from 'vitest';
import type { ObjectRecord } from '../../../src/storage/brick/brick.js';
import { dataFileName } from '../../../src/storage/brick/records.js';
import { chooseSource, restamp } from '../../../src/storage/heal-source.js';
import { record, ref, tombstone, ts } from './brick/helpers.js';

const o = ref('x');
const live = (t: number, extra: Partial<ObjectRecord> = {}): ObjectRecord =>
  record(o, ts(t), { size: 3, etag: 'a'.repeat(32), dataFile: `data/${t}`, ...extra });
const answers = (...rs: Array<ObjectRecord | undefined>) => new Map(rs.map((r, i) => [i, r] as const));

describe('chooseSource', () => {
  it('picks the newest timestamp, a tombstone included, and names its holders', () => {
    const c = chooseSource(answers(live(1), tombstone(o, ts(2)), undefined), 'none', 3);
    expect(c.source).toEqual(tombstone(o, ts(2)));
    expect(c.holders).toEqual([1]);
    expect(c.splitBrain).toBeUndefined();
  });

  it('nothing held anywhere: no source', () => {
    expect(chooseSource(answers(undefined, undefined), 'none', 2)).toEqual({ source: undefined, holders: [], dataHolders: [] });
  });

  it('agreeing replicas are all holders', () => {
    const c = chooseSource(answers(live(3), live(3), live(1)), 'none', 3);
    expect(c.holders).toEqual([0, 1]);
  });

  it('equal timestamps, different content: split-brain, unresolved under none', () => {
    const c = chooseSource(answers(live(5), live(5, { etag: 'b'.repeat(32) })), 'none', 2);
    expect(c.source).toBeUndefined();
    expect(c.splitBrain).toMatchObject({ timestamp: ts(5), resolved: false });
    expect(c.splitBrain!.candidates.map((k) => k.positions)).toEqual([[0], [1]]);
  });

  it('size: the bigger content wins, re-stamped one offset newer; a tie stays unresolved', () => {
    const c = chooseSource(answers(live(5), live(5, { size: 9, etag: 'b'.repeat(32) })), 'size', 2);
    expect(c.splitBrain?.resolved).toBe(true);
    const t1 = `${ts(5)}_0000000000000001`;
    expect(c.source).toEqual({ ...live(5, { size: 9, etag: 'b'.repeat(32) }), timestamp: t1, dataTimestamp: t1, dataFile: dataFileName(o, t1) });
    expect(c.dataHolders).toEqual([1]);
    expect(c.data).toEqual(live(5, { size: 9, etag: 'b'.repeat(32) }));
    expect(chooseSource(answers(live(5), live(5, { etag: 'b'.repeat(32) })), 'size', 2).source).toBeUndefined();
  });

  it('mtime: the newer data timestamp wins (a newer PUT beats an older POSTed version)', () => {
    const posted = live(5, { dataTimestamp: ts(1), dataFile: 'data/1' });
    const c = chooseSource(answers(posted, live(5)), 'mtime', 2);
    expect(c.dataHolders).toEqual([1]);
  });

  it('majority: held by more than half of the set, else unresolved', () => {
    const other = live(5, { etag: 'b'.repeat(32) });
    expect(chooseSource(answers(live(5), other, other), 'majority', 3).dataHolders).toEqual([1, 2]);
    // Two of four is not a majority.
    expect(chooseSource(answers(live(5), live(5), other, other), 'majority', 4).splitBrain?.resolved).toBe(false);
  });

  it('restamp moves timestamp, data timestamp and data file name one offset on (a new name nobody holds yet)', () => {
    const t1 = `${ts(5)}_0000000000000001`;
    expect(restamp(live(5))).toMatchObject({ timestamp: t1, dataTimestamp: t1, dataFile: dataFileName(o, t1), size: 3 });
    expect(restamp(tombstone(o, ts(5)))).toEqual({ ...tombstone(o, ts(5)), timestamp: t1, dataTimestamp: t1 });
  });
});
