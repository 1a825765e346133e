/** The bench report's large-object table: the target beside raw fs and plain HTTP, with a ratio to each. */
import { describe, expect, it } from 'vitest';
import { formatTable, toJson } from '../../../src/bench/report.js';
import type { BenchResults } from '../../../src/bench/results.js';

const results: BenchResults = {
  target: 'cairn', dir: '/tmp/x',
  large: { mib: 256, putMBps: 346, getMBps: 764, rawWriteMBps: 1632.8, rawReadMBps: 2683.5, plainPutMBps: 410, plainGetMBps: 1500 },
};

describe('bench report, large object', () => {
  it('prints both yardsticks and both ratios, in aligned columns', () => {
    const lines = formatTable(results).split('\n');
    const header = lines.find((l) => l.includes('raw fs MB/s'))!;
    const put = lines.find((l) => l.startsWith('  PUT'))!;
    const get = lines.find((l) => l.startsWith('  GET'))!;
    expect(header).toMatch(/MB\/s\s+raw fs MB\/s\s+ratio\s+plain HTTP MB\/s\s+ratio$/);
    expect(put.trim().split(/\s+/)).toEqual(['PUT', '346.0', '1632.8', '0.21', '410.0', '0.84']);
    expect(get.trim().split(/\s+/)).toEqual(['GET', '764.0', '2683.5', '0.28', '1500.0', '0.51']);
    // Right-aligned columns: every row ends where the header does.
    expect(put.length).toBe(header.length);
    expect(get.length).toBe(header.length);
    expect(header.indexOf('plain HTTP MB/s') + 'plain HTTP MB/s'.length).toBe(put.indexOf('410.0') + '410.0'.length);
  });

  it('gives the plain HTTP rates and ratios in JSON, keeping the raw ones', () => {
    const j = JSON.parse(toJson(results)) as { large: Record<string, number> };
    expect(j.large).toMatchObject({
      put_mbps: 346, get_mbps: 764, raw_write_mbps: 1632.8, raw_read_mbps: 2683.5, put_ratio: 0.212, get_ratio: 0.285,
      plain_put_mbps: 410, plain_get_mbps: 1500, put_plain_ratio: 0.844, get_plain_ratio: 0.509,
    });
  });
});
