/**
 * Self-heal under faults (Swift-probe style): replicas failing mid-write and coming back, bricks
 * returning stale or wiped, split-brain, reclaim of old tombstones, and healing while clients write.
 * Bricks are FaultyBricks over memory bricks, or over LocalBricks in a temp dir that each test removes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Brick, ObjectRecord } from '../../src/storage/brick/brick.js';
import { FaultyBrick } from '../../src/storage/brick/faulty.js';
import { makeBrick } from '../../src/storage/brick-spec.js';
import { ObjectNotFound } from '../../src/storage/errors.js';
import { Healer, type HealerOptions } from '../../src/storage/heal.js';
import { probeMember } from '../../src/storage/member-status.js';
import type { ObjectRef, VolumeSpec } from '../../src/storage/store.js';
import { openVolume, type Volume } from '../../src/storage/volume.js';
import { body, getText, md5, putText, ts } from '../unit/storage/store-helpers.js';

const A = 'AUTH_h';
const C = 'heal';
const o = (object: string): ObjectRef => ({ account: A, container: C, object });
const DAY = 24 * 3600 * 1000;

interface Rig { volume: Volume; faulty: FaultyBrick[]; healer: Healer; dir?: string; bricks: string[] }

let rigs: Rig[] = [];
let seq = 0;

/** A volume of FaultyBricks (over memory bricks, or LocalBricks in a temp dir) with a healer that is not started. */
async function rig(replica: number, sets = 1, opts: { local?: boolean; dir?: string; spec?: Partial<VolumeSpec>; heal?: HealerOptions; id?: string } = {}): Promise<Rig> {
  const n = ++seq;
  const dir = opts.dir ?? (opts.local ? mkdtempSync(join(tmpdir(), 'cairn-heal-')) : undefined);
  const bricks = Array.from({ length: replica * sets }, (_x, i) => (dir ? join(dir, `b${i}`) : `memory:h${n}-${i}`));
  const faulty: FaultyBrick[] = [];
  const volume = await openVolume({ id: opts.id ?? `heal-${n}`, bricks, replica, fsync: false, ...opts.spec }, {
    brickFactory: async (spec, vol) => {
      const f = new FaultyBrick(await makeBrick(spec, vol));
      faulty.push(f);
      return f;
    },
    brickRetryMs: 30,
  });
  const healer = new Healer(volume, { intervalMs: 0, inflightGraceMs: 0, ...opts.heal });
  const r: Rig = { volume, faulty, healer, bricks, ...(dir ? { dir } : {}) };
  rigs.push(r);
  return r;
}

afterEach(async () => {
  for (const r of rigs) {
    await r.healer.stop();
    for (const f of r.faulty) f.heal();
    await r.volume.close();
    if (r.dir) rmSync(r.dir, { recursive: true, force: true });
  }
  rigs = [];
});

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(10);
  }
}

async function container(r: Rig): Promise<void> {
  await r.volume.createContainer({ account: A, container: C }, { timestamp: ts() });
}

/** Every record of every brick of set 0, by brick. */
async function recordsOf(bricks: Brick[]): Promise<ObjectRecord[][]> {
  return Promise.all(bricks.map((b) => b.scanObjects(undefined, 10_000)));
}

/** All replicas of every set hold the same records (names, versions, tombstones). */
async function expectReplicasAgree(r: Rig): Promise<void> {
  for (const set of r.volume.sets) {
    const all = await recordsOf(set.bricks);
    for (const recs of all.slice(1)) expect(recs).toEqual(all[0]);
  }
}

async function marksLeft(r: Rig): Promise<number> {
  const lists = await Promise.all(r.faulty.map((f) => f.listMarks(1000)));
  return lists.reduce((n, l) => n + l.length, 0);
}

