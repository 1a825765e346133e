/** Small objects: PUT, GET, HEAD, then DELETE of `count` objects of `kib` KiB at `concurrency`. */
import type { Progress } from './progress.js';
import type { OpStats, SmallResult } from './results.js';
import { runOps } from './run-ops.js';
import { smallBody } from './payload.js';
import { percentile } from './stats.js';
import { expectOk, type SwiftSession } from './swift-client.js';

export async function benchSmall(s: SwiftSession, kib: number, count: number, concurrency: number, progress: Progress): Promise<SmallResult> {
  const container = 'bench-small';
  const body = smallBody(kib * 1024);
  const name = (i: number): string => `obj-${String(i).padStart(7, '0')}`;
  expectOk('PUT container', await s.send('PUT', s.path(container)));

  const ops: OpStats[] = [];
  const run = async (op: 'PUT' | 'GET' | 'HEAD' | 'DELETE'): Promise<void> => {
    progress.start(`small ${op}`, count, 'objects');
    const r = await runOps(count, concurrency, async (i) => {
      const reply = op === 'PUT'
        ? await s.send('PUT', s.path(container, name(i)), body, { 'content-length': String(body.length) })
        : await s.send(op, s.path(container, name(i)));
      expectOk(`${op} ${name(i)}`, reply);
      if (op === 'GET' && reply.bytes !== body.length) throw new Error(`GET ${name(i)}: ${reply.bytes} bytes`);
    }, () => progress.tick());
    progress.stop();
    ops.push({ op, count, opsPerSec: count / r.seconds, p50Ms: percentile(r.latencies, 50), p99Ms: percentile(r.latencies, 99) });
  };
  await run('PUT');
  await run('GET');
  await run('HEAD');
  await run('DELETE');
  expectOk('DELETE container', await s.send('DELETE', s.path(container)));
  return { kib, count, concurrency, ops };
}
