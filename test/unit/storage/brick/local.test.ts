import { existsSync, promises as fsp, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Brick } from '../../../../src/storage/brick/brick.js';
import { BrickIdentityMismatch, LocalBrick } from '../../../../src/storage/brick/local.js';
import { dataFileName } from '../../../../src/storage/brick/records.js';
import { BACKSTOP_PAGES } from '../../../../src/storage/brick/wal-checkpointer.js';
import { BrickUnavailable, Conflict } from '../../../../src/storage/errors.js';
import { brickContract } from './contract.js';
import { ensureBuilt, repo, runAndKill } from './crash-helpers.js';
import { bytes, put, readData, record, ref, ts } from './helpers.js';

const VOLUME = 'vol-test';
const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-local-brick-'));
afterAll(async () => { await fsp.rm(scratch, { recursive: true, force: true }); });

let n = 0;
const dirs = new Map<Brick, string>();
brickContract('LocalBrick', async () => {
  const dir = path.join(scratch, `contract-${++n}`);
  const b = new LocalBrick(dir, { volumeId: VOLUME, fsync: n % 2 === 0, auditGraceMs: 0 });
  dirs.set(b, dir);
  return b;
}, {
  teardown: async (b) => { await fsp.rm(dirs.get(b)!, { recursive: true, force: true }); dirs.delete(b); },
});

