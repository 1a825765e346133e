/**
 * Crash safety of small writes (held in memory, put in place by I/O workers, io-pool.ts): a process
 * killed with SIGKILL while writing leaves every object at a version it committed (or the one being
 * committed), whole, with no tmp file and no orphan data file after a sweep and an audit.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBrick } from '../../../../src/storage/brick/local.js';
import { ensureBuilt, repo, runAndKill } from './crash-helpers.js';
import { readData } from './helpers.js';

const VOLUME = 'vol-crash-small';
const OBJECTS = 8;
const fixture = path.join(repo, 'test/fixtures/brick-crash-small-writer.mjs');
const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-crash-small-'));
afterAll(async () => { await fsp.rm(scratch, { recursive: true, force: true }); });

const sizeOf = (n: number, k: number): number => (n * 7919 + k * 104729) % 60000;
function expectedBody(n: number, k: number): Buffer {
  const b = Buffer.alloc(sizeOf(n, k));
  for (let i = 0; i < b.length; i++) b[i] = (i * 31 + n * 17 + k) & 0xff;
  return b;
}

describe('LocalBrick crash safety, small writes', () => {
  beforeAll(ensureBuilt, 180_000);

  it('a writer killed with SIGKILL leaves each object at a committed version, whole', async () => {
    const dir = path.join(scratch, 'crash');
    let next = 1;
    for (const delay of [0, 2, 5, 11, 23, 40]) {
      const lastReported = await runAndKill(fixture, dir, VOLUME, next, delay);
      const brick = new LocalBrick(dir, { volumeId: VOLUME, auditGraceMs: 0 });
      await brick.open(); // sweeps tmp/
      expect(await fsp.readdir(path.join(dir, 'tmp'))).toEqual([]);
      let newest = lastReported;
      const named: string[] = [];
      for (let k = 0; k < OBJECTS; k++) {
        const rec = (await brick.getRecord({ account: 'AUTH_crash', container: 'c', object: `small-${k}` }))!;
        const v = Number(rec.timestamp.slice(11));
        // Every round up to the last reported one is durable; the next may have committed in part.
        expect([lastReported, lastReported + 1]).toContain(v);
        expect(rec.size).toBe(sizeOf(v, k));
        expect((await readData(brick, rec)).equals(expectedBody(v, k))).toBe(true);
        named.push(rec.dataFile!);
        newest = Math.max(newest, v);
      }
      await brick.audit(); // a file placed but not yet indexed is an orphan: removed
      const files: string[] = [];
      for (const e of await fsp.readdir(path.join(dir, 'data'), { recursive: true, withFileTypes: true })) {
        if (e.isFile()) files.push(path.relative(dir, path.join(e.parentPath, e.name)));
      }
      expect(files.sort()).toEqual(named.sort());
      await brick.close();
      next = newest + 1;
    }
  }, 120_000);
});
