/**
 * The store under faults (Swift-probe style): replicas failing mid-write, quorum lost, data files
 * lost or truncated, bricks coming back stale, clients going away, replicas stalling. Bricks are
 * wrapped in FaultyBrick; some tests run over LocalBricks to check the files left on disk.
 */
import { mkdtempSync, readdirSync, rmSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultyBrick } from '../../src/storage/brick/faulty.js';
import { makeBrick } from '../../src/storage/brick-spec.js';
import { dmHash } from '../../src/storage/hash.js';
import { ClientDisconnected, ObjectNotFound, QuorumNotMet } from '../../src/storage/errors.js';
import { isSubdir, type ObjectRef, type VolumeSpec } from '../../src/storage/store.js';
import { openVolume, type Volume } from '../../src/storage/volume.js';
import { body, getText, md5, putText, ts } from '../unit/storage/store-helpers.js';

const A = 'AUTH_f';
const C = 'faults';
const o = (object: string): ObjectRef => ({ account: A, container: C, object });

interface Rig { volume: Volume; faulty: FaultyBrick[]; dir?: string; roots: string[] }

let rigs: Rig[] = [];
let seq = 0;

/** A volume whose bricks are FaultyBricks over memory bricks, or over LocalBricks in a temp dir. */
async function rig(replica: number, sets = 1, opts: { local?: boolean; spec?: Partial<VolumeSpec>; retryMs?: number } = {}): Promise<Rig> {
  const n = ++seq;
  const dir = opts.local ? mkdtempSync(join(tmpdir(), 'cairn-fault-')) : undefined;
  const bricks = Array.from({ length: replica * sets }, (_x, i) => (dir ? join(dir, `b${i}`) : `memory:f${n}-${i}`));
  const faulty: FaultyBrick[] = [];
  const volume = await openVolume({ id: `fault-${n}`, bricks, replica, fsync: false, ...opts.spec }, {
    brickFactory: async (spec, vol) => {
      const f = new FaultyBrick(await makeBrick(spec, vol));
      faulty.push(f);
      return f;
    },
    brickRetryMs: opts.retryMs ?? 50,
  });
  // brickFactory runs in spec order, so faulty[i] is brick i.
  await volume.createContainer({ account: A, container: C }, { timestamp: ts() });
  const r: Rig = { volume, faulty, roots: dir ? bricks : [], ...(dir ? { dir } : {}) };
  rigs.push(r);
  return r;
}

afterEach(async () => {
  for (const r of rigs) {
    for (const f of r.faulty) f.heal();
    await r.volume.close();
    if (r.dir) rmSync(r.dir, { recursive: true, force: true });
  }
  rigs = [];
});

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const tmpFiles = (r: Rig) => r.roots.flatMap((root) => readdirSync(join(root, 'tmp')));

