/**
 * A write into a data directory it had to make fsyncs the data directory first and the parents of the
 * directories it made after that (their entries are then already in a journaling filesystem's log, so
 * those fsyncs cost no disk write); every one of them is still done before the write is acknowledged.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { IoPool, setIoPool } from '../../../../src/storage/brick/io-pool.js';
import { makeDirs, parentsToSync } from '../../../../src/storage/brick/local-files.js';
import { LocalBrick } from '../../../../src/storage/brick/local.js';
import { bytes, put, readData, ref, ts } from './helpers.js';

const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-data-dir-sync-'));
afterAll(async () => { await fsp.rm(scratch, { recursive: true, force: true }); });
afterEach(() => {
  vi.restoreAllMocks();
  setIoPool(undefined);
});

describe('makeDirs', () => {
  it('returns the parent of each directory it made, deepest first, and nothing when all exist', async () => {
    const top = path.join(scratch, 'm');
    await fsp.mkdir(top);
    const leaf = path.join(top, 'a', 'b', 'c');
    expect(await makeDirs(leaf)).toEqual([path.join(top, 'a', 'b'), path.join(top, 'a'), top]);
    expect(await makeDirs(leaf)).toEqual([]);
    expect(await makeDirs(path.join(top, 'a', 'd'))).toEqual([path.join(top, 'a')]);
    expect(parentsToSync('/x/y', '/x/y')).toEqual(['/x']);
  });
});

describe('LocalWriter directory fsyncs (async path)', () => {
  it('fsyncs the new data directory, then its parents; a known directory costs one fsync', async () => {
    setIoPool(new IoPool(0)); // every write on the threadpool path, where the calls can be watched
    const brick = new LocalBrick(path.join(scratch, 'b1'), { volumeId: 'v', auditGraceMs: 0 });
    await brick.open();
    const data = path.join(brick.root, 'data');
    const dirsOpened: string[] = [];
    const open = fsp.open.bind(fsp);
    vi.spyOn(fsp, 'open').mockImplementation(async (file, flags, mode) => {
      const p = String(file);
      if (flags === 'r' && p.startsWith(data)) dirsOpened.push(path.relative(brick.root, p));
      return open(file, flags, mode);
    });

    const rec = await put(brick, ref('o1'), ts(1), bytes(100));
    const leaf = path.dirname(rec.dataFile!);
    const aa = path.dirname(leaf);
    expect(dirsOpened).toEqual([leaf, aa, 'data']); // leaf first; data/ too since data/<aa> was new
    expect((await readData(brick, rec)).equals(bytes(100))).toBe(true);

    dirsOpened.length = 0;
    await put(brick, ref('o1'), ts(2), bytes(50)); // same object: same directory, now known
    expect(dirsOpened).toEqual([leaf]);
    await brick.close();
  });
});