describe('index heal', () => {
  it('a replica that failed mid-write and comes back is healed at once, leaving no marks', async () => {
    const r = await rig(3);
    await container(r);
    // No interval: after its first pass, only a brick coming back (its down->up transition) starts a heal.
    r.healer.start();
    r.faulty[1]!.failWritesAfterBytes(50_000);
    const big = Buffer.alloc(200_000, 9);
    await r.volume.putObject(o('big'), body(big), { timestamp: ts(), contentType: 'x/y', contentLength: big.length });
    r.faulty[1]!.disappear();
    await putText(r.volume, A, C, 'small', 'small one'); // brick 1 misses this one entirely
    expect(await r.faulty[0]!.listMarks(10)).toHaveLength(2); // both blame brick 1
    r.faulty[1]!.heal();
    expect(await r.faulty[1]!.getRecord(o('big'))).toBeUndefined();
    await sleep(50); // past the retry time: the next call to brick 1 finds it back
    await r.volume.headObject(o('small'));
    await eventually(async () => (await marksLeft(r)) === 0);
    await expectReplicasAgree(r);
    const rec = (await r.faulty[1]!.getRecord(o('big')))!;
    expect(rec.etag).toBe(md5(big));
    // The healed copy is readable from brick 1 itself.
    r.faulty[0]!.fail('all');
    r.faulty[2]!.fail('all');
    expect(await getText(r.volume, A, C, 'small')).toBe('small one');
    const status = r.healer.status();
    expect(status.totals.healed).toBe(2);
    expect(status.splitBrain).toEqual([]);
  });

  it('a brick coming back stale: newer versions, deletes and POSTs win, nothing is resurrected', async () => {
    const r = await rig(3);
    await container(r);
    await putText(r.volume, A, C, 'doc', 'v1');
    await putText(r.volume, A, C, 'removed', 'going away');
    await putText(r.volume, A, C, 'posted', 'meta changes');
    r.faulty[2]!.disappear();
    await putText(r.volume, A, C, 'doc', 'v2 is longer');
    await r.volume.deleteObject(o('removed'), { timestamp: ts() });
    await r.volume.postObject(o('posted'), { timestamp: ts(), metadata: { 'x-object-meta-color': 'blue' } });
    await putText(r.volume, A, C, 'new', 'written while away');
    r.faulty[2]!.reappear();
    await sleep(50);
    const pass = await r.healer.healPending();
    expect(pass).toMatchObject({ healed: 4, partial: 0, failed: 0 });
    await expectReplicasAgree(r);
    expect(await marksLeft(r)).toBe(0);
    const stale = r.faulty[2]!;
    expect((await stale.getRecord(o('removed')))?.deleted).toBe(true);
    expect((await stale.getRecord(o('posted')))?.metadata).toEqual({ 'x-object-meta-color': 'blue' });
    // Only brick 2 left: it serves the healed state.
    r.faulty[0]!.fail('all');
    r.faulty[1]!.fail('all');
    expect(await getText(r.volume, A, C, 'doc')).toBe('v2 is longer');
    expect(await getText(r.volume, A, C, 'new')).toBe('written while away');
    await expect(r.volume.headObject(o('removed'))).rejects.toBeInstanceOf(ObjectNotFound);
  });

  it('marks blaming a brick that is still down wait for it; the others heal meanwhile', async () => {
    const r = await rig(3);
    await container(r);
    r.faulty[2]!.fail('all');
    await putText(r.volume, A, C, 'x', 'x');
    const pass = await r.healer.healPending();
    expect(pass).toMatchObject({ deferred: 1, objects: 0 });
    expect(await r.faulty[0]!.listMarks(10)).toHaveLength(1);
    r.faulty[2]!.heal();
    await sleep(50);
    expect(await r.healer.healPending()).toMatchObject({ healed: 1 });
    expect(await marksLeft(r)).toBe(0);
  });

  it('a young dirty mark of a write that may be in flight is left alone', async () => {
    const r = await rig(2, 1, { heal: { inflightGraceMs: 60_000 } });
    await container(r);
    await r.faulty[0]!.markDirty(o('inflight'), ts());
    expect(await r.healer.healPending()).toMatchObject({ deferred: 1, objects: 0 });
    expect(await r.faulty[0]!.listMarks(10)).toHaveLength(1);
    // The same mark once old (a writer that crashed between pre-op and post-op) is cleared.
    const later = new Healer(r.volume, { inflightGraceMs: 60_000, now: () => Date.now() + 120_000 });
    expect(await later.healPending()).toMatchObject({ objects: 1, clean: 1 });
    expect(await marksLeft(r)).toBe(0);
  });
});

