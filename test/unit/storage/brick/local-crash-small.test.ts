/**
 * Crash safety of small writes (held in memory, put in place by I/O workers, io-pool.ts): a process
 * killed with SIGKILL while writing leaves every object at a version it committed (or the one being
 * committed), whole, with no tmp file and no orphan data file after a sweep and an audit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fsp, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBrick } from '../../../../src/storage/brick/local.js';
import { readData } from './helpers.js';

const VOLUME = 'vol-crash-small';
const OBJECTS = 8;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const dist = path.join(repo, 'dist');
const fixture = path.join(repo, 'test/fixtures/brick-crash-small-writer.mjs');
const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-crash-small-'));
afterAll(async () => { await fsp.rm(scratch, { recursive: true, force: true }); });

/** Rebuild dist/ when the compiled brick is missing or older than its sources. */
function ensureBuilt(): void {
  const out = path.join(dist, 'storage/brick/local.js');
  const srcDir = path.join(repo, 'src/storage/brick');
  const newest = Math.max(...readdirSync(srcDir).filter((f) => f.endsWith('.ts')).map((f) => statSync(path.join(srcDir, f)).mtimeMs));
  if (existsSync(out) && statSync(out).mtimeMs >= newest) return;
  spawnSync('npx', ['tsc', '-p', repo], { cwd: repo, stdio: 'ignore' });
  if (!existsSync(out)) throw new Error('tsc did not produce dist/storage/brick/local.js');
}

const sizeOf = (n: number, k: number): number => (n * 7919 + k * 104729) % 60000;
function expectedBody(n: number, k: number): Buffer {
  const b = Buffer.alloc(sizeOf(n, k));
  for (let i = 0; i < b.length; i++) b[i] = (i * 31 + n * 17 + k) & 0xff;
  return b;
}

/** Run the writer from version `start`; SIGKILL it `delayMs` after its first reported round. */
function runAndKill(dir: string, start: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, dist, dir, VOLUME, String(start)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let last = -1;
    let stderr = '';
    let out = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const l of lines) {
        const m = /^committed (\d+)$/.exec(l);
        if (!m) continue;
        if (last < 0) setTimeout(() => child.kill('SIGKILL'), delayMs);
        last = Number(m[1]);
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`writer exited (${code}): ${stderr}`));
    });
  });
}

describe('LocalBrick crash safety, small writes', () => {
  beforeAll(ensureBuilt, 180_000);

  it('a writer killed with SIGKILL leaves each object at a committed version, whole', async () => {
    const dir = path.join(scratch, 'crash');
    let next = 1;
    for (const delay of [0, 2, 5, 11, 23, 40]) {
      const lastReported = await runAndKill(dir, next, delay);
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