describe('store faults', () => {
  it('one replica failing mid-write: the write succeeds and the good replicas blame it', async () => {
    const r = await rig(3);
    r.faulty[1]!.failWritesAfterBytes(100_000);
    const data = Buffer.alloc(300_000, 7);
    const info = await r.volume.putObject(o('big'), body(data), { timestamp: ts(), contentType: 'x/y', contentLength: data.length });
    expect(info.etag).toBe(md5(data));
    r.faulty[1]!.heal();
    expect(await r.faulty[1]!.getRecord(o('big'))).toBeUndefined();
    for (const good of [0, 2]) {
      const marks = await r.faulty[good]!.listMarks(10);
      expect(marks).toEqual([expect.objectContaining({ kind: 'pending', blamed: [r.faulty[1]!.id], timestamp: info.timestamp })]);
      expect((await r.faulty[good]!.getRecord(o('big')))?.etag).toBe(md5(data));
    }
    r.volume.sets[0]!.members[1]!.markUp();
    expect((await r.volume.headObject(o('big'))).etag).toBe(md5(data));
  });

  it('quorum lost mid-write: QuorumNotMet, nothing visible, no tmp files', async () => {
    const r = await rig(3, 1, { local: true });
    r.faulty[0]!.failWritesAfterBytes(50_000);
    r.faulty[2]!.failWritesAfterBytes(50_000);
    const data = Buffer.alloc(200_000, 1);
    await expect(r.volume.putObject(o('lost'), body(data), { timestamp: ts(), contentType: 'x/y' })).rejects.toBeInstanceOf(QuorumNotMet);
    for (const f of r.faulty) f.heal();
    for (const m of r.volume.sets[0]!.members) m.markUp();
    await expect(r.volume.headObject(o('lost'))).rejects.toBeInstanceOf(ObjectNotFound);
    expect((await r.volume.listObjects({ account: A, container: C }, { limit: 10 })).entries).toEqual([]);
    expect(tmpFiles(r)).toEqual([]);
    // Nothing was committed anywhere, so the dirty marks were cleared, not turned into blame.
    for (const f of r.faulty) expect(await f.listMarks(10)).toEqual([]);
  });

  it('too few bricks up before a write: QuorumNotMet at once; replica 2 keeps writing while its first brick is up', async () => {
    const r = await rig(2);
    r.faulty[0]!.fail('all');
    await expect(putText(r.volume, A, C, 'x', 'data')).rejects.toBeInstanceOf(QuorumNotMet);
    r.faulty[0]!.heal();
    r.volume.sets[0]!.members[0]!.markUp();
    r.faulty[1]!.fail('all');
    await putText(r.volume, A, C, 'y', 'data');
    expect(await getText(r.volume, A, C, 'y')).toBe('data');
    const marks = await r.faulty[0]!.listMarks(10);
    expect(marks).toEqual([expect.objectContaining({ kind: 'pending', blamed: [r.faulty[1]!.id] })]);
  });

  it('a missing or truncated data file is read from another replica and blamed', async () => {
    const r = await rig(2, 1, { local: true });
    const data = 'replicated bytes'.repeat(1000);
    await putText(r.volume, A, C, 'gone', data);
    await putText(r.volume, A, C, 'short', data);
    for (const [name, damage] of [['gone', (p: string) => unlinkSync(p)], ['short', (p: string) => truncateSync(p, 10)]] as const) {
      // Damage the replica a read starts from (chosen by the name's hash, AFR read-hash-mode 1).
      const first = dmHash(`${A}/${C}/${name}`) % 2;
      const other = 1 - first;
      const rec = (await r.faulty[first]!.getRecord(o(name)))!;
      damage(join(r.roots[first]!, rec.dataFile!));
      expect(await getText(r.volume, A, C, name)).toBe(data);
      const marks = await r.faulty[other]!.listMarks(10);
      expect(marks).toContainEqual(expect.objectContaining({ ref: o(name), kind: 'pending', blamed: [r.faulty[first]!.id] }));
      // A missing file says nothing about the brick as a whole: it stays up.
      expect(r.volume.sets[0]!.members[first]!.up).toBe(true);
    }
  });

  it('a brick that comes back with an older version or a deleted object does not win', async () => {
    const r = await rig(3);
    await putText(r.volume, A, C, 'doc', 'v1');
    await putText(r.volume, A, C, 'removed', 'still here on brick 2');
    r.faulty[2]!.disappear();
    await putText(r.volume, A, C, 'doc', 'v2');
    await r.volume.deleteObject(o('removed'), { timestamp: ts() });
    r.faulty[2]!.reappear();
    await sleep(60); // past brickRetryMs: brick 2 is asked again
    expect((await r.faulty[2]!.getRecord(o('removed')))?.deleted).toBe(false); // it really is stale
    expect(await getText(r.volume, A, C, 'doc')).toBe('v2');
    await expect(r.volume.headObject(o('removed'))).rejects.toBeInstanceOf(ObjectNotFound);
    const page = await r.volume.listObjects({ account: A, container: C }, { limit: 10 });
    expect(page.entries.map((e) => (isSubdir(e) ? e.subdir : e.name))).toEqual(['doc']);
    expect(await r.volume.deleteObject(o('removed'), { timestamp: ts() })).toEqual({ existed: false });
    // Even when only the stale brick and one good one answer, the newest (the good one) wins.
    r.faulty[0]!.fail('all');
    await expect(r.volume.headObject(o('removed'))).rejects.toBeInstanceOf(ObjectNotFound);
    expect(await getText(r.volume, A, C, 'doc')).toBe('v2');
    // The good replicas blame brick 2 for what it missed.
    const blamed = (await r.faulty[1]!.listMarks(10)).filter((m) => m.blamed.includes(r.faulty[2]!.id)).map((m) => m.ref.object);
    expect(new Set(blamed)).toEqual(new Set(['doc', 'removed']));
  });

  it('a POST reaches a replica that missed the PUT (its data is copied over) and survives another brick going down', async () => {
    const r = await rig(3);
    await putText(r.volume, A, C, 'doc', 'v1');
    r.faulty[2]!.disappear();
    await putText(r.volume, A, C, 'doc', 'v2 bytes');
    r.faulty[2]!.reappear();
    await sleep(60);
    r.faulty[0]!.disappear(); // now only brick 1 holds v2; brick 2 holds v1
    const t = ts();
    await r.volume.postObject(o('doc'), { timestamp: t, metadata: { 'x-object-meta-k': 'v' } });
    const onStale = await r.faulty[2]!.getRecord(o('doc'));
    expect(onStale).toMatchObject({ timestamp: t, size: 8, metadata: { 'x-object-meta-k': 'v' } });
    expect(await getText(r.volume, A, C, 'doc')).toBe('v2 bytes');
    const head = await r.volume.headObject(o('doc'));
    expect(head.metadata).toEqual({ 'x-object-meta-k': 'v' });
  });

  it('a write refused as not newer leaves nothing behind, even on a replica that lacks the newer version', async () => {
    const r = await rig(3);
    r.faulty[2]!.disappear();
    const current = await putText(r.volume, A, C, 'doc', 'current');
    r.faulty[2]!.reappear();
    await sleep(60);
    await expect(putText(r.volume, A, C, 'doc', 'same timestamp, other bytes', { timestamp: current.timestamp }))
      .rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await r.faulty[2]!.getRecord(o('doc'))).toBeUndefined();
    expect(await getText(r.volume, A, C, 'doc')).toBe('current');
  });

  it('a client that aborts mid-PUT leaves no record and no tmp file', async () => {
    const r = await rig(2, 2, { local: true });
    let sent = 0;
    const src = new Readable({
      read() {
        if (sent >= 256 * 1024) { this.destroy(new Error('client went away')); return; }
        sent += 65536;
        this.push(Buffer.alloc(65536, 3));
      },
    });
    await expect(r.volume.putObject(o('partial'), src, { timestamp: ts(), contentType: 'x/y', contentLength: 10_000_000 }))
      .rejects.toBeInstanceOf(ClientDisconnected);
    await expect(r.volume.headObject(o('partial'))).rejects.toBeInstanceOf(ObjectNotFound);
    for (const f of r.faulty) expect(await f.getRecord(o('partial'))).toBeUndefined();
    expect(tmpFiles(r)).toEqual([]);
    for (const f of r.faulty) expect(await f.listMarks(10)).toEqual([]);
    expect(r.volume.sets.every((s) => s.members.every((m) => m.up))).toBe(true);
    // An aborted signal does the same.
    const ac = new AbortController();
    const slow = new Readable({ read() { setTimeout(() => this.push(Buffer.alloc(4096)), 2); } });
    setTimeout(() => ac.abort(), 40);
    await expect(r.volume.putObject(o('signalled'), slow, { timestamp: ts(), contentType: 'x/y', signal: ac.signal }))
      .rejects.toBeInstanceOf(ClientDisconnected);
    expect(tmpFiles(r)).toEqual([]);
  });

  it('a stalled replica is dropped after writeTimeoutMs while quorum holds', async () => {
    const r = await rig(3, 1, { spec: { writeTimeoutMs: 300 } });
    await putText(r.volume, A, C, 'warm', 'x');
    r.faulty[2]!.stall();
    const data = Buffer.alloc(1024 * 1024, 9);
    const started = Date.now();
    const info = await r.volume.putObject(o('stalled'), body(data), { timestamp: ts(), contentType: 'x/y', contentLength: data.length });
    const took = Date.now() - started;
    expect(info.size).toBe(data.length);
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(5000);
    r.faulty[2]!.release();
    const marks = await r.faulty[0]!.listMarks(10);
    expect(marks).toEqual([expect.objectContaining({ ref: o('stalled'), kind: 'pending', blamed: [r.faulty[2]!.id] })]);
    expect(await getText(r.volume, A, C, 'stalled')).toHaveLength(data.length);
  });

  it('a stall that costs quorum fails the write with QuorumNotMet and leaves nothing', async () => {
    const r = await rig(3, 1, { spec: { writeTimeoutMs: 200 }, local: true });
    r.faulty[1]!.stall();
    r.faulty[2]!.stall();
    await expect(r.volume.putObject(o('never'), body(Buffer.alloc(1 << 20)), { timestamp: ts(), contentType: 'x/y' }))
      .rejects.toBeInstanceOf(QuorumNotMet);
    r.faulty[1]!.release();
    r.faulty[2]!.release();
    await sleep(250);
    for (const m of r.volume.sets[0]!.members) m.markUp();
    await expect(r.volume.headObject(o('never'))).rejects.toBeInstanceOf(ObjectNotFound);
    expect(tmpFiles(r)).toEqual([]);
  });

  it('reads and listings keep working with one replica of every set down', async () => {
    const r = await rig(2, 3);
    const names = Array.from({ length: 40 }, (_x, i) => `n${i}`);
    for (const n of names) await putText(r.volume, A, C, n, n);
    for (let s = 0; s < 3; s++) r.faulty[s * 2 + 1]!.disappear();
    for (const n of names) expect(await getText(r.volume, A, C, n)).toBe(n);
    const page = await r.volume.listObjects({ account: A, container: C }, { limit: 100 });
    expect(page.entries).toHaveLength(40);
    expect((await r.volume.getContainer({ account: A, container: C })).objectCount).toBe(40);
    const health = await r.volume.health();
    expect(health.ok).toBe(true);
    expect(health.bricks.filter((b) => !b.up)).toHaveLength(3);
    // A whole set down: its objects cannot be read, and the store says so rather than 404.
    r.faulty[0]!.disappear();
    const inSet0 = names.find((n) => r.volume.setOf(o(n)).index === 0)!;
    await expect(r.volume.headObject(o(inSet0))).rejects.toBeInstanceOf(QuorumNotMet);
    expect((await r.volume.health()).ok).toBe(false);
  });

  it('a brick marked down is retried after brickRetryMs', async () => {
    const r = await rig(1, 1, { retryMs: 100 });
    r.faulty[0]!.fail('all');
    await expect(putText(r.volume, A, C, 'x', 'y')).rejects.toBeInstanceOf(QuorumNotMet);
    r.faulty[0]!.heal();
    await expect(putText(r.volume, A, C, 'x', 'y')).rejects.toBeInstanceOf(QuorumNotMet); // still marked down
    await sleep(120);
    await putText(r.volume, A, C, 'x', 'y');
    expect(await getText(r.volume, A, C, 'x')).toBe('y');
  });
});
