/** Checkpoints of brick indexes on a worker thread (wal-checkpointer.ts), as BrickIndex uses them with fsync on. */
import { existsSync, promises as fsp, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BrickIndex } from '../../../../src/storage/brick/index.js';
import { BACKSTOP_PAGES, CHECKPOINT_EVERY, walCheckpointer } from '../../../../src/storage/brick/wal-checkpointer.js';
import { record, ref, ts } from './helpers.js';

const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-wal-checkpointer-'));
afterAll(async () => { await fsp.rm(scratch, { recursive: true, force: true }); });

const settle = async (until: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !until(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('WAL checkpoints on a worker thread', () => {
  it('an index with fsync on keeps its own checkpoint as a backstop and asks the worker every CHECKPOINT_EVERY commits', async () => {
    const file = path.join(scratch, 'a.db');
    const index = new BrickIndex(file, { fsync: true });
    try {
      expect(index.settings().walAutocheckpoint).toBe(BACKSTOP_PAGES);
      const sizeBefore = statSync(file).size;
      const cp = walCheckpointer();
      const before = cp.runs;
      const failed = cp.failures;
      // A request waits behind one in flight for the same file: commit in rounds, each one asking once.
      for (let round = 0; round < 3; round++) {
        const runs = cp.runs;
        for (let i = 0; i < CHECKPOINT_EVERY; i++) index.putObject(record(ref(`o${round * CHECKPOINT_EVERY + i}`), ts(round * CHECKPOINT_EVERY + i + 1)));
        await settle(() => cp.runs > runs);
      }
      expect(cp.runs - before).toBe(3);
      expect(cp.failures).toBe(failed);
      // The rows reached the database file itself: SQLite's own checkpoint (the backstop, far above
      // what these commits wrote) never ran, so only the worker's copied them there.
      expect(statSync(file).size).toBeGreaterThan(sizeBefore + 64 * 1024);
      expect(index.getObject(ref('o7'))?.timestamp).toBe(ts(8));
    } finally {
      index.close();
    }
    // Reopened (the WAL folded in on close), every row is there.
    const again = new BrickIndex(file, { fsync: true });
    try {
      expect(again.getObject(ref(`o${3 * CHECKPOINT_EVERY - 1}`))?.timestamp).toBe(ts(3 * CHECKPOINT_EVERY));
    } finally {
      again.close();
    }
  });

  it('an index with fsync off keeps SQLite\'s own checkpoints and asks the worker for none', async () => {
    const file = path.join(scratch, 'b.db');
    const index = new BrickIndex(file, { fsync: false });
    const cp = walCheckpointer();
    const before = cp.runs;
    try {
      for (let i = 0; i < 2 * CHECKPOINT_EVERY; i++) index.putObject(record(ref(`o${i}`), ts(i + 1)));
      await new Promise((r) => setTimeout(r, 50));
      expect(cp.runs).toBe(before);
    } finally {
      index.close();
    }
  });

  it('the backstop bounds the WAL while the side checkpoint cannot catch up', () => {
    expect(BACKSTOP_PAGES * 4096).toBeLessThanOrEqual(64 * 1024 * 1024);
    expect(BACKSTOP_PAGES).toBeGreaterThan(CHECKPOINT_EVERY * 8);
  });

  it('a checkpoint of an index that is gone fails quietly and creates nothing', async () => {
    const cp = walCheckpointer();
    const failed = cp.failures;
    const missing = path.join(scratch, 'gone', 'index.db');
    await cp.request(missing);
    expect(cp.failures).toBe(failed + 1);
    expect(existsSync(missing)).toBe(false);
  });

  it('concurrent requests for one file share the checkpoint in flight', async () => {
    const file = path.join(scratch, 'c.db');
    const index = new BrickIndex(file, { fsync: true });
    try {
      index.putObject(record(ref('x'), ts(1)));
      const cp = walCheckpointer();
      const before = cp.runs;
      await Promise.all([cp.request(file), cp.request(file), cp.request(file)]);
      expect(cp.runs - before).toBe(1);
      expect(statSync(file).size).toBeGreaterThan(0);
    } finally {
      index.close();
    }
  });
});
