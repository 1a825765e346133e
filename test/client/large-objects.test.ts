/**
 * Large objects through the real `swift` CLI against `cairn serve`: a 20 MiB file uploaded in 1 MiB
 * segments as a DLO (`--segment-size`) and as an SLO (`--use-slo`), downloaded back with its MD5
 * checked, and `swift delete` removing the manifest together with its segments. Skipped with a
 * message when `swift` is missing, failed under CI=true.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE } from '../../src/config.js';
import { findClients, KEY, missingClient, shouldSkip, startServer, USER, type ChildServer } from './server.js';

const clients = findClients();
const skip = shouldSkip(clients.swift !== undefined, 'the swift CLI');
const MiB = 1024 * 1024;

const md5 = (buf: Buffer): string => createHash('md5').update(buf).digest('hex');

function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(OS|ST)_/.test(k)) env[k] = v;
  return { ...env, PYTHONIOENCODING: 'utf-8', LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' };
}

describe.skipIf(skip)('large objects with the swift CLI', () => {
  let server: ChildServer;
  let work: string;
  let data: Buffer;

  const swift = (...args: string[]): Promise<string> => new Promise((resolve, reject) => {
    execFile(clients.swift!, ['-A', server.authUrl, '-U', USER, '-K', KEY, ...args],
      { cwd: work, env: cliEnv(), maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`swift ${args.join(' ')} failed (${err.code ?? err.signal}):\n${stderr}${stdout}\n--- server ---\n${server.output().slice(-4000)}`));
        else resolve(stdout);
      });
  });

  beforeAll(async () => {
    if (!clients.swift) throw missingClient('the swift CLI');
    // SLO is not in the default pipeline (copy and dlo are required filters and always are). DLO
    // rate limiting (Swift's 1 segment/s after the 10th) is off to keep the test quick.
    server = await startServer({
      pipeline: [...DEFAULT_PIPELINE, 'slo'],
      middleware: { dlo: { rate_limit_segments_per_sec: 0 }, slo: { rate_limit_segments_per_sec: 0 } },
    });
    work = mkdtempSync(join(tmpdir(), 'cairn-lo-'));
    data = randomBytes(20 * MiB);
    writeFileSync(join(work, 'big.bin'), data);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('uploads a DLO in 1 MiB segments, downloads it intact, deletes it with its segments', async () => {
    await swift('upload', '--segment-size', String(MiB), 'dlo', 'big.bin');
    const stat = await swift('stat', 'dlo', 'big.bin');
    expect(stat).toMatch(/Manifest: dlo_segments\/big\.bin\//);
    expect(stat).toMatch(new RegExp(`Content Length: ${20 * MiB}`));
    expect((await swift('list', 'dlo_segments')).trim().split('\n')).toHaveLength(20);

    await swift('download', 'dlo', 'big.bin', '-o', 'dlo-out.bin');
    expect(md5(readFileSync(join(work, 'dlo-out.bin')))).toBe(md5(data));

    await swift('delete', 'dlo', 'big.bin');
    expect((await swift('list', 'dlo')).trim()).toBe('');
    expect((await swift('list', 'dlo_segments')).trim()).toBe('');
  }, 120_000);

  it('uploads an SLO in 1 MiB segments, downloads it intact, deletes it with its segments', async () => {
    await swift('upload', '--use-slo', '--segment-size', String(MiB), 'slo', 'big.bin');
    const stat = await swift('stat', 'slo', 'big.bin');
    expect(stat).toMatch(new RegExp(`Content Length: ${20 * MiB}`));
    expect((await swift('list', 'slo_segments')).trim().split('\n')).toHaveLength(20);
    const listing = JSON.parse(await swift('list', '--json', 'slo')) as Array<Record<string, unknown>>;
    expect(listing).toEqual([expect.objectContaining({ name: 'big.bin', bytes: 20 * MiB, slo_etag: expect.any(String) })]);

    await swift('download', 'slo', 'big.bin', '-o', 'slo-out.bin');
    expect(md5(readFileSync(join(work, 'slo-out.bin')))).toBe(md5(data));

    await swift('delete', 'slo', 'big.bin');
    expect((await swift('list', 'slo')).trim()).toBe('');
    expect((await swift('list', 'slo_segments')).trim()).toBe('');
  }, 120_000);
});
