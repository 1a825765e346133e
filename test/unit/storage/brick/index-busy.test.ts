/**
 * A brick index locked by another process is waited for off the event loop (index-busy.ts): SQLite's
 * own busy handler slept on the calling thread, so every collision between cluster workers stalled
 * all of a worker's requests.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { isBusy, retryBusy } from '../../../../src/storage/brick/index-busy.js';
import { LocalBrick } from '../../../../src/storage/brick/local.js';
import { put, ref, ts } from './helpers.js';

const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-index-busy-'));
afterAll(async () => { await fsp.rm(scratch, { recursive: true, force: true }); });

const busy = (): Error => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

describe('retryBusy', () => {
  it('tries again while the call fails busy, and the first try is synchronous', async () => {
    let calls = 0;
    const p = retryBusy(() => { calls++; if (calls < 3) throw busy(); return 'done'; });
    expect(calls).toBe(1);
    expect(await p).toBe('done');
    expect(calls).toBe(3);
  });

  it('passes any other error on at once', async () => {
    let calls = 0;
    await expect(retryBusy(() => { calls++; throw new Error('disk on fire'); })).rejects.toThrow('disk on fire');
    expect(calls).toBe(1);
  });

  it('gives up after its limit with the busy error', async () => {
    const t = Date.now();
    const err = await retryBusy(() => { throw busy(); }, 40).catch((e: unknown) => e);
    expect(isBusy(err)).toBe(true);
    expect(Date.now() - t).toBeGreaterThanOrEqual(40);
  });

  it('knows SQLite\'s extended busy codes', () => {
    expect(isBusy({ code: 'SQLITE_BUSY_SNAPSHOT' })).toBe(true);
    expect(isBusy({ code: 'SQLITE_LOCKED' })).toBe(false);
    expect(isBusy(undefined)).toBe(false);
  });
});

describe('LocalBrick under another connection\'s write lock', () => {
  it('a write waits for the lock with the event loop free, then commits', async () => {
    const dir = path.join(scratch, 'b1');
    const brick = new LocalBrick(dir, { volumeId: 'v-busy', fsync: true });
    await brick.open();
    const other = new Database(path.join(dir, 'index.db'));
    try {
      other.prepare('BEGIN IMMEDIATE').run(); // as another worker's transaction would
      let ticks = 0;
      const timer = setInterval(() => { ticks++; }, 5);
      const done = put(brick, ref('o'), ts(1), 'hello');
      let settled = false;
      void done.then(() => { settled = true; }, () => { settled = true; });
      await new Promise((r) => setTimeout(r, 120));
      // Still waiting for the lock, and the event loop kept running meanwhile.
      expect(settled).toBe(false);
      expect(ticks).toBeGreaterThanOrEqual(5);
      other.prepare('COMMIT').run();
      await done;
      clearInterval(timer);
      expect((await brick.getRecord(ref('o')))?.timestamp).toBe(ts(1));
    } finally {
      if (other.inTransaction) other.prepare('ROLLBACK').run();
      other.close();
      await brick.close();
    }
  });
});