describe('full crawl', () => {
  it('refills a wiped (replaced) brick: objects, tombstones, account and container records', async () => {
    const first = await rig(2, 2, { local: true });
    const { dir, bricks } = first;
    await first.volume.createAccount({ account: A }, { timestamp: ts(), metadata: { 'x-account-meta-a': '1' } });
    await first.volume.createContainer({ account: A, container: C }, { timestamp: ts(), metadata: { 'x-container-meta-c': '2' } });
    await first.volume.createContainer({ account: A, container: 'empty' }, { timestamp: ts() });
    await first.volume.createContainer({ account: 'AUTH_other', container: 'gone' }, { timestamp: ts() });
    await first.volume.deleteContainer({ account: 'AUTH_other', container: 'gone' }, { timestamp: ts() });
    for (let i = 0; i < 40; i++) await putText(first.volume, A, C, `obj-${i}`, `data ${i}`.repeat(i + 1));
    for (let i = 0; i < 40; i += 5) await first.volume.deleteObject(o(`obj-${i}`), { timestamp: ts() });
    await first.healer.stop();
    await first.volume.close();
    rigs = rigs.filter((x) => x !== first);
    // Brick 1 (set 0) and brick 2 (set 1) are replaced by empty directories.
    rmSync(bricks[1]!, { recursive: true, force: true });
    rmSync(bricks[2]!, { recursive: true, force: true });
    const r = await rig(2, 2, { dir: dir!, id: first.volume.spec.id });
    expect((await r.faulty[1]!.scanObjects(undefined, 10))).toEqual([]);
    const progress: number[] = [];
    const summary = await r.healer.fullCrawl({ onProgress: (p) => progress.push(p.scanned) });
    expect(summary.aborted).toBe(false);
    expect(summary.sets.reduce((n, s) => n + s.healed, 0)).toBe(40);
    expect(summary.catalog!.fixed).toBeGreaterThan(0);
    expect(progress.length).toBeGreaterThan(0);
    await expectReplicasAgree(r);
    for (const b of [r.faulty[1]!, r.faulty[2]!]) {
      expect(await b.getAccount(A)).toEqual(await r.faulty[0]!.getAccount(A));
      expect(await b.getContainer(A, C)).toEqual(await r.faulty[0]!.getContainer(A, C));
      expect(await b.getContainer(A, 'empty')).toBeDefined();
      expect((await b.getContainer('AUTH_other', 'gone'))?.deleteTimestamp).toBeDefined();
    }
    // The refilled replicas serve alone.
    r.faulty[0]!.fail('all');
    r.faulty[3]!.fail('all');
    expect(await getText(r.volume, A, C, 'obj-7')).toBe('data 7'.repeat(8));
    await expect(r.volume.headObject(o('obj-5'))).rejects.toBeInstanceOf(ObjectNotFound);
    expect((await r.volume.getContainer({ account: A, container: C })).metadata).toEqual({ 'x-container-meta-c': '2' });
    expect((await r.volume.getAccount({ account: A })).metadata).toEqual({ 'x-account-meta-a': '1' });
    expect((await r.volume.getContainer({ account: A, container: C })).objectCount).toBe(32);
    // A second crawl finds nothing to do.
    const again = await r.healer.fullCrawl();
    expect(again.sets.reduce((n, s) => n + s.differing, 0)).toBe(0);
    expect(again.catalog!.fixed).toBe(0);
  });

  it('reclaims tombstones older than reclaim_age once every replica agrees, not before', async () => {
    const r = await rig(3);
    await container(r);
    await putText(r.volume, A, C, 'kept', 'live data');
    await putText(r.volume, A, C, 'dead', 'deleted soon');
    await putText(r.volume, A, C, 'partly', 'deleted while brick 2 was away');
    await r.volume.deleteObject(o('dead'), { timestamp: ts() });
    r.faulty[2]!.disappear();
    await r.volume.deleteObject(o('partly'), { timestamp: ts() });
    r.faulty[2]!.reappear();
    await sleep(50);
    // Young tombstones stay.
    const now = await r.healer.fullCrawl();
    expect(now.sets[0]!.reclaimed).toBe(0);
    expect(now.index!.healed).toBe(1); // 'partly' reached brick 2 as a tombstone (its marks said so)
    await expectReplicasAgree(r);
    const future = new Healer(r.volume, { reclaimAgeMs: 7 * DAY, now: () => Date.now() + 8 * DAY });
    // A replica that cannot answer blocks the reclaim (it might hold the object).
    r.faulty[1]!.fail('all');
    r.volume.sets[0]!.members[1]!.markDown(new Error('test') as never);
    expect((await future.fullCrawl()).sets[0]!.reclaimed).toBe(0);
    r.faulty[1]!.heal();
    r.volume.sets[0]!.members[1]!.markUp();
    const crawl = await future.fullCrawl();
    expect(crawl.sets[0]!.reclaimed).toBe(2);
    for (const f of r.faulty) {
      expect((await f.scanObjects(undefined, 10)).map((x) => x.name)).toEqual(['kept']);
    }
    expect(await getText(r.volume, A, C, 'kept')).toBe('live data');
    await expect(r.volume.headObject(o('dead'))).rejects.toBeInstanceOf(ObjectNotFound);
  });

  it('an old tombstone over a replica still holding the object is healed first, never reclaimed over it', async () => {
    const r = await rig(2);
    await container(r);
    await putText(r.volume, A, C, 'obj', 'old live copy');
    r.faulty[1]!.disappear();
    await r.volume.deleteObject(o('obj'), { timestamp: ts() });
    r.faulty[1]!.reappear();
    await sleep(50);
    // No marks to go by (say they were lost): only the crawl sees brick 1's live copy.
    await r.faulty[0]!.clearMark(o('obj'));
    const future = new Healer(r.volume, { reclaimAgeMs: DAY, now: () => Date.now() + 2 * DAY });
    const first = await future.fullCrawl();
    expect(first.sets[0]).toMatchObject({ reclaimed: 0, healed: 1 });
    expect((await r.faulty[1]!.getRecord(o('obj')))?.deleted).toBe(true);
    expect((await future.fullCrawl()).sets[0]!.reclaimed).toBe(1);
    await expect(r.volume.headObject(o('obj'))).rejects.toBeInstanceOf(ObjectNotFound);
  });
});

