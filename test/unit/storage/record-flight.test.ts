/**
 * Single flight of account/container record reads (src/storage/record-flight.ts, catalog.ts):
 * concurrent reads share one read of the bricks, never across a record change, and never keep errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountRecord, ContainerRecord } from '../../../src/storage/brick/brick.js';
import { FaultyBrick } from '../../../src/storage/brick/faulty.js';
import { makeBrick } from '../../../src/storage/brick-spec.js';
import { QuorumNotMet } from '../../../src/storage/errors.js';
import { noteRecordChange, RecordFlights } from '../../../src/storage/record-flight.js';
import type { Volume } from '../../../src/storage/volume.js';
import { memoryVolume, ts } from './store-helpers.js';

/** A brick whose record reads (getContainer/getAccount) wait at a gate the test opens. */
class GatedBrick extends FaultyBrick {
  private readGate: Promise<void> | undefined;
  private opener: (() => void) | undefined;

  hold(): void { this.readGate = new Promise((resolve) => { this.opener = resolve; }); }
  let(): void { this.opener?.(); this.readGate = undefined; }

  override async getContainer(account: string, container: string): Promise<ContainerRecord | undefined> {
    const gate = this.readGate;
    if (gate) await gate;
    return super.getContainer(account, container);
  }

  override async getAccount(account: string): Promise<AccountRecord | undefined> {
    const gate = this.readGate;
    if (gate) await gate;
    return super.getAccount(account);
  }
}

const A = 'AUTH_sf';
const C = 'c';
let volume: Volume | undefined;

afterEach(async () => { await volume?.close(); volume = undefined; });

async function setup(): Promise<{ v: Volume; bricks: GatedBrick[]; reads: () => number; accountReads: () => number; created: string }> {
  const bricks: GatedBrick[] = [];
  const v = await memoryVolume({ sets: 2, replica: 2 }, {}, {
    brickFactory: async (spec, vol) => { const b = new GatedBrick(await makeBrick(spec, vol)); bricks.push(b); return b; },
  });
  volume = v;
  const created = ts();
  await v.createContainer({ account: A, container: C }, { timestamp: created, metadata: { 'x-container-meta-a': '1' } });
  for (const b of bricks) b.resetCalls();
  return {
    v, bricks, created,
    reads: () => bricks.reduce((n, b) => n + b.calls.getContainer, 0),
    accountReads: () => bricks.reduce((n, b) => n + b.calls.getAccount, 0),
  };
}

