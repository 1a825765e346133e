/**
 * `cairn heal info|full|split-brain` and `cairn volume status|info` as an operator meets them, on a
 * LocalBrick volume in a temp dir: a brick that missed writes shows pending heals and is named as
 * out while down; a wiped brick is refilled by `heal full`; JSON output for scripts. (bin/cairn runs
 * from dist/: `npx tsc -p .` first, as `npm test` does.)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultyBrick } from '../../src/storage/brick/faulty.js';
import { makeBrick } from '../../src/storage/brick-spec.js';
import { openVolume, type Volume } from '../../src/storage/volume.js';
import { putText, ts } from '../unit/storage/store-helpers.js';
import { spawnServe } from './server.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = join(ROOT, 'bin/cairn');
const dir = mkdtempSync(join(tmpdir(), 'cairn-heal-cli-'));
const cfg = join(dir, 'cairn.yaml');
const bricks = ['b0', 'b1', 'b2'].map((b) => join(dir, 'storage', b));

function cairn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [BIN, ...args, '--config', cfg], { cwd: dir, timeout: 120_000 }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Open the volume in this process, brick `faulty` failing every call, run `fn`, close. */
async function withVolume(faulty: number | undefined, fn: (v: Volume) => Promise<void>): Promise<void> {
  const v = await openVolume({ id: 'hcli', bricks, replica: 3, fsync: false }, {
    brickFactory: async (spec, vol) => {
      const f = new FaultyBrick(await makeBrick(spec, vol));
      if (faulty !== undefined && spec === bricks[faulty]) f.fail('all');
      return f;
    },
  });
  try { await fn(v); } finally { await v.close(); }
}

