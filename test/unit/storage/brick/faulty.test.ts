import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultyBrick } from '../../../../src/storage/brick/faulty.js';
import { MemoryBrick } from '../../../../src/storage/brick/memory.js';
import { BrickUnavailable, Conflict } from '../../../../src/storage/errors.js';
import { brickContract } from './contract.js';
import { bytes, put, readAll, readData, record, ref, tombstone, ts } from './helpers.js';

let n = 0;
brickContract('FaultyBrick (pass-through over MemoryBrick)', async () => new FaultyBrick(new MemoryBrick(`faulty-${++n}`)));

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('FaultyBrick faults', () => {
  let brick: FaultyBrick;
  const o = ref('obj');
  beforeEach(async () => {
    brick = new FaultyBrick(new MemoryBrick('fb'));
    await brick.open();
  });
  afterEach(async () => {
    brick.heal();
    await brick.close();
  });

  it('counts calls, faulted ones included', async () => {
    await put(brick, o, ts(1), 'abc');
    await brick.getRecord(o);
    brick.fail('all');
    await expect(brick.getRecord(o)).rejects.toBeInstanceOf(BrickUnavailable);
    expect(brick.calls).toMatchObject({ createWriter: 1, commit: 1, getRecord: 2, putRecord: 0 });
    expect(brick.calls.write).toBeGreaterThan(0);
    brick.resetCalls();
    expect(brick.calls.getRecord).toBe(0);
  });

  it("fail('all') rejects every call, health included, until fail('none')", async () => {
    const rec = await put(brick, o, ts(1), 'abc');
    brick.fail('all');
    await expect(brick.health()).rejects.toBeInstanceOf(BrickUnavailable);
    await expect(brick.getRecord(o)).rejects.toBeInstanceOf(BrickUnavailable);
    await expect(brick.openData(rec)).rejects.toBeInstanceOf(BrickUnavailable);
    await expect(brick.listObjects('AUTH_test', 'c', { limit: 1 })).rejects.toBeInstanceOf(BrickUnavailable);
    await expect(brick.createWriter(o, ts(2))).rejects.toBeInstanceOf(BrickUnavailable);
    brick.fail('none');
    expect(await brick.getRecord(o)).toEqual(rec);
  });

  it("fail('writes') refuses mutations, still serves reads and reports read-only", async () => {
    const rec = await put(brick, o, ts(1), 'abc');
    brick.fail('writes');
    await expect(put(brick, o, ts(2), 'new')).rejects.toBeInstanceOf(BrickUnavailable);
    await expect(brick.putRecord(tombstone(o, ts(3)))).rejects.toBeInstanceOf(BrickUnavailable);
    await expect(brick.markDirty(o, ts(3))).rejects.toBeInstanceOf(BrickUnavailable);
    await expect(brick.mergeAccount({ account: 'a', putTimestamp: ts(1), metadata: {} })).rejects.toBeInstanceOf(BrickUnavailable);
    expect(await brick.getRecord(o)).toEqual(rec);
    expect((await readData(brick, rec)).toString()).toBe('abc');
    expect((await brick.health()).readOnly).toBe(true);
  });

  it("a writer already open fails its next chunk and its commit once fail('writes') is set", async () => {
    const w = await brick.createWriter(o, ts(1));
    w.stream.write(Buffer.from('first'));
    brick.fail('writes');
    const errored = new Promise((resolve) => w.stream.once('error', resolve));
    w.stream.end(Buffer.from('second'));
    expect(await errored).toBeInstanceOf(BrickUnavailable);
    await expect(w.commit(record(o, ts(1), { size: 11, dataFile: w.dataFile }))).rejects.toBeInstanceOf(BrickUnavailable);
    await w.abort();
    brick.fail('none');
    expect(await brick.getRecord(o)).toBeUndefined();
  });

  it('failWritesAfterBytes passes n bytes, then errors the stream; nothing is stored', async () => {
    brick.failWritesAfterBytes(50_000);
    const err = await put(brick, o, ts(1), bytes(100_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrickUnavailable);
    expect(await brick.getRecord(o)).toBeUndefined();
    expect(await brick.audit()).toBe(0);
    brick.failWritesAfterBytes(undefined);
    await put(brick, o, ts(2), bytes(100_000));
    expect((await brick.getRecord(o))!.size).toBe(100_000);
  });

  it('failNext fails the next calls of one operation by number, then passes', async () => {
    const rec = await put(brick, o, ts(1), 'abc');
    const custom = new Conflict(ts(9), ts(1));
    brick.failNext('getRecord', 2);
    brick.failNext('getRecord', 1, custom);
    await expect(brick.getRecord(o)).rejects.toBeInstanceOf(BrickUnavailable);
    await expect(brick.getRecord(o)).rejects.toBeInstanceOf(BrickUnavailable);
    await expect(brick.getRecord(o)).rejects.toBe(custom);
    expect(await brick.getRecord(o)).toEqual(rec);
    brick.failNext('commit');
    await expect(put(brick, o, ts(2), 'x')).rejects.toBeInstanceOf(BrickUnavailable);
    await put(brick, o, ts(3), 'y');
  });

  it('stall() holds calls until release()', async () => {
    brick.stall();
    expect(brick.stalled).toBe(true);
    let done = false;
    const p = brick.getRecord(o).then((r) => { done = true; return r; });
    await tick();
    expect(done).toBe(false);
    brick.release();
    expect(await p).toBeUndefined();
    expect(brick.stalled).toBe(false);
  });

  it('stall(ms) releases by itself', async () => {
    brick.stall(30);
    const t0 = Date.now();
    await brick.health();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it('a stalled writer stops consuming, so backpressure reaches the producer', async () => {
    const w = await brick.createWriter(o, ts(1));
    brick.stall();
    let produced = 0;
    const body = Readable.from((function* () {
      for (let i = 0; i < 1000; i++) { produced += 16384; yield Buffer.alloc(16384); }
    })());
    const done = pipeline(body, w.stream);
    await tick(50);
    expect(produced).toBeLessThan(1000 * 16384 / 4); // held back, not slurped into memory
    brick.release();
    await done;
    await w.commit(record(o, ts(1), { size: 1000 * 16384, dataFile: w.dataFile }));
    expect((await brick.getRecord(o))!.size).toBe(1000 * 16384);
  });

  it('a stalled reader stops producing until release', async () => {
    const rec = await put(brick, o, ts(1), bytes(300_000));
    const h = await brick.openData(rec);
    const s = h.read();
    brick.stall();
    let got = 0;
    s.on('data', (c: Buffer) => { got += c.length; });
    await tick(30);
    expect(got).toBeLessThan(300_000);
    brick.release();
    await new Promise((resolve) => s.once('end', resolve));
    expect(got).toBe(300_000);
    h.close();
  });

  it('disappear() breaks open streams and rejects calls; reappear() restores the stored data', async () => {
    const rec = await put(brick, o, ts(1), bytes(300_000));
    const h = await brick.openData(rec);
    const reading = readAll(h.read());
    const w = await brick.createWriter(ref('other'), ts(2));
    w.stream.write(Buffer.from('in flight'));
    const writeErr = new Promise((resolve) => w.stream.once('error', resolve));
    brick.disappear();
    await expect(reading).rejects.toBeInstanceOf(BrickUnavailable);
    expect(await writeErr).toBeInstanceOf(BrickUnavailable);
    await expect(w.commit(record(ref('other'), ts(2), { size: 9, dataFile: w.dataFile }))).rejects.toBeInstanceOf(BrickUnavailable);
    await expect(w.abort()).rejects.toBeInstanceOf(BrickUnavailable);
    await expect(brick.getRecord(o)).rejects.toBeInstanceOf(BrickUnavailable);
    h.close();
    brick.reappear();
    expect(await brick.getRecord(o)).toEqual(rec);
    expect(await brick.getRecord(ref('other'))).toBeUndefined();
    expect((await readData(brick, rec)).length).toBe(300_000);
  });

  it('close() passes through even when the brick is gone or stalled', async () => {
    brick.disappear();
    brick.stall();
    await brick.close();
    brick.heal();
    await brick.open();
  });
});
