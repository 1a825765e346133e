/**
 * Account and container records kept by the catalog (catalog.ts): a kept record is served without
 * asking the bricks only while a read would return the same, and every change is seen at once,
 * whether made here, by another connection to the same bricks (another process), or by a brick
 * going down or coming back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { exists } from '../../../src/storage/catalog.js';
import { FaultyBrick } from '../../../src/storage/brick/faulty.js';
import { BrickIndex, RECORDS_CHECK_MS } from '../../../src/storage/brick/index.js';
import { LocalBrick } from '../../../src/storage/brick/local.js';
import { makeBrick } from '../../../src/storage/brick-spec.js';
import { openVolume, type Volume } from '../../../src/storage/volume.js';
import { BrickUnavailable } from '../../../src/storage/errors.js';
import { record, ref, ts as brickTs } from './brick/helpers.js';
import { body, ts } from './store-helpers.js';

/** A local brick whose calls are counted; it passes on its records version, so the catalog may keep records. */
class CountedBrick extends FaultyBrick {
  recordsVersion(): number | undefined {
    return this.faultMode === 'none' ? (this.inner as LocalBrick).recordsVersion() : undefined;
  }
}

const A = 'AUTH_kept';
const C = 'c';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const fn of cleanups.splice(0).reverse()) await fn(); });

let seq = 0;

/** A 2x2 volume of local bricks with counted calls, and a way to open a second volume (another process) on the same bricks. */
async function setup(): Promise<{ v: Volume; bricks: CountedBrick[]; reads: () => number; accountReads: () => number; other: () => Promise<Volume> }> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-kept-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const spec = { id: `kept-${++seq}`, bricks: [0, 1, 2, 3].map((i) => join(dir, `b${i}`)), replica: 2, fsync: false };
  const bricks: CountedBrick[] = [];
  const v = await openVolume(spec, {
    brickFactory: async (s, vol) => { const b = new CountedBrick(await makeBrick(s, vol)); bricks.push(b); return b; },
  });
  cleanups.push(() => v.close());
  await v.createAccount({ account: A }, { timestamp: ts() });
  await v.createContainer({ account: A, container: C }, { timestamp: ts(), metadata: { 'x-container-meta-a': '1' } });
  return {
    v, bricks,
    reads: () => bricks.reduce((n, b) => n + b.calls.getContainer, 0),
    accountReads: () => bricks.reduce((n, b) => n + b.calls.getAccount, 0),
    other: async () => {
      const w = await openVolume(spec);
      cleanups.push(() => w.close());
      return w;
    },
  };
}

