/**
 * `cairn bench --workers-compare` end to end with tiny sizes: both servers start, every op is
 * measured against 1 and 2 worker processes, and the JSON report holds the rates and the speedup.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

describe('cairn bench --workers-compare', () => {
  it('measures small objects with 1 and 2 workers and prints JSON', async () => {
    const out = await new Promise<string>((res, rej) => {
      execFile(process.execPath, [join(ROOT, 'bin/cairn'), 'bench', '--workers-compare', '--json', '--no-fsync',
        '--small-count', '40', '--small-kb', '1', '--concurrency', '4', '--sets', '1', '--replica', '2'],
      { timeout: 120_000 }, (err, stdout, stderr) => (err ? rej(new Error(`${err.message}\n${stderr}`)) : res(stdout)));
    });
    const report = JSON.parse(out) as {
      cores: number; rounds: number; ops: Record<string, Record<string, number>>;
      cpu_cores_busy: Record<string, { server: number; client: number }>;
    };
    expect(report.cores).toBeGreaterThan(0);
    // Both servers did work that /proc accounts to them (the 2-worker tree includes its workers).
    expect(Object.keys(report.cpu_cores_busy)).toEqual(['workers_1', 'workers_2']);
    for (const use of Object.values(report.cpu_cores_busy)) {
      expect(use.server).toBeGreaterThan(0);
      expect(use.client).toBeGreaterThan(0);
    }
    expect(Object.keys(report.ops)).toEqual(['PUT', 'GET', 'HEAD', 'DELETE']);
    for (const op of Object.values(report.ops)) {
      expect(op['workers_1_ops_per_sec']).toBeGreaterThan(0);
      expect(op['workers_2_ops_per_sec']).toBeGreaterThan(0);
      expect(op['speedup']).toBeGreaterThan(0);
    }
  }, 150_000);
});