describe('split-brain', () => {
  /** Store `data` as version `t` of `ref` directly on one brick, bypassing the replica set. */
  async function plant(brick: Brick, ref: ObjectRef, t: string, data: string): Promise<void> {
    const w = await brick.createWriter(ref, t);
    await pipeline(Readable.from([Buffer.from(data)]), w.stream);
    await w.commit({
      account: ref.account, container: ref.container, name: ref.object, timestamp: t, dataTimestamp: t, deleted: false,
      size: Buffer.byteLength(data), etag: md5(data), contentType: 'text/plain', metadata: {}, systemMetadata: {}, dataFile: w.dataFile,
    });
  }

  it('is detected and reported, not healed, under favorite-child-policy none', async () => {
    const r = await rig(2);
    await container(r);
    const t = ts();
    await plant(r.faulty[0]!, o('sb'), t, 'left');
    await plant(r.faulty[1]!, o('sb'), t, 'right side');
    await r.faulty[0]!.settle(o('sb'), t, [r.faulty[1]!.id]);
    const pass = await r.healer.healPending();
    expect(pass.splitBrain).toBe(1);
    const [entry] = r.healer.status().splitBrain;
    expect(entry).toMatchObject({ ref: o('sb'), timestamp: t, resolved: false });
    expect(entry!.candidates.map((c) => c.bricks)).toEqual([[r.faulty[0]!.id], [r.faulty[1]!.id]]);
    // Nothing changed, and the mark stays so `heal info` keeps showing it.
    expect((await r.faulty[0]!.getRecord(o('sb')))?.size).toBe(4);
    expect((await r.faulty[1]!.getRecord(o('sb')))?.size).toBe(10);
    expect(await marksLeft(r)).toBe(1);
    // A crawl finds it too, marks or not (a dry run changes nothing).
    await r.faulty[0]!.clearMark(o('sb'));
    const dry = await new Healer(r.volume).fullCrawl({ dryRun: true });
    expect(dry.sets[0]!.splitBrain).toBe(1);
  });

  it.each([['memory', false], ['local', true]])('is resolved by a stated rule (size: the bigger content), every replica then agreeing (%s bricks)', async (_kind, local) => {
    // Both contents sit under one data file name, which a LocalBrick never lets another file replace:
    // the winner is re-stamped under a new name (linked where its bytes are, copied elsewhere).
    const r = await rig(3, 1, { local, heal: { favoriteChildPolicy: 'size' } });
    await container(r);
    const t = ts();
    await plant(r.faulty[0]!, o('sb'), t, 'small');
    await plant(r.faulty[1]!, o('sb'), t, 'the bigger one');
    await plant(r.faulty[2]!, o('sb'), t, 'small');
    const crawl = await r.healer.fullCrawl();
    expect(crawl.sets[0]!.healed).toBe(1);
    await expectReplicasAgree(r);
    const rec = (await r.faulty[2]!.getRecord(o('sb')))!;
    expect(rec.timestamp > t).toBe(true); // re-stamped: the smallest offset after t
    expect(await getText(r.volume, A, C, 'sb')).toBe('the bigger one');
    r.faulty[1]!.fail('all');
    expect(await getText(r.volume, A, C, 'sb')).toBe('the bigger one');
    expect(r.healer.status().splitBrain[0]).toMatchObject({ resolved: true });
  });
});