beforeAll(async () => {
  writeFileSync(cfg, `storage:\n  root: ${join(dir, 'storage')}\nvolume:\n  id: hcli\n  replica: 3\n  bricks: [b0, b1, b2]\n  fsync: false\n`);
  await withVolume(undefined, async (v) => {
    await v.createContainer({ account: 'AUTH_t', container: 'c' }, { timestamp: ts() });
    for (let i = 0; i < 5; i++) await putText(v, 'AUTH_t', 'c', `o${i}`, `object ${i}`);
  });
  // Brick 2 misses two writes.
  await withVolume(2, async (v) => {
    await putText(v, 'AUTH_t', 'c', 'late1', 'written while b2 was away');
    await putText(v, 'AUTH_t', 'c', 'late2', 'this one too');
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cairn heal and volume status', () => {
  it('volume info describes the volume', async () => {
    const r = await cairn(['volume', 'info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Volume Name: hcli');
    expect(r.stdout).toContain('Type: Replicate');
    expect(r.stdout).toContain('Number of Bricks: 1 x 3 = 3');
    expect(r.stdout).toContain('heal.favorite-child-policy: none');
  });

  it('heal info shows the pending heals the good replicas hold', async () => {
    const r = await cairn(['heal', 'info', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as { bricks: Array<{ brick: string; pending: number; dirty: number; entries: Array<{ object: string; blamed: string[] }> }> };
    const byBrick = new Map(info.bricks.map((b) => [b.brick, b]));
    expect(byBrick.get(bricks[0]!)!.pending).toBe(2);
    expect(byBrick.get(bricks[1]!)!.pending).toBe(2);
    expect(byBrick.get(bricks[2]!)!.pending + byBrick.get(bricks[2]!)!.dirty).toBe(0);
    expect(byBrick.get(bricks[0]!)!.entries.map((e) => e.object).sort()).toEqual(['AUTH_t/c/late1', 'AUTH_t/c/late2']);
    const text = await cairn(['heal', 'info']);
    expect(text.stdout).toContain('Number of entries: 2 (pending 2, dirty 0)');
  });

  it('volume status shows objects per brick and pending heals; heal full makes them agree', async () => {
    const before = JSON.parse((await cairn(['volume', 'status', '--json'])).stdout) as { ok: boolean; bricks: Array<{ objects: number; healPending: number; online: boolean }> };
    expect(before.ok).toBe(true);
    expect(before.bricks.map((b) => b.objects)).toEqual([7, 7, 5]);
    expect(before.bricks.map((b) => b.healPending)).toEqual([2, 2, 0]);
    const full = await cairn(['heal', 'full', '--grace', '0']);
    expect(full.code).toBe(0);
    expect(full.stdout).toContain('Full heal finished');
    expect(full.stdout).toMatch(/index: 2 objects with heal marks: 2 healed/);
    expect(full.stdout).toMatch(/set 0: 7 scanned, 0 differing/);
    const after = JSON.parse((await cairn(['volume', 'status', '--json'])).stdout) as typeof before;
    expect(after.bricks.map((b) => b.objects)).toEqual([7, 7, 7]);
    expect(after.bricks.map((b) => b.healPending)).toEqual([0, 0, 0]);
    const status = await cairn(['volume', 'status']);
    expect(status.stdout).toContain('Status of volume: hcli');
    expect(status.stdout).toContain('Every replica set has quorum.');
  });

  it('a wiped brick is refilled by heal full; split-brain finds none', async () => {
    rmSync(bricks[1]!, { recursive: true, force: true });
    const wiped = JSON.parse((await cairn(['volume', 'status', '--json'])).stdout) as { bricks: Array<{ objects: number }> };
    expect(wiped.bricks.map((b) => b.objects)).toEqual([7, 0, 7]);
    expect((await cairn(['heal', 'full', '--quiet', '--grace', '0'])).code).toBe(0);
    const refilled = JSON.parse((await cairn(['volume', 'status', '--json'])).stdout) as typeof wiped;
    expect(refilled.bricks.map((b) => b.objects)).toEqual([7, 7, 7]);
    const sb = await cairn(['heal', 'split-brain', '--crawl']);
    expect(sb.code).toBe(0);
    expect(sb.stdout).toContain('No split-brain entries');
  });

  it('a brick that is gone is named as out', async () => {
    // A file where the brick directory should be: the brick cannot open.
    rmSync(bricks[2]!, { recursive: true, force: true });
    writeFileSync(bricks[2]!, 'not a directory');
    const r = await cairn(['volume', 'status', '--json']);
    const st = JSON.parse(r.stdout) as { ok: boolean; bricks: Array<{ online: boolean; detail?: string }> };
    expect(st.ok).toBe(true); // 2 of 3: still quorate
    expect(st.bricks[2]!.online).toBe(false);
    expect(st.bricks[2]!.detail).toBeTruthy();
    const info = await cairn(['heal', 'info']);
    expect(info.stdout).toMatch(/Status: Disconnected/);
  });
});

describe('cairn serve heals in the background', () => {
  it('a gateway started over bricks that missed writes heals them, while `cairn volume status` watches', async () => {
    // Same volume as above, restored: brick 2 a directory again, brick 1 missing two writes.
    rmSync(bricks[2]!, { recursive: true, force: true });
    await withVolume(1, async (v) => {
      await putText(v, 'AUTH_t', 'c', 'bg1', 'healed by the gateway');
      await putText(v, 'AUTH_t', 'c', 'bg2', 'this one too');
    });
    writeFileSync(cfg, `storage:\n  root: ${join(dir, 'storage')}\nvolume:\n  id: hcli\n  replica: 3\n  bricks: [b0, b1, b2]\n  fsync: false\n`
      + 'log:\n  level: warn\nheal:\n  interval_ms: 100\n');
    const serve = await spawnServe(cfg, dir);
    let code: number | null = null;
    try {
      const until = Date.now() + 20_000;
      for (;;) {
        const st = JSON.parse((await cairn(['volume', 'status', '--json'])).stdout) as { bricks: Array<{ objects: number; healPending: number }> };
        // Brick 2 was wiped above: the index heal does not refill it (no marks blame it), only bg1/bg2 on brick 1.
        if (st.bricks[1]!.objects === st.bricks[0]!.objects && st.bricks.every((b) => b.healPending === 0)) break;
        if (Date.now() > until) throw new Error(`not healed: ${JSON.stringify(st)}\n${serve.output()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      code = await serve.stop();
    }
    expect(code).toBe(0);
  }, 60_000);
});
