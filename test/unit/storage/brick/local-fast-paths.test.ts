/**
 * LocalBrick's hot-path shortcuts keep its guarantees: small objects read whole (no stat, no file
 * stream), data directories remembered once made, superseded files unlinked off the event loop.
 */
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirs } from '../../../../src/storage/brick/local-files.js';
import { LocalBrick } from '../../../../src/storage/brick/local.js';
import { BrickUnavailable, RangeNotSatisfiable } from '../../../../src/storage/errors.js';
import { bytes, put, readAll, readData, ref, tombstone, ts } from './helpers.js';

const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-local-fast-'));
afterAll(async () => { await fsp.rm(scratch, { recursive: true, force: true }); });

let n = 0;
let dir: string;
let brick: LocalBrick;
beforeEach(async () => {
  dir = path.join(scratch, `b${++n}`);
  brick = new LocalBrick(dir, { volumeId: 'v', auditGraceMs: 0 });
  await brick.open();
});
afterEach(async () => { await brick.close(); });

describe('DataDirs', () => {
  it('remembers data/<aa>/<bb> directories by their hex digits, and forgets them', () => {
    const d = new DataDirs();
    const f = `data/0a/ff/${'0aff'.padEnd(64, '0')}.1700000000.00001.data`;
    const g = `data/0a/fe/${'0afe'.padEnd(64, '0')}.1700000000.00001.data`;
    expect(d.has(f)).toBe(false);
    d.add(f);
    expect(d.has(f)).toBe(true);
    expect(d.has(g)).toBe(false);
    d.forget(f);
    expect(d.has(f)).toBe(false);
    d.add('tmp/whatever'); // not a data file name: never remembered
    expect(d.has('tmp/whatever')).toBe(false);
  });
});

describe('LocalBrick small objects', () => {
  it('reads small and large objects, whole and by range', async () => {
    for (const size of [0, 1, 4096, 65536, 65537, 300_000]) {
      const body = bytes(size);
      const rec = await put(brick, ref(`o${size}`), ts(1), body);
      expect((await readData(brick, rec)).equals(body)).toBe(true);
      if (size > 10) expect((await readData(brick, rec, { start: 3, end: 9 })).equals(body.subarray(3, 10))).toBe(true);
    }
  });

  it('a small file of the wrong size is refused without a stat (shorter, longer, gone)', async () => {
    const rec = await put(brick, ref('o'), ts(1), bytes(5000));
    const file = path.join(dir, rec.dataFile!);
    await fsp.appendFile(file, 'x');
    await expect(brick.openData(rec)).rejects.toBeInstanceOf(BrickUnavailable);
    await fsp.truncate(file, 4000);
    await expect(brick.openData(rec)).rejects.toBeInstanceOf(BrickUnavailable);
    await fsp.rm(file);
    await expect(brick.openData(rec)).rejects.toBeInstanceOf(BrickUnavailable);
  });

  it('an opened small object keeps its bytes after the file is unlinked; a closed handle fails its reads', async () => {
    const rec = await put(brick, ref('o'), ts(1), 'pinned in memory');
    const h = await brick.openData(rec);
    await fsp.rm(path.join(dir, rec.dataFile!));
    expect((await readAll(h.read())).toString()).toBe('pinned in memory');
    await expect(readAll(h.read({ start: 0, end: 100 }))).rejects.toBeInstanceOf(RangeNotSatisfiable);
    h.close();
    await expect(readAll(h.read())).rejects.toThrow(/closed/);
  });
});

describe('LocalBrick data directories and superseded files', () => {
  it('a data directory removed behind the brick is made again by the next write into it', async () => {
    const first = await put(brick, ref('same-dir'), ts(1), 'one');
    await fsp.rm(path.dirname(path.join(dir, first.dataFile!)), { recursive: true });
    const second = await put(brick, ref('same-dir'), ts(2), 'two'); // same name: same directory
    expect(path.dirname(second.dataFile!)).toBe(path.dirname(first.dataFile!));
    expect((await readData(brick, second)).toString()).toBe('two');
  });

  it('overwrites and deletes unlink the superseded data file once the new row is in', async () => {
    const v1 = await put(brick, ref('o'), ts(1), 'v1');
    const v2 = await put(brick, ref('o'), ts(2), 'v2');
    expect(existsSync(path.join(dir, v1.dataFile!))).toBe(false);
    await brick.putRecord(tombstone(ref('o'), ts(3)));
    expect(existsSync(path.join(dir, v2.dataFile!))).toBe(false);
    expect((await brick.getRecord(ref('o')))?.deleted).toBe(true);
  });
});
