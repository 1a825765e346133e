/**
 * Large objects through the real `swift` CLI against `cairn serve`: a 20 MiB file uploaded in 1 MiB
 * segments as a DLO (`--segment-size`) and as an SLO (`--use-slo`), downloaded back with its MD5
 * checked, and `swift delete` removing the manifest together with its segments. Skipped with a
 * message when `swift` is missing, failed under CI=true.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE } from '../../src/config.js';
import { findClients, runSwift, shouldSkip, suiteServer } from './server.js';

const clients = findClients();
const skip = shouldSkip(clients.swift !== undefined, 'the swift CLI');
const MiB = 1024 * 1024;

const md5 = (buf: Buffer): string => createHash('md5').update(buf).digest('hex');

describe.skipIf(skip)('large objects with the swift CLI', () => {
  // SLO is not in the default pipeline (copy and dlo are required filters and always are). DLO
  // rate limiting (Swift's 1 segment/s after the 10th) is off to keep the test quick.
  const suite = suiteServer({ path: clients.swift, what: 'the swift CLI' }, 'cairn-lo-', {
    pipeline: [...DEFAULT_PIPELINE, 'slo'],
    middleware: { dlo: { rate_limit_segments_per_sec: 0 }, slo: { rate_limit_segments_per_sec: 0 } },
  });
  const swift = (...args: string[]): Promise<string> => runSwift(clients.swift!, suite.server, suite.work, args);
  let data: Buffer;

  beforeAll(() => {
    data = randomBytes(20 * MiB);
    writeFileSync(join(suite.work, 'big.bin'), data);
  });

  it('uploads a DLO in 1 MiB segments, downloads it intact, deletes it with its segments', async () => {
    await swift('upload', '--segment-size', String(MiB), 'dlo', 'big.bin');
    const stat = await swift('stat', 'dlo', 'big.bin');
    expect(stat).toMatch(/Manifest: dlo_segments\/big\.bin\//);
    expect(stat).toMatch(new RegExp(`Content Length: ${20 * MiB}`));
    expect((await swift('list', 'dlo_segments')).trim().split('\n')).toHaveLength(20);

    await swift('download', 'dlo', 'big.bin', '-o', 'dlo-out.bin');
    expect(md5(readFileSync(join(suite.work, 'dlo-out.bin')))).toBe(md5(data));

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
    expect(md5(readFileSync(join(suite.work, 'slo-out.bin')))).toBe(md5(data));

    await swift('delete', 'slo', 'big.bin');
    expect((await swift('list', 'slo')).trim()).toBe('');
    expect((await swift('list', 'slo_segments')).trim()).toBe('');
  }, 120_000);
});