describe('brick states', () => {
  it('a read-only brick is marked down by the probe and reported; writes go on without it', async () => {
    const r = await rig(3);
    await container(r);
    r.faulty[1]!.fail('writes');
    const health = await r.volume.health();
    expect(health.ok).toBe(true);
    expect(health.bricks[1]).toMatchObject({ up: false, readOnly: true });
    expect(health.bricks[1]!.detail).toMatch(/read-only/);
    expect(r.volume.sets[0]!.members[1]!.up).toBe(false);
    await putText(r.volume, A, C, 'x', 'written around it');
    r.faulty[1]!.heal();
    await sleep(50);
    expect(await r.healer.healPending()).toMatchObject({ healed: 1 });
    await expectReplicasAgree(r);
  });

  it('a full brick stays up for reads and deletes but takes no new data, and is reported full', async () => {
    const r = await rig(2, 1, { spec: { minFreeDiskPercent: 10 } });
    await container(r);
    await putText(r.volume, A, C, 'before', 'x');
    const inner = r.faulty[1]!;
    const realHealth = inner.health.bind(inner);
    inner.health = async () => ({ ...(await realHealth()), totalBytes: 1000, freeBytes: 50 });
    const m = r.volume.sets[0]!.members[1]!;
    m.forgetHealth();
    const st = await probeMember(m, 10);
    expect(st).toMatchObject({ up: true, full: true, freeBytes: 50 });
    expect(st.detail).toMatch(/min-free-disk/);
    expect((await r.volume.health()).bricks[1]).toMatchObject({ up: true, full: true });
    await putText(r.volume, A, C, 'after', 'not on the full brick');
    expect(await inner.getRecord(o('after'))).toBeUndefined();
    await r.volume.deleteObject(o('before'), { timestamp: ts() });
    expect((await inner.getRecord(o('before')))?.deleted).toBe(true);
  });
});

describe('heal while clients write', () => {
  it('loses no acknowledged write while a brick flaps and the healer runs', async () => {
    const r = await rig(3, 2, { heal: { intervalMs: 5 } });
    await container(r);
    r.healer.start();
    const names = Array.from({ length: 12 }, (_x, i) => `n${i}`);
    const acked = new Map<string, { timestamp: string; etag: string; deleted: boolean }>();
    let stop = false;
    const flapper = (async () => {
      for (let k = 0; !stop; k++) {
        const f = r.faulty[k % 2 === 0 ? 1 : 4]!;
        f.disappear();
        await sleep(15);
        f.reappear();
        await sleep(25);
      }
    })();
    const writers = [0, 1, 2].map(async (w) => {
      for (let i = 0; i < 60; i++) {
        const name = names[(i * 5 + w) % names.length]!;
        try {
          if (i % 7 === 3) {
            const t = ts();
            await r.volume.deleteObject(o(name), { timestamp: t });
            acked.set(name, { timestamp: t, etag: '', deleted: true });
          } else {
            const data = `w${w} i${i} `.repeat(1 + (i % 5) * 300);
            const info = await putText(r.volume, A, C, name, data);
            const prev = acked.get(name);
            if (!prev || prev.timestamp < info.timestamp) acked.set(name, { timestamp: info.timestamp, etag: info.etag, deleted: false });
          }
        } catch {
          // Refused (quorum, a newer version): not acknowledged, so nothing to keep.
        }
      }
    });
    await Promise.all(writers);
    stop = true;
    await flapper;
    for (const f of r.faulty) f.heal();
    await sleep(50);
    await eventually(async () => {
      await r.healer.healPending();
      return (await marksLeft(r)) === 0;
    });
    await expectReplicasAgree(r);
    for (const [name, want] of acked) {
      const set = r.volume.setOf(o(name));
      for (const b of set.bricks) {
        const rec = (await b.getRecord(o(name)))!;
        // The acknowledged version, or a newer one: never older.
        expect(rec.timestamp >= want.timestamp).toBe(true);
        if (rec.timestamp === want.timestamp) expect(rec.deleted ? '' : rec.etag).toBe(want.etag);
      }
    }
  });
});