/** Every file below `dir`, relative to it. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

describe('LocalBrick on disk', () => {
  let dir: string;
  let brick: LocalBrick;
  const o = ref('obj');

  beforeEach(async () => {
    dir = path.join(scratch, `local-${++n}`);
    brick = new LocalBrick(dir, { id: 'b1', volumeId: VOLUME, auditGraceMs: 0 });
    await brick.open();
  });
  afterEach(async () => {
    await brick.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('lays out brick.json, data/<aa>/<bb>/<hash>.<ts>.data, tmp/ and index.db', async () => {
    const rec = await put(brick, o, ts(1), 'bytes');
    const json = JSON.parse(await fsp.readFile(path.join(dir, 'brick.json'), 'utf8')) as Record<string, unknown>;
    expect(json).toMatchObject({ id: 'b1', volumeId: VOLUME, formatVersion: 1 });
    expect(rec.dataFile).toMatch(/^data\/([0-9a-f]{2})\/([0-9a-f]{2})\/\1\2[0-9a-f]{60}\.1700000000\.00001\.data$/);
    expect(await fsp.readFile(path.join(dir, rec.dataFile!), 'utf8')).toBe('bytes');
    expect(await fsp.readdir(path.join(dir, 'tmp'))).toEqual([]);
    expect(existsSync(path.join(dir, 'index.db'))).toBe(true);
    // NORMAL: commits never fsync on the event loop; durable commits wait for the WAL's group fsync.
    // Checkpoints run on a worker thread; the connection's own is only a backstop (wal-checkpointer.ts).
    expect(brick.index().settings()).toEqual({ journalMode: 'wal', synchronous: 1, walAutocheckpoint: BACKSTOP_PAGES });
    expect(brick.index().wal).toBeDefined();
  });

  it('keeps no WAL fsync when fsync is off', async () => {
    const b = new LocalBrick(path.join(scratch, `nofsync-${++n}`), { volumeId: VOLUME, fsync: false });
    await b.open();
    expect(b.index().settings()).toEqual({ journalMode: 'wal', synchronous: 1, walAutocheckpoint: 1000 });
    expect(b.index().wal).toBeUndefined();
    await b.close();
  });

  it('keeps records, data and counters across a new instance', async () => {
    const rec = await put(brick, o, ts(1), 'durable');
    await brick.mergeContainer({ account: o.account, container: o.container, putTimestamp: ts(1), metadata: {}, storagePolicy: 'p' });
    await brick.close();
    const again = new LocalBrick(dir, { volumeId: VOLUME });
    await again.open();
    expect(again.id).toBe('b1');
    expect(await again.getRecord(o)).toEqual(rec);
    expect((await readData(again, rec)).toString()).toBe('durable');
    expect(await again.containerUsage(o.account, o.container)).toEqual({ objectCount: 1, bytesUsed: 7 });
    expect((await again.listContainers(o.account, { limit: 10 }))[0]).toMatchObject({ container: 'c', objectCount: 1 });
    await again.close();
  });

  it('refuses a directory whose brick.json names another volume, with a clear error', async () => {
    await brick.close();
    const other = new LocalBrick(dir, { volumeId: 'someone-else' });
    const err = await other.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrickIdentityMismatch);
    expect(err).toBeInstanceOf(BrickUnavailable);
    expect((err as Error).message).toContain('vol-test');
    expect((err as Error).message).toContain('someone-else');
    await expect(new LocalBrick(dir, { id: 'b2', volumeId: VOLUME }).open()).rejects.toThrow(/is brick "b1", not "b2"/);
  });

  it('refuses a directory with brick data but no brick.json', async () => {
    await brick.close();
    await fsp.rm(path.join(dir, 'brick.json'));
    await expect(new LocalBrick(dir, { volumeId: VOLUME }).open()).rejects.toThrow(/no brick\.json/);
  });

  it('sweeps tmp/ at open, sparing files of live processes', async () => {
    await brick.close();
    const uuid = '0123abcd-0000-4000-8000-000000000000';
    const live = `${process.ppid}.${uuid}.tmp`; // vitest's parent process is alive
    for (const f of ['junk', `999999999.${uuid}.tmp`, `${process.pid}.${uuid}.tmp`, live]) {
      await fsp.writeFile(path.join(dir, 'tmp', f), 'leftover');
    }
    await fsp.mkdir(path.join(dir, 'tmp', 'a-dir'));
    await brick.open();
    expect(await fsp.readdir(path.join(dir, 'tmp'))).toEqual([live]);
  });

  it('audit removes orphaned data files, junk and dead tmp files, and keeps what records name', async () => {
    const kept = await put(brick, o, ts(1), 'kept');
    const orphan = dataFileName(ref('orphan'), ts(2));
    await fsp.mkdir(path.dirname(path.join(dir, orphan)), { recursive: true });
    await fsp.writeFile(path.join(dir, orphan), 'renamed but never indexed');
    await fsp.writeFile(path.join(dir, path.dirname(kept.dataFile!), 'junk'), 'x');
    await fsp.writeFile(path.join(dir, 'tmp', 'stale'), 'x');
    // In flight, past what a writer holds in memory (SMALL_WRITE): its tmp file must survive.
    const w = await brick.createWriter(ref('inflight'), ts(3));
    const partial = bytes(100_000);
    await new Promise((resolve) => w.stream.write(partial, resolve));
    expect(await brick.audit()).toBe(3);
    expect(await tree(dir)).toEqual(expect.arrayContaining([kept.dataFile!]));
    expect(existsSync(path.join(dir, orphan))).toBe(false);
    expect(await fsp.readdir(path.join(dir, 'tmp'))).toHaveLength(1);
    expect((await readData(brick, kept)).toString()).toBe('kept');
    w.stream.end();
    await w.commit(record(ref('inflight'), ts(3), { size: partial.length, dataFile: w.dataFile }));
    expect(await brick.audit()).toBe(0);
  });

  it('audit leaves young orphans alone while the grace period runs', async () => {
    const graceful = new LocalBrick(path.join(scratch, `grace-${++n}`), { volumeId: VOLUME, auditGraceMs: 60_000 });
    await graceful.open();
    const src = await put(graceful, ref('src'), ts(1), 'x');
    expect(await graceful.linkData(src, ref('dst'), ts(2))).toBeDefined();
    expect(await graceful.audit()).toBe(0); // another process may be about to record it
    await graceful.close();
  });

  it('abort and conflicts leave no file behind', async () => {
    await put(brick, o, ts(5), 'current');
    const before = await tree(dir);
    await expect(put(brick, o, ts(4), 'older')).rejects.toBeInstanceOf(Conflict);
    await expect(put(brick, o, ts(5), 'equal')).rejects.toBeInstanceOf(Conflict);
    const w = await brick.createWriter(o, ts(6));
    w.stream.write(bytes(300_000));
    await w.abort();
    expect(await tree(dir)).toEqual(before);
  });

  it('names are bytes to hash: nothing lands outside the brick directory', async () => {
    const outside = await tree(path.dirname(dir));
    const evil = ['../../etc/passwd', '..', '../', '/abs/path', '\\..\\..\\x', '.', 'a/../../b', '\u0001\u007f\u00ff', '%2e%2e%2f',
      'x'.repeat(1024), '😀/../..'];
    let t = 1;
    for (const name of evil) {
      const r = ref(name, '../..', '../../..');
      const rec = await put(brick, r, ts(t++), name);
      expect(path.resolve(dir, rec.dataFile!).startsWith(dir + path.sep)).toBe(true);
      expect((await readData(brick, rec)).toString()).toBe(name);
    }
    const now = await tree(path.dirname(dir));
    const added = now.filter((f) => !outside.includes(f));
    expect(added.every((f) => f.startsWith(path.basename(dir) + path.sep))).toBe(true);
    expect(added.filter((f) => f.includes('passwd'))).toEqual([]);
  });

  it('openData rejects when the data file was deleted or truncated behind its back', async () => {
    const rec = await put(brick, o, ts(1), bytes(10_000));
    await fsp.truncate(path.join(dir, rec.dataFile!), 5000);
    await expect(brick.openData(rec)).rejects.toBeInstanceOf(BrickUnavailable);
    await fsp.rm(path.join(dir, rec.dataFile!));
    await expect(brick.openData(rec)).rejects.toBeInstanceOf(BrickUnavailable);
    await expect(brick.putRecord({ ...rec, timestamp: ts(2) })).rejects.toBeInstanceOf(BrickUnavailable);
  });

  it('an open handle keeps reading its version after the file is unlinked', async () => {
    const rec = await put(brick, o, ts(1), 'pinned');
    const h = await brick.openData(rec);
    await fsp.rm(path.join(dir, rec.dataFile!));
    const parts: Buffer[] = [];
    for await (const c of h.read()) parts.push(c as Buffer);
    expect(Buffer.concat(parts).toString()).toBe('pinned');
    h.close();
  });

  it('linkData makes a hard link (no bytes copied)', async () => {
    const src = await put(brick, ref('src'), ts(1), bytes(50_000));
    const file = await brick.linkData(src, ref('dst'), ts(2));
    expect(file).toBe(dataFileName(ref('dst'), ts(2)));
    expect(statSync(path.join(dir, file!)).ino).toBe(statSync(path.join(dir, src.dataFile!)).ino);
    expect(await fsp.readdir(path.join(dir, 'tmp'))).toEqual([]);
  });

  it('health reports space, and ok=false once the directory is gone or replaced', async () => {
    const h = await brick.health();
    expect(h).toMatchObject({ id: 'b1', ok: true, readOnly: false });
    expect(h.totalBytes).toBeGreaterThan(0);
    await fsp.writeFile(path.join(dir, 'brick.json'), JSON.stringify({ id: 'b1', volumeId: 'other', formatVersion: 1 }));
    expect((await brick.health()).ok).toBe(false);
    await fsp.rm(dir, { recursive: true, force: true });
    expect(await brick.health()).toMatchObject({ ok: false });
  });

  it('listing is a primary-key range scan with no sort, forward and reverse', () => {
    for (const q of [{ limit: 10, prefix: 'a', marker: 'ab' }, { limit: 10, reverse: true, marker: 'z', endMarker: 'b' }]) {
      const plan = brick.index().explainListObjects('AUTH', 'c', q).join('\n');
      expect(plan).toMatch(/SEARCH objects USING PRIMARY KEY \(account=\? AND container=\? AND name>\? AND name<\?\)/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
  });
});

// -------------------------------------------------------------------------------------- crash safety

const fixture = path.join(repo, 'test/fixtures/brick-crash-writer.mjs');

const sizeOf = (v: number): number => 100_000 + ((v * 7919) % 1_500_000);
function expectedBody(v: number): Buffer {
  const b = Buffer.alloc(sizeOf(v));
  for (let i = 0; i < b.length; i++) b[i] = (i * 31 + v * 17) & 0xff;
  return b;
}
const versionOf = (timestamp: string): number => Number(timestamp.slice(11));

describe('LocalBrick crash safety', () => {
  beforeAll(ensureBuilt, 180_000);

  it('a writer killed with SIGKILL mid-write leaves either the old or the new version', async () => {
    const dir = path.join(scratch, `crash-${++n}`);
    const o = { account: 'AUTH_crash', container: 'c', object: 'victim' };
    let next = 1;
    for (let round = 0; round < 8; round++) {
      const lastReported = await runAndKill(fixture, dir, VOLUME, next, [0, 3, 7, 15, 25, 40, 60, 90][round]!);
      const brick = new LocalBrick(dir, { volumeId: VOLUME, auditGraceMs: 0 });
      await brick.open(); // sweeps tmp/
      expect(await fsp.readdir(path.join(dir, 'tmp'))).toEqual([]);
      const rec = (await brick.getRecord(o))!;
      const v = versionOf(rec.timestamp);
      // The last reported commit is durable; the next one may have committed just before the kill.
      expect([lastReported, lastReported + 1]).toContain(v);
      expect(rec.metadata.version).toBe(String(v));
      expect(rec.size).toBe(sizeOf(v));
      expect((await readData(brick, rec)).equals(expectedBody(v))).toBe(true);
      expect(await brick.containerUsage(o.account, o.container)).toEqual({ objectCount: 1, bytesUsed: sizeOf(v) });
      await brick.audit(); // a file renamed but not yet indexed is an orphan: removed
      const files = (await tree(path.join(dir, 'data')));
      expect(files.map((f) => `data/${f}`)).toEqual([rec.dataFile]);
      await brick.close();
      next = v + 1;
    }
    await fsp.rm(dir, { recursive: true, force: true });
  }, 120_000);
});
