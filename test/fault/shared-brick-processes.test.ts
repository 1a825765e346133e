/**
 * One LocalBrick directory shared by several processes, as every brick is under
 * `cairn serve --workers N`: the processes open the brand-new brick at the same moment (brick.json and
 * the SQLite index are created once, nobody is refused), then write versions of the same objects
 * concurrently. Newest wins with no errors (a write older than the stored version is a Conflict, which
 * is the answer, not an error), and every record names data with exactly its bytes — also when two
 * processes write one object with the same timestamp.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalBrick } from '../../src/storage/brick/local.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const DIST = join(ROOT, 'dist');
const FIXTURE = join(ROOT, 'test/fixtures/shared-brick-writer.mjs');
const VOLUME = 'shared-vol';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

interface ChildResult { committed: number; conflicts: number; errors: string[] }

function runChild(brickDir: string, lane: number, lanes: number, rounds: number, names: number): Promise<ChildResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [FIXTURE, DIST, brickDir, VOLUME, String(lane), String(lanes), String(rounds), String(names)],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => {
      if (code !== 0) { rej(new Error(`writer ${lane} exited ${code}: ${stderr}`)); return; }
      try { res(JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult); } catch { rej(new Error(`writer ${lane}: ${stdout}${stderr}`)); }
    });
  });
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

async function readAll(brick: LocalBrick, rec: NonNullable<Awaited<ReturnType<LocalBrick['getRecord']>>>): Promise<Buffer> {
  const h = await brick.openData(rec);
  try {
    const chunks: Buffer[] = [];
    for await (const c of h.read()) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  } finally {
    h.close();
  }
}

describe('a LocalBrick shared by several processes', () => {
  it.each([2, 3])('%i processes: one brick identity, newest wins, no errors, records match their data', async (lanes) => {
    if (!existsSync(join(DIST, 'storage/brick/local.js'))) throw new Error('dist/ is missing: run `npx tsc -p .` (npm test does)');
    const dir = mkdtempSync(join(tmpdir(), 'cairn-shared-brick-'));
    dirs.push(dir);
    const brickDir = join(dir, 'b1'); // does not exist yet: every process races to create it
    const rounds = 400;
    const names = 12;
    const results = await Promise.all(Array.from({ length: lanes }, (_v, lane) => runChild(brickDir, lane, lanes, rounds, names)));
    for (const r of results) expect(r.errors).toEqual([]);
    // Every phase-1 write either committed or met a newer version; phase 2 has one winner per name.
    const total = results.reduce((a, r) => a + r.committed + r.conflicts, 0);
    expect(total).toBe(lanes * (rounds + names));

    const brick = new LocalBrick(brickDir, { volumeId: VOLUME, fsync: false });
    await brick.open();
    try {
      expect(JSON.parse(readFileSync(join(brickDir, 'brick.json'), 'utf8'))).toMatchObject({ volumeId: VOLUME });
      for (let n = 0; n < names; n++) {
        const rec = (await brick.getRecord({ account: 'AUTH_shared', container: 'c', object: `o${n}` }))!;
        // Every process writes round k of name k % names at units k * lanes + lane + 1: the newest for
        // this name is the last such round in the last lane.
        const lastK = n + names * Math.floor((rounds - 1 - n) / names);
        const u = 1_700_000_000 * 100_000 + lastK * lanes + lanes;
        expect(rec.timestamp).toBe(`${Math.floor(u / 100000)}.${String(u % 100000).padStart(5, '0')}`);
        expect(md5(await readAll(brick, rec))).toBe(rec.etag);
      }
      for (let i = 0; i < names; i++) {
        const rec = (await brick.getRecord({ account: 'AUTH_shared', container: 'c', object: `same-${i}` }))!;
        const data = await readAll(brick, rec);
        expect(data.length, `same-${i}`).toBe(rec.size);
        expect(md5(data), `same-${i}: the record and its data come from one writer`).toBe(rec.etag);
      }
      expect(await brick.containerUsage('AUTH_shared', 'c')).toMatchObject({ objectCount: 2 * names });
    } finally {
      await brick.close();
    }
  });
});
