/** Group commit of the brick index's WAL (group-sync.ts) and its use by LocalBrick. */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GroupSync } from '../../../../src/storage/brick/group-sync.js';
import { LocalBrick } from '../../../../src/storage/brick/local.js';
import { BrickUnavailable } from '../../../../src/storage/errors.js';
import { put, ref, ts } from './helpers.js';

const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-group-sync-'));
afterAll(async () => { await fsp.rm(scratch, { recursive: true, force: true }); });

let n = 0;
async function file(): Promise<string> {
  const f = path.join(scratch, `f${++n}`);
  await fsp.writeFile(f, 'x');
  return f;
}

/** A flush the test finishes by hand: `started` counts calls, `finish(i, err?)` ends the i-th. */
function manualFlush(): { flush: () => Promise<void>; started: () => number; finish: (i: number, err?: Error) => void } {
  const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  return {
    flush: () => new Promise<void>((resolve, reject) => { pending.push({ resolve, reject }); }),
    started: () => pending.length,
    finish: (i, err) => (err ? pending[i]!.reject(err) : pending[i]!.resolve()),
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Wait until `cond` holds (the first fsync opens the file first, on the threadpool). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(cond()).toBe(true);
}

describe('GroupSync', () => {
  it('shares one fsync among callers waiting together, at most one in flight', async () => {
    const m = manualFlush();
    const g = new GroupSync(await file(), m.flush);
    const done: number[] = [];
    const first = g.sync().then(() => done.push(0));
    await until(() => m.started() === 1);
    // These arrive while the first fsync runs: they must wait for a second one, all together.
    const rest = Array.from({ length: 20 }, (_v, i) => g.sync().then(() => done.push(i + 1)));
    await tick();
    expect(m.started()).toBe(1);
    m.finish(0);
    await first;
    await until(() => m.started() === 2);
    expect(done).toEqual([0]); // the first fsync may have started before their bytes were written
    m.finish(1);
    await Promise.all(rest);
    expect(done).toHaveLength(21);
    expect(g.flushes).toBe(2);
    await g.close();
  });

  it('fsyncs for real: many concurrent callers, fewer fsyncs than callers', async () => {
    const g = new GroupSync(await file());
    await Promise.all(Array.from({ length: 200 }, () => g.sync()));
    expect(g.flushes).toBeGreaterThanOrEqual(1);
    expect(g.flushes).toBeLessThan(200);
    await g.close();
  });

  it('a failed fsync fails every caller waiting on it, and every later call', async () => {
    const m = manualFlush();
    const g = new GroupSync(await file(), m.flush);
    const first = g.sync();
    await until(() => m.started() === 1);
    const second = [g.sync(), g.sync()];
    m.finish(0, Object.assign(new Error('I/O error'), { code: 'EIO' }));
    await expect(first).rejects.toMatchObject({ code: 'EIO' });
    // Queued behind a failed fsync: no later fsync can prove their bytes reached the disk.
    for (const p of second) await expect(p).rejects.toThrow(/fsync of .* failed: I\/O error/);
    await expect(g.sync()).rejects.toThrow(/I\/O error/);
    expect(m.started()).toBe(1);
    await g.close(); // its descriptor is still open: left to the GC, Node warns
  });

  it('a missing file fails the sync rather than pretending', async () => {
    const g = new GroupSync(path.join(scratch, 'absent'));
    await expect(g.sync()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('LocalBrick group commit', () => {
  it('many concurrent writes: all durable across a reopen, with fewer WAL fsyncs than commits', async () => {
    const dir = path.join(scratch, `brick-${++n}`);
    const brick = new LocalBrick(dir, { volumeId: 'v', auditGraceMs: 0 });
    await brick.open();
    const wal = brick.index().wal!;
    const before = wal.flushes;
    const count = 64;
    await Promise.all(Array.from({ length: count }, (_v, i) => put(brick, ref(`o${i}`), ts(i + 1), `body ${i}`)));
    const flushes = wal.flushes - before;
    expect(flushes).toBeGreaterThanOrEqual(1);
    expect(flushes).toBeLessThan(count);
    await brick.close();
    const again = new LocalBrick(dir, { volumeId: 'v' });
    await again.open();
    expect(await again.containerUsage('AUTH_test', 'c')).toMatchObject({ objectCount: count });
    await again.close();
  });

  it('a failed WAL fsync fails the commit as BrickUnavailable, and the brick stays failed', async () => {
    const dir = path.join(scratch, `brick-${++n}`);
    const brick = new LocalBrick(dir, { volumeId: 'v', auditGraceMs: 0 });
    await brick.open();
    const wal = brick.index().wal! as unknown as { flush: () => Promise<void> };
    wal.flush = () => Promise.reject(Object.assign(new Error('I/O error'), { code: 'EIO' }));
    await expect(put(brick, ref('a'), ts(1), 'a')).rejects.toBeInstanceOf(BrickUnavailable);
    await expect(brick.mergeContainer({ account: 'AUTH_test', container: 'c', putTimestamp: ts(2), metadata: {}, storagePolicy: 'p' }))
      .rejects.toBeInstanceOf(BrickUnavailable);
    await brick.close();
  });
});
