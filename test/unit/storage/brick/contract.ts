/**
 * The Brick contract suite: every Brick implementation (and FaultyBrick in pass-through mode) runs it
 * (tus's shared store tests, MinIO's ExecObjectLayerTest). Each test gets a fresh, opened brick.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Brick, ContainerRecord, ObjectRecord } from '../../../../src/storage/brick/brick.js';
import { dataFileName } from '../../../../src/storage/brick/records.js';
import { BrickUnavailable, Conflict, InvalidArgument, SizeMismatch, StoreError } from '../../../../src/storage/errors.js';
import { compareNames } from '../../../../src/storage/store.js';
import { bytes, put, readAll, readData, record, ref, tombstone, ts } from './helpers.js';

export interface ContractOptions {
  /** Called after each test with the brick (already closed), e.g. to remove its directory. */
  teardown?: (brick: Brick) => Promise<void>;
}

/** Unicode names whose UTF-8 order differs from JS (UTF-16) order in places. */
const NAMES = ['a', 'a/b', 'a/c', 'ab', 'b', 'B', 'é', 'éa', 'z', '\u{E000}', '\u{FFFD}x', '😀', '😀/1', '日本', 'x y', 'a%20b'];

export function brickContract(name: string, makeBrick: () => Promise<Brick>, opts: ContractOptions = {}): void {
  describe(`Brick contract: ${name}`, () => {
    let brick: Brick;
    beforeEach(async () => {
      brick = await makeBrick();
      await brick.open();
    });
    afterEach(async () => {
      await brick.close();
      await opts.teardown?.(brick);
    });

    const o = ref('obj');

    describe('lifecycle', () => {
      it('open is idempotent and health reports ok', async () => {
        await brick.open();
        const h = await brick.health();
        expect(h).toMatchObject({ id: brick.id, ok: true, readOnly: false });
        expect(h.totalBytes).toBeGreaterThan(0);
        expect(h.freeBytes).toBeGreaterThanOrEqual(0);
      });

      it('calls after close reject with BrickUnavailable, and reopening keeps the data', async () => {
        const rec = await put(brick, o, ts(1), 'kept');
        await brick.close();
        await expect(brick.getRecord(o)).rejects.toBeInstanceOf(BrickUnavailable);
        await brick.open();
        expect(await brick.getRecord(o)).toEqual(rec);
        expect((await readData(brick, rec)).toString()).toBe('kept');
      });
    });

    describe('writes and reads', () => {
      it('writes, commits and reads back the whole body and ranges', async () => {
        const body = bytes(200_000, 7);
        const rec = await put(brick, o, ts(1), body, { etag: 'e1', contentType: 'text/plain', metadata: { 'x-object-meta-a': '1' } });
        const got = await brick.getRecord(o);
        expect(got).toEqual(rec);
        expect(got!.dataFile).toBe(dataFileName(o, ts(1)));
        expect((await readData(brick, rec)).equals(body)).toBe(true);
        for (const r of [{ start: 0, end: 0 }, { start: 5, end: 99 }, { start: 70_000, end: 199_999 }, { start: 199_999, end: 199_999 }]) {
          expect((await readData(brick, rec, r)).equals(body.subarray(r.start, r.end + 1))).toBe(true);
        }
      });

      it('stores empty objects', async () => {
        const rec = await put(brick, o, ts(1), '');
        expect((await readData(brick, rec)).length).toBe(0);
        expect(await brick.containerUsage(o.account, o.container)).toEqual({ objectCount: 1, bytesUsed: 0 });
      });

      it('a handle reads several times and its ranges independently', async () => {
        const rec = await put(brick, o, ts(1), 'hello world');
        const h = await brick.openData(rec);
        expect(h.size).toBe(11);
        const [a, b] = await Promise.all([readAll(h.read({ start: 0, end: 4 })), readAll(h.read({ start: 6, end: 10 }))]);
        expect([a.toString(), b.toString()]).toEqual(['hello', 'world']);
        h.close();
      });

      it('a read stream destroyed early leaves the handle readable (small and large objects)', async () => {
        for (const [i, body] of [bytes(1000, 3), bytes(3 * 1024 * 1024 + 17, 4)].entries()) {
          const r = ref(`early-${i}`);
          const rec = await put(brick, r, ts(1), body);
          const h = await brick.openData(rec);
          try {
            const first = h.read();
            const closed = new Promise((resolve) => first.once('close', resolve));
            first.once('error', () => undefined);
            first.once('data', () => first.destroy());
            await closed;
            expect((await readAll(h.read())).equals(body)).toBe(true);
            const range = { start: 5, end: body.length - 2 };
            expect((await readAll(h.read(range))).equals(body.subarray(range.start, range.end + 1))).toBe(true);
          } finally {
            h.close();
          }
        }
      });

      it('the writer names the deterministic data file, the same on every brick', async () => {
        const w = await brick.createWriter(o, ts(3));
        expect(w.dataFile).toBe(dataFileName(o, ts(3)));
        await w.abort();
      });

      it('abort leaves nothing behind', async () => {
        const w = await brick.createWriter(o, ts(1));
        w.stream.write(Buffer.from('partial'));
        await w.abort();
        await w.abort(); // harmless twice
        expect(await brick.getRecord(o)).toBeUndefined();
        expect(await brick.listObjects(o.account, o.container, { limit: 10 })).toEqual([]);
        expect(await brick.containerUsage(o.account, o.container)).toEqual({ objectCount: 0, bytesUsed: 0 });
        expect(await brick.audit()).toBe(0);
      });

      it('commit refuses a record whose size differs from the bytes written', async () => {
        const w = await brick.createWriter(o, ts(1));
        w.stream.end(Buffer.from('abc'));
        await expect(w.commit(record(o, ts(1), { size: 4, dataFile: w.dataFile }))).rejects.toBeInstanceOf(SizeMismatch);
        await w.abort();
        expect(await brick.getRecord(o)).toBeUndefined();
      });

      it('commit refuses a record for another object or data file', async () => {
        const w = await brick.createWriter(o, ts(1));
        w.stream.end(Buffer.from('abc'));
        await expect(w.commit(record(ref('other'), ts(1), { size: 3, dataFile: w.dataFile }))).rejects.toBeInstanceOf(InvalidArgument);
        await expect(w.commit(record(o, ts(1), { size: 3, dataFile: dataFileName(o, ts(2)) }))).rejects.toBeInstanceOf(InvalidArgument);
        await w.abort();
      });

      it('refuses timestamps that are not in normal form (they name files)', async () => {
        await expect(brick.createWriter(o, '../../etc/passwd')).rejects.toBeInstanceOf(InvalidArgument);
        await expect(brick.putRecord(tombstone(o, '1700000000.1/x'))).rejects.toBeInstanceOf(InvalidArgument);
      });

      it('openData rejects when the record size does not match the data', async () => {
        const rec = await put(brick, o, ts(1), 'four');
        await expect(brick.openData({ ...rec, size: 5 })).rejects.toBeInstanceOf(BrickUnavailable);
      });

      it('records handed out are copies', async () => {
        await put(brick, o, ts(1), 'x', { metadata: { k: 'v' } });
        const got = (await brick.getRecord(o))!;
        got.metadata.k = 'changed';
        got.size = 99;
        expect((await brick.getRecord(o))!.metadata.k).toBe('v');
        expect((await brick.getRecord(o))!.size).toBe(1);
      });
    });

    describe('newest wins', () => {
      it('refuses an older or equal timestamp with Conflict and leaves record and data untouched', async () => {
        const rec = await put(brick, o, ts(5), 'current');
        for (const t of [ts(4), ts(5)]) {
          await expect(put(brick, o, t, 'intruder')).rejects.toBeInstanceOf(Conflict);
          await expect(brick.putRecord(tombstone(o, t))).rejects.toBeInstanceOf(Conflict);
        }
        expect(await brick.getRecord(o)).toEqual(rec);
        expect((await readData(brick, rec)).toString()).toBe('current');
        expect(await brick.audit()).toBe(0);
      });

      it('overwrite removes the superseded data file, but an open handle stays readable', async () => {
        const v1 = await put(brick, o, ts(1), 'version one');
        const pinned = await brick.openData(v1);
        const v2 = await put(brick, o, ts(2), 'version two!');
        expect(await brick.getRecord(o)).toEqual(v2);
        await expect(brick.openData(v1)).rejects.toBeInstanceOf(BrickUnavailable);
        expect((await readAll(pinned.read())).toString()).toBe('version one');
        pinned.close();
        expect((await readData(brick, v2)).toString()).toBe('version two!');
      });

      it('a tombstone hides the object, is listed as deleted and removes the data', async () => {
        const v1 = await put(brick, o, ts(1), 'doomed');
        const t = tombstone(o, ts(2));
        await brick.putRecord(t);
        expect(await brick.getRecord(o)).toEqual(t);
        const listed = await brick.listObjects(o.account, o.container, { limit: 10 });
        expect(listed).toEqual([t]);
        expect(listed[0]!.deleted).toBe(true);
        await expect(brick.openData(v1)).rejects.toBeInstanceOf(BrickUnavailable);
        await expect(put(brick, o, ts(2), 'same time as delete')).rejects.toBeInstanceOf(Conflict);
        const v3 = await put(brick, o, ts(3), 'reborn');
        expect(await brick.getRecord(o)).toEqual(v3);
      });

      it('a tombstone may be stored where nothing was', async () => {
        await brick.putRecord(tombstone(o, ts(1)));
        expect((await brick.getRecord(o))!.deleted).toBe(true);
        await expect(brick.putRecord({ ...tombstone(o, ts(2)), dataFile: 'data/x' })).rejects.toBeInstanceOf(InvalidArgument);
      });

      it('concurrent writes of one object settle on the newest, with one data file left', async () => {
        const results = await Promise.allSettled([3, 1, 4, 2, 4].map((v, i) => put(brick, o, ts(v), `v${v}-${i}`)));
        const ok = results.filter((r) => r.status === 'fulfilled');
        expect(ok.length).toBeGreaterThanOrEqual(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(Conflict);
        const rec = (await brick.getRecord(o))!;
        expect(rec.timestamp).toBe(ts(4));
        expect((await readData(brick, rec)).toString()).toMatch(/^v4-[24]$/);
        expect(await brick.containerUsage(o.account, o.container)).toEqual({ objectCount: 1, bytesUsed: 4 });
        expect(await brick.audit()).toBe(0);
      });

      it('a POST-style putRecord keeps the data file', async () => {
        const v1 = await put(brick, o, ts(1), 'payload', { metadata: { a: '1' } });
        const posted: ObjectRecord = { ...v1, timestamp: ts(2), metadata: { b: '2' }, deleteAt: 1800000000 };
        await brick.putRecord(posted);
        expect(await brick.getRecord(o)).toEqual(posted);
        expect((await readData(brick, posted)).toString()).toBe('payload');
        await expect(brick.putRecord({ ...v1, timestamp: ts(2) })).rejects.toBeInstanceOf(Conflict);
        expect(await brick.containerUsage(o.account, o.container)).toEqual({ objectCount: 1, bytesUsed: 7 });
      });

      it('putRecord of live data this brick does not hold is refused', async () => {
        const rec = record(o, ts(1), { size: 3, dataFile: dataFileName(o, ts(1)) });
        await expect(brick.putRecord(rec)).rejects.toBeInstanceOf(BrickUnavailable);
        await expect(brick.putRecord({ ...rec, dataFile: 'data/../../x' })).rejects.toBeInstanceOf(InvalidArgument);
        expect(await brick.getRecord(o)).toBeUndefined();
      });
    });

    describe('listing', () => {
      const sorted = [...NAMES].sort(compareNames);
      const acct = 'AUTH_list';
      const list = async (q: Parameters<Brick['listObjects']>[2]): Promise<string[]> =>
        (await brick.listObjects(acct, 'c', q)).map((r) => r.name);

      beforeEach(async () => {
        let n = 1;
        for (const name of NAMES) await put(brick, ref(name, 'c', acct), ts(n++), name);
        await put(brick, ref('other', 'c2', acct), ts(n++), 'elsewhere');
        await put(brick, ref('a', 'c', 'AUTH_other'), ts(n++), 'elsewhere');
      });

      it('orders names by UTF-8 bytes', async () => {
        expect(await list({ limit: 100 })).toEqual(sorted);
        expect(sorted.indexOf('\u{E000}')).toBeLessThan(sorted.indexOf('😀')); // differs from UTF-16 order
      });

      it('honours marker, end_marker and limit', async () => {
        expect(await list({ limit: 3 })).toEqual(sorted.slice(0, 3));
        expect(await list({ limit: 100, marker: 'b' })).toEqual(sorted.filter((n) => compareNames(n, 'b') > 0));
        expect(await list({ limit: 100, endMarker: 'é' })).toEqual(sorted.filter((n) => compareNames(n, 'é') < 0));
        expect(await list({ limit: 2, marker: 'a', endMarker: 'z' })).toEqual(['a%20b', 'a/b']);
        expect(await list({ limit: 100, marker: 'zzz', endMarker: 'a' })).toEqual([]);
        expect(await list({ limit: 0 })).toEqual([]);
      });

      it('honours prefix, alone and with markers', async () => {
        expect(await list({ limit: 100, prefix: 'a' })).toEqual(['a', 'a%20b', 'a/b', 'a/c', 'ab']);
        expect(await list({ limit: 100, prefix: 'a/' })).toEqual(['a/b', 'a/c']);
        expect(await list({ limit: 100, prefix: 'a', marker: 'a/b' })).toEqual(['a/c', 'ab']);
        expect(await list({ limit: 100, prefix: 'a', endMarker: 'a/c' })).toEqual(['a', 'a%20b', 'a/b']);
        expect(await list({ limit: 100, prefix: '😀' })).toEqual(['😀', '😀/1']);
        expect(await list({ limit: 100, prefix: 'é' })).toEqual(['é', 'éa']);
        expect(await list({ limit: 100, prefix: '\u{10FFFF}' })).toEqual([]);
        expect(await list({ limit: 100, prefix: 'nothing' })).toEqual([]);
      });

      it('lists in reverse: marker is the upper bound, end_marker the lower', async () => {
        const rev = [...sorted].reverse();
        expect(await list({ limit: 100, reverse: true })).toEqual(rev);
        expect(await list({ limit: 2, reverse: true })).toEqual(rev.slice(0, 2));
        expect(await list({ limit: 100, reverse: true, marker: 'b' })).toEqual(rev.filter((n) => compareNames(n, 'b') < 0));
        expect(await list({ limit: 100, reverse: true, endMarker: 'é' })).toEqual(rev.filter((n) => compareNames(n, 'é') > 0));
        expect(await list({ limit: 100, reverse: true, prefix: 'a' })).toEqual(['ab', 'a/c', 'a/b', 'a%20b', 'a']);
        expect(await list({ limit: 2, reverse: true, prefix: 'a', marker: 'ab' })).toEqual(['a/c', 'a/b']);
      });

      it('pages through with the last name as marker', async () => {
        const seen: string[] = [];
        let marker: string | undefined;
        for (;;) {
          const page = await list({ limit: 4, ...(marker === undefined ? {} : { marker }) });
          if (page.length === 0) break;
          seen.push(...page);
          marker = page[page.length - 1];
        }
        expect(seen).toEqual(sorted);
      });

      it('scanObjects pages over every record in (account, container, name) order', async () => {
        await brick.putRecord(tombstone(ref('gone', 'c', acct), ts(900)));
        const all: string[] = [];
        let after: ReturnType<typeof ref> | undefined;
        for (;;) {
          const page = await brick.scanObjects(after, 3);
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(3);
          all.push(...page.map((r) => `${r.account}|${r.container}|${r.name}`));
          const last = page[page.length - 1]!;
          after = ref(last.name, last.container, last.account);
        }
        const want = [...NAMES, 'gone'].sort(compareNames).map((n) => `${acct}|c|${n}`);
        expect(all).toEqual(['AUTH_list|c2|other', 'AUTH_other|c|a', ...want].sort((x, y) => {
          const [a1, c1, n1] = x.split('|') as [string, string, string];
          const [a2, c2, n2] = y.split('|') as [string, string, string];
          return compareNames(a1, a2) || compareNames(c1, c2) || compareNames(n1, n2);
        }));
      });
    });

    describe('counters', () => {
      it('stay exact through put, overwrite, POST, delete and re-put', async () => {
        const A = 'AUTH_count';
        const usage = async (c: string) => brick.containerUsage(A, c);
        const a1 = ref('one', 'c1', A);
        await put(brick, a1, ts(1), '12345');
        await put(brick, ref('two', 'c1', A), ts(2), '123');
        await put(brick, ref('three', 'c2', A), ts(3), '1234567');
        expect(await usage('c1')).toEqual({ objectCount: 2, bytesUsed: 8 });
        expect(await usage('c2')).toEqual({ objectCount: 1, bytesUsed: 7 });
        expect(await brick.accountUsage(A)).toEqual({ objectCount: 3, bytesUsed: 15 });

        const v2 = await put(brick, a1, ts(4), '1'); // overwrite: 5 bytes -> 1
        expect(await usage('c1')).toEqual({ objectCount: 2, bytesUsed: 4 });
        await brick.putRecord({ ...v2, timestamp: ts(5), metadata: { m: 'x' } }); // POST
        expect(await usage('c1')).toEqual({ objectCount: 2, bytesUsed: 4 });
        await brick.putRecord(tombstone(a1, ts(6)));
        expect(await usage('c1')).toEqual({ objectCount: 1, bytesUsed: 3 });
        await brick.putRecord(tombstone(a1, ts(7))); // deleting a tombstone changes nothing
        await brick.putRecord(tombstone(ref('never', 'c1', A), ts(8)));
        expect(await usage('c1')).toEqual({ objectCount: 1, bytesUsed: 3 });
        await put(brick, a1, ts(9), '12');
        expect(await usage('c1')).toEqual({ objectCount: 2, bytesUsed: 5 });
        expect(await brick.accountUsage(A)).toEqual({ objectCount: 3, bytesUsed: 12 });
        await expect(put(brick, a1, ts(9), 'conflicting')).rejects.toBeInstanceOf(Conflict);
        expect(await brick.accountUsage(A)).toEqual({ objectCount: 3, bytesUsed: 12 });
        expect(await brick.accountUsage('AUTH_none')).toEqual({ objectCount: 0, bytesUsed: 0 });
      });

      it('count the listing size when a listing override is set (as Swift bytes_used)', async () => {
        await put(brick, o, ts(1), 'manifest', { listing: { size: 1000, etag: 'x' } });
        expect(await brick.containerUsage(o.account, o.container)).toEqual({ objectCount: 1, bytesUsed: 1000 });
      });
    });

    describe('accounts and containers', () => {
      const acc = (putTimestamp: string, metadata = {}, deleteTimestamp?: string) =>
        ({ account: 'AUTH_m', putTimestamp, metadata, ...(deleteTimestamp ? { deleteTimestamp } : {}) });
      const con = (container: string, putTimestamp: string, metadata = {}, extra: Partial<ContainerRecord> = {}): ContainerRecord =>
        ({ account: 'AUTH_m', container, putTimestamp, metadata, storagePolicy: 'gold', ...extra });

      it('account merge is commutative and idempotent', async () => {
        const a = acc(ts(1), { x: ['1', ts(1)], y: ['old', ts(1)] });
        const b = acc(ts(3), { y: ['new', ts(3)], z: ['', ts(3)] }, ts(2));
        expect(await brick.getAccount('AUTH_m')).toBeUndefined();
        const r1 = await brick.mergeAccount(a);
        expect(r1).toEqual(a);
        const ab = await brick.mergeAccount(b);
        expect(await brick.mergeAccount(b)).toEqual(ab);
        expect(await brick.mergeAccount(a)).toEqual(ab);
        expect(ab).toEqual({ account: 'AUTH_m', putTimestamp: ts(3), deleteTimestamp: ts(2),
          metadata: { x: ['1', ts(1)], y: ['new', ts(3)], z: ['', ts(3)] } });
        const other = await makeBrick();
        await other.open();
        try {
          await other.mergeAccount(b);
          expect(await other.mergeAccount(a)).toEqual(ab);
        } finally { await other.close(); await opts.teardown?.(other); }
        expect(await brick.getAccount('AUTH_m')).toEqual(ab);
      });

      it('container merge is commutative and idempotent', async () => {
        const a = con('c', ts(1), { k: ['v1', ts(1)] });
        const b = con('c', ts(2), { k: ['v2', ts(2)], r: ['', ts(2)] }, { deleteTimestamp: ts(4), storagePolicy: 'silver' });
        const ab = await brick.mergeContainer(a).then(() => brick.mergeContainer(b));
        expect(ab).toEqual({ account: 'AUTH_m', container: 'c', putTimestamp: ts(2), deleteTimestamp: ts(4),
          metadata: { k: ['v2', ts(2)], r: ['', ts(2)] }, storagePolicy: 'silver' });
        expect(await brick.mergeContainer(a)).toEqual(ab);
        expect(await brick.mergeContainer(b)).toEqual(ab);
        const other = await makeBrick();
        await other.open();
        try {
          await other.mergeContainer(b);
          expect(await other.mergeContainer(a)).toEqual(ab);
          // equal put timestamps with different policies still converge
          await brick.mergeContainer(con('p', ts(1), {}, { storagePolicy: 'a' }));
          await other.mergeContainer(con('p', ts(1), {}, { storagePolicy: 'b' }));
          const x = await brick.mergeContainer(con('p', ts(1), {}, { storagePolicy: 'b' }));
          const y = await other.mergeContainer(con('p', ts(1), {}, { storagePolicy: 'a' }));
          expect(x).toEqual(y);
        } finally { await other.close(); await opts.teardown?.(other); }
        expect(await brick.getContainer('AUTH_m', 'c')).toEqual(ab);
        expect(await brick.getContainer('AUTH_m', 'nope')).toBeUndefined();
      });

      it('listContainers gives name order, deleted ones included, with this brick\'s counters', async () => {
        const names = ['b', 'a', 'é', '😀', '\u{E000}', 'a-'];
        for (const n of names) await brick.mergeContainer(con(n, ts(1)));
        await brick.mergeContainer(con('gone', ts(1), {}, { deleteTimestamp: ts(2) }));
        await brick.mergeContainer({ ...con('elsewhere', ts(1)), account: 'AUTH_x' });
        await put(brick, ref('o1', 'a', 'AUTH_m'), ts(3), '123');
        await put(brick, ref('o2', 'a', 'AUTH_m'), ts(4), '45');
        const all = await brick.listContainers('AUTH_m', { limit: 100 });
        const want = [...names, 'gone'].sort(compareNames);
        expect(all.map((c) => c.container)).toEqual(want);
        expect(all.find((c) => c.container === 'a')).toMatchObject({ objectCount: 2, bytesUsed: 5, storagePolicy: 'gold' });
        expect(all.find((c) => c.container === 'b')).toMatchObject({ objectCount: 0, bytesUsed: 0 });
        expect(all.find((c) => c.container === 'gone')!.deleteTimestamp).toBe(ts(2));
        const names2 = async (q: Parameters<Brick['listContainers']>[1]) => (await brick.listContainers('AUTH_m', q)).map((c) => c.container);
        expect(await names2({ limit: 2, marker: 'a' })).toEqual(want.filter((n) => compareNames(n, 'a') > 0).slice(0, 2));
        expect(await names2({ limit: 100, prefix: 'a' })).toEqual(['a', 'a-']);
        expect(await names2({ limit: 100, reverse: true, endMarker: 'é' })).toEqual(want.filter((n) => compareNames(n, 'é') > 0).reverse());
      });
    });

    describe('heal marks', () => {
      it('dirty, settled clean, settled pending, cleared', async () => {
        const r1 = ref('m1');
        const r2 = ref('m2');
        await brick.markDirty(r1, ts(1));
        await brick.markDirty(r1, ts(1)); // idempotent
        await brick.markDirty(r2, ts(2));
        expect(await brick.listMarks(10)).toEqual([
          { ref: r1, kind: 'dirty', blamed: [], timestamp: ts(1) },
          { ref: r2, kind: 'dirty', blamed: [], timestamp: ts(2) },
        ]);
        await brick.settle(r1, ts(1), []);
        await brick.settle(r2, ts(2), ['brick-b', 'brick-a']);
        expect(await brick.listMarks(10)).toEqual([{ ref: r2, kind: 'pending', blamed: ['brick-a', 'brick-b'], timestamp: ts(2) }]);
        await brick.settle(r2, ts(2), ['brick-c']); // blame accumulates
        expect((await brick.listMarks(10))[0]!.blamed).toEqual(['brick-a', 'brick-b', 'brick-c']);
        await brick.clearMark(r2);
        expect(await brick.listMarks(10)).toEqual([]);
      });

      it('a transaction settling does not clear a newer one in flight on the same object', async () => {
        await brick.markDirty(o, ts(1));
        await brick.markDirty(o, ts(2));
        await brick.settle(o, ts(1), []);
        expect(await brick.listMarks(10)).toEqual([{ ref: o, kind: 'dirty', blamed: [], timestamp: ts(2) }]);
        await brick.settle(o, ts(3), ['b9']); // a pending mark without a dirty one first is still recorded
        expect(await brick.listMarks(1)).toHaveLength(1);
        await brick.clearMark(o); // clears every mark of the object
        expect(await brick.listMarks(10)).toEqual([]);
      });

      it('clearMark through a timestamp leaves the marks of newer transactions', async () => {
        await brick.settle(o, ts(1), ['b1']);
        await brick.markDirty(o, ts(2));
        await brick.markDirty(o, ts(3));
        await brick.markDirty(ref('other'), ts(1));
        await brick.clearMark(o, ts(2));
        expect(await brick.listMarks(10)).toEqual([
          { ref: ref('other'), kind: 'dirty', blamed: [], timestamp: ts(1) },
          { ref: o, kind: 'dirty', blamed: [], timestamp: ts(3) },
        ]);
      });
    });

    describe('reclaim', () => {
      it('reclaimTombstone removes exactly the named tombstone, nothing live or newer', async () => {
        await brick.putRecord(tombstone(o, ts(2)));
        expect(await brick.reclaimTombstone(o, ts(1))).toBe(false);
        expect(await brick.getRecord(o)).toEqual(tombstone(o, ts(2)));
        expect(await brick.reclaimTombstone(o, ts(2))).toBe(true);
        expect(await brick.getRecord(o)).toBeUndefined();
        expect(await brick.scanObjects(undefined, 10)).toEqual([]);
        expect(await brick.reclaimTombstone(o, ts(2))).toBe(false);
        const live = await put(brick, ref('live'), ts(3), 'data');
        expect(await brick.reclaimTombstone(ref('live'), ts(3))).toBe(false);
        expect(await brick.getRecord(ref('live'))).toEqual(live);
        expect(await brick.containerUsage('AUTH_test', 'c')).toEqual({ objectCount: 1, bytesUsed: 4 });
        // Once reclaimed, the name takes any version again (as after Swift's reclaim_age).
        await put(brick, o, ts(1), 'old');
        expect((await brick.getRecord(o))?.timestamp).toBe(ts(1));
      });

      it('scanAccounts pages over the account records in name order', async () => {
        for (const a of ['b', 'a', 'é', 'c']) await brick.mergeAccount({ account: a, putTimestamp: ts(1), metadata: {} });
        await brick.mergeAccount({ account: 'c', putTimestamp: ts(1), deleteTimestamp: ts(2), metadata: {} });
        const first = await brick.scanAccounts(undefined, 2);
        expect(first.map((a) => a.account)).toEqual(['a', 'b']);
        const rest = await brick.scanAccounts('b', 10);
        expect(rest.map((a) => a.account)).toEqual(['c', 'é']);
        expect(rest[0]!.deleteTimestamp).toBe(ts(2));
      });
    });

    describe('expiry', () => {
      it('listExpired returns live records due by `before`, oldest deleteAt first', async () => {
        await put(brick, ref('late'), ts(1), 'x', { deleteAt: 300 });
        await put(brick, ref('early'), ts(2), 'x', { deleteAt: 100 });
        await put(brick, ref('mid', 'c0'), ts(3), 'x', { deleteAt: 200 });
        await put(brick, ref('future'), ts(4), 'x', { deleteAt: 5000 });
        await put(brick, ref('forever'), ts(5), 'x');
        await put(brick, ref('deleted'), ts(6), 'x', { deleteAt: 50 });
        await brick.putRecord(tombstone(ref('deleted'), ts(7)));
        const r = await put(brick, ref('posted'), ts(8), 'x', { deleteAt: 60 });
        await brick.putRecord({ ...r, timestamp: ts(9), deleteAt: undefined }); // POST removed X-Delete-At
        expect((await brick.listExpired(300, 10)).map((x) => x.name)).toEqual(['early', 'mid', 'late']);
        expect((await brick.listExpired(250, 1)).map((x) => x.name)).toEqual(['early']);
        expect(await brick.listExpired(99, 10)).toEqual([]);
      });
    });

    describe('links', () => {
      it('linkData makes an independent copy of the data without bytes', async () => {
        const src = await put(brick, ref('src'), ts(1), 'shared bytes');
        const dst = ref('dst', 'c2');
        const file = await brick.linkData(src, dst, ts(2));
        if (file === undefined) return; // a brick that cannot link says so; nothing more to check
        expect(file).toBe(dataFileName(dst, ts(2)));
        const drec = record(dst, ts(2), { size: src.size, dataFile: file, etag: src.etag });
        await brick.putRecord(drec);
        await brick.putRecord(tombstone(ref('src'), ts(3)));
        await expect(brick.openData(src)).rejects.toBeInstanceOf(BrickUnavailable);
        expect((await readData(brick, drec)).toString()).toBe('shared bytes');
        expect(await brick.audit()).toBe(0);
      });

      it('linkData refuses to replace the data of a stored version', async () => {
        const src = await put(brick, ref('src'), ts(1), 'a');
        const dst = await put(brick, ref('dst'), ts(2), 'b');
        await expect(brick.linkData(src, ref('dst'), ts(2))).rejects.toBeInstanceOf(Conflict);
        expect((await readData(brick, dst)).toString()).toBe('b');
      });

      it('audit removes linked data no record came to name', async () => {
        const src = await put(brick, ref('src'), ts(1), 'a');
        const file = await brick.linkData(src, ref('dst'), ts(2));
        if (file === undefined) return;
        expect(await brick.audit()).toBe(1);
        expect((await readData(brick, src)).toString()).toBe('a');
        await expect(brick.putRecord(record(ref('dst'), ts(2), { size: 1, dataFile: file }))).rejects.toBeInstanceOf(StoreError);
      });
    });
  });
}
