/**
 * Large-object streaming: one PUT and one GET of `mib` MiB, beside two yardsticks measured first in
 * the same run: Node's raw file-stream rates, and a bare Node HTTP server's (plain-http.ts). Both run
 * whatever the target, upstream Swift included: they measure the machine, not the target.
 */
import { measurePlainHttp } from './plain-http.js';
import { measureRawFs } from './raw-fs.js';
import type { LargeResult } from './results.js';
import { MiB, mbPerSecond } from './stats.js';
import { expectOk, timeRoundTrip, type SwiftSession } from './swift-client.js';

export async function benchLarge(s: SwiftSession, dir: string, mib: number): Promise<LargeResult> {
  const size = mib * MiB;
  const raw = await measureRawFs(dir, size);
  const plain = await measurePlainHttp(dir, size);

  const container = 'bench-large';
  expectOk('PUT container', await s.send('PUT', s.path(container)));
  const { putSeconds, getSeconds } = await timeRoundTrip(s, s.path(container, 'large.bin'), size, 'large object');
  expectOk('DELETE container', await s.send('DELETE', s.path(container)));
  return {
    mib,
    putMBps: mbPerSecond(size, putSeconds),
    getMBps: mbPerSecond(size, getSeconds),
    rawWriteMBps: mbPerSecond(size, raw.writeSeconds),
    rawReadMBps: mbPerSecond(size, raw.readSeconds),
    plainPutMBps: mbPerSecond(size, plain.putSeconds),
    plainGetMBps: mbPerSecond(size, plain.getSeconds),
  };
}