/** Let pending microtasks and I/O callbacks run (a read reaches its gate). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('catalog single flight', () => {
  it('a read of the same record joins the one in flight: one read per brick, one shared answer', async () => {
    const { v, bricks, reads } = await setup();
    bricks.forEach((b) => b.stall());
    const first = v.catalog.getContainer(A, C);
    const second = v.catalog.getContainer(A, C);
    await settle();
    expect(reads()).toBe(4);
    bricks.forEach((b) => b.release());
    const [r1, r2] = await Promise.all([first, second]);
    expect(reads()).toBe(4);
    expect(r2).toBe(r1);
    expect(r1!.metadata['x-container-meta-a']![0]).toBe('1');

    // Once it has finished, the next read reads again.
    await v.catalog.getContainer(A, C);
    expect(reads()).toBe(8);
  });

  it('account reads join too; a different record does not join', async () => {
    const { v, bricks, reads, accountReads } = await setup();
    bricks.forEach((b) => b.stall());
    const reading = Promise.all([v.catalog.getAccount(A), v.catalog.getAccount(A), v.catalog.getContainer(A, C), v.catalog.getContainer(A, 'other')]);
    await settle();
    bricks.forEach((b) => b.release());
    const [a1, a2, c1, other] = await reading;
    expect(a2).toBe(a1);
    expect(accountReads()).toBe(4);
    expect(reads()).toBe(8);
    expect(c1).toBeDefined();
    expect(other).toBeUndefined();
  });

  it('a read that starts after a merge completed does not join a read that started before it', async () => {
    const { v, bricks, reads, created } = await setup();
    bricks.forEach((b) => b.hold()); // record reads wait; the merge's writes do not
    const before = v.catalog.getContainer(A, C);
    await settle();
    await v.catalog.mergeContainer({
      account: A, container: C, putTimestamp: created, metadata: { 'x-container-meta-a': ['2', ts()] }, storagePolicy: 'Policy-0',
    });
    const after = v.catalog.getContainer(A, C);
    await settle();
    bricks.forEach((b) => b.let());
    const [old, fresh] = await Promise.all([before, after]);
    expect(fresh).not.toBe(old);
    expect(reads()).toBe(8);
    expect(fresh!.metadata['x-container-meta-a']![0]).toBe('2');
  });

  it('a read does not join across a merge that has only started', async () => {
    const { v, bricks, reads, created } = await setup();
    bricks.forEach((b) => b.stall());
    const first = v.catalog.getContainer(A, C);
    const merging = v.catalog.mergeContainer({
      account: A, container: C, putTimestamp: created, metadata: { 'x-container-meta-a': ['3', ts()] }, storagePolicy: 'Policy-0',
    });
    const second = v.catalog.getContainer(A, C);
    await settle();
    expect(reads()).toBe(8);
    bricks.forEach((b) => b.release());
    const [r1, , r2] = await Promise.all([first, merging, second]);
    expect(r2).not.toBe(r1);
    expect(r2!.metadata['x-container-meta-a']![0]).toBe('3');
  });
});

describe('RecordFlights', () => {
  it('joins an in-flight read of the same key while nothing changed', async () => {
    const flights = new RecordFlights<number>();
    let started = 0;
    let finish!: (n: number) => void;
    const read = (): Promise<number> => { started++; return new Promise((resolve) => { finish = resolve; }); };
    const a = flights.run('k', read);
    const b = flights.run('k', read);
    expect(b).toBe(a);
    expect(started).toBe(1);
    finish(7);
    expect(await b).toBe(7);
    expect(flights.size).toBe(0);
  });

  it('does not join across a record change that started (or finished) since the read started', async () => {
    const flights = new RecordFlights<number>();
    const finishers: Array<(n: number) => void> = [];
    const read = (): Promise<number> => new Promise((resolve) => { finishers.push(resolve); });
    const a = flights.run('k', read);
    noteRecordChange(); // a merge started
    const b = flights.run('k', read);
    expect(b).not.toBe(a);
    expect(finishers).toHaveLength(2);
    const c = flights.run('k', read); // joins b: nothing changed since b started
    expect(c).toBe(b);
    finishers[0]!(1);
    await a;
    expect(flights.size).toBe(1); // a's end does not drop b's flight
    finishers[1]!(2);
    expect(await c).toBe(2);
    expect(flights.size).toBe(0);
  });

  it('shares an error with the reads that joined, but does not keep it', async () => {
    const flights = new RecordFlights<number>();
    let fail!: (e: Error) => void;
    const a = flights.run('k', () => new Promise<number>((_resolve, reject) => { fail = reject; }));
    const b = flights.run('k', () => Promise.resolve(5));
    fail(new Error('boom'));
    await expect(a).rejects.toThrow('boom');
    await expect(b).rejects.toThrow('boom');
    expect(await flights.run('k', () => Promise.resolve(5))).toBe(5);
  });
});

describe('catalog single flight and errors', () => {
  it('a failed read is not kept: the next read asks the bricks again', async () => {
    const { v, bricks, reads } = await setup();
    for (const b of bricks) b.failNext('getContainer');
    await expect(v.catalog.getContainer(A, C)).rejects.toBeInstanceOf(QuorumNotMet);
    const rec = await v.catalog.getContainer(A, C);
    expect(rec!.metadata['x-container-meta-a']![0]).toBe('1');
    expect(reads()).toBe(8);
  });
});