describe('kept records', () => {
  it('a record read once is served again without asking the bricks while nothing changed', async () => {
    const { v, reads, accountReads } = await setup();
    const first = await v.catalog.getContainer(A, C);
    const asked = reads();
    const again = await v.catalog.getContainer(A, C);
    expect(again).toBe(first);
    expect(reads()).toBe(asked);
    expect(again!.metadata['x-container-meta-a']![0]).toBe('1');

    await v.catalog.getAccount(A);
    const accountAsked = accountReads();
    expect(await v.catalog.getAccount(A)).toBeDefined();
    expect(accountReads()).toBe(accountAsked);

    // A missing container is kept as missing too, until it is created.
    expect(await v.catalog.getContainer(A, 'nope')).toBeUndefined();
    const missingAsked = reads();
    expect(await v.catalog.getContainer(A, 'nope')).toBeUndefined();
    expect(reads()).toBe(missingAsked);
    await v.createContainer({ account: A, container: 'nope' }, { timestamp: ts() });
    expect(await v.catalog.getContainer(A, 'nope')).toBeDefined();
  });

  it('a change made through this volume is seen by the next read', async () => {
    const { v, reads } = await setup();
    await v.catalog.getContainer(A, C);
    await v.updateContainerMetadata({ account: A, container: C }, { 'x-container-meta-a': '2' }, { timestamp: ts() });
    const asked = reads();
    const rec = await v.catalog.getContainer(A, C);
    expect(rec!.metadata['x-container-meta-a']![0]).toBe('2');
    expect(reads()).toBeGreaterThan(asked);
  });

  it('a change made by another process on the same bricks is seen at once', async () => {
    const { v, reads, other } = await setup();
    await v.catalog.getContainer(A, C);
    await v.catalog.getAccount(A);
    const w = await other();
    await w.updateContainerMetadata({ account: A, container: C }, { 'x-container-meta-a': 'theirs' }, { timestamp: ts() });
    await w.updateAccountMetadata({ account: A }, { 'x-account-meta-b': 'theirs' }, { timestamp: ts() });
    await sleep(RECORDS_CHECK_MS + 1); // what another process did is seen once the last look at its count is that old
    const asked = reads();
    expect((await v.catalog.getContainer(A, C))!.metadata['x-container-meta-a']![0]).toBe('theirs');
    expect(reads()).toBeGreaterThan(asked);
    expect((await v.catalog.getAccount(A))!.metadata['x-account-meta-b']![0]).toBe('theirs');

    // Deleted elsewhere: gone here too.
    await w.deleteContainer({ account: A, container: C }, { timestamp: ts() });
    await sleep(RECORDS_CHECK_MS + 1);
    expect(exists(await v.catalog.getContainer(A, C))).toBe(false);
    await expect(v.putObject({ account: A, container: C, object: 'o' }, body('x'), {
      timestamp: ts(), contentType: 'text/plain', contentLength: 1,
    })).rejects.toThrow(/container/i);
  });

  it('a brick that goes down, or comes back, makes the next read ask again', async () => {
    const { v, bricks, reads } = await setup();
    await v.catalog.getContainer(A, C);
    const member = v.sets[0]!.members[1]!;
    member.markDown(new BrickUnavailable(member.id));
    let asked = reads();
    expect(await v.catalog.getContainer(A, C)).toBeDefined();
    expect(reads()).toBeGreaterThan(asked);
    asked = reads();
    await v.catalog.getContainer(A, C); // kept, with that brick down
    expect(reads()).toBe(asked);
    member.markUp();
    await v.catalog.getContainer(A, C);
    expect(reads()).toBeGreaterThan(asked);

    // A brick that cannot say its version (here: one failing writes) means asking every time.
    bricks[3]!.fail('writes');
    asked = reads();
    expect(await v.catalog.getContainer(A, C)).toBeDefined();
    expect(await v.catalog.getContainer(A, C)).toBeDefined();
    expect(reads()).toBe(asked + 8);
    bricks[3]!.fail('none');
    await v.catalog.getContainer(A, C);
    asked = reads();
    await v.catalog.getContainer(A, C);
    expect(reads()).toBe(asked);
  });
});

describe('BrickIndex.recordsVersion', () => {
  it('moves with its own record merges at once, with another connection\'s once its last look is old enough, and not with object writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-recver-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'index.db');
    const mine = new BrickIndex(file, { fsync: false });
    const theirs = new BrickIndex(file, { fsync: false });
    cleanups.push(() => { mine.close(); theirs.close(); });
    const v0 = mine.recordsVersion();
    expect(mine.recordsVersion()).toBe(v0);
    mine.mergeAccount({ account: A, putTimestamp: ts(), metadata: {} });
    const v1 = mine.recordsVersion();
    expect(v1).not.toBe(v0);
    expect(mine.getAccount(A)).toBeDefined();
    expect(mine.recordsVersion()).toBe(v1);

    // Another connection's object writes are not record changes.
    theirs.putObject(record(ref('o', C, A), brickTs(1), { size: 0 }));
    mine.putObject(record(ref('p', C, A), brickTs(1), { size: 0 }));
    await sleep(RECORDS_CHECK_MS + 1);
    expect(mine.recordsVersion()).toBe(v1);

    theirs.mergeContainer({ account: A, container: C, putTimestamp: ts(), metadata: {}, storagePolicy: 'Policy-0' });
    await sleep(RECORDS_CHECK_MS + 1);
    const v2 = mine.recordsVersion();
    expect(v2).not.toBe(v1);
    expect(mine.recordsVersion()).toBe(v2);
    // Two connections never share a number.
    expect(theirs.recordsVersion()).not.toBe(v2);
  });

  it('a reopened index never repeats a number; an index of a newer schema is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-recver-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'index.db');
    const idx = new BrickIndex(file, { fsync: false });
    const before = idx.recordsVersion();
    idx.close();
    const again = new BrickIndex(file, { fsync: false });
    expect(again.recordsVersion()).not.toBe(before);
    again.close();
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => new BrickIndex(file, { fsync: false })).toThrow(/schema 99/);
  });
});
