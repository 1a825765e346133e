/**
 * Store-level operations the remote-bricks bench times against any Volume (local or remote bricks):
 * one large streamed PUT and GET, small PUTs and GETs with latencies, and a listing page. No HTTP in
 * front: what differs between two runs is only how the bricks are reached.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { now } from '../storage/timestamp.js';
import type { Volume } from '../storage/volume.js';
import { byteCounter, socketLikeBody } from './payload.js';
import { mbPerSecond, percentile } from './stats.js';

export const ACCOUNT = 'AUTH_bench';
export const CONTAINER = 'remote';

const seconds = (t: bigint): number => Number(process.hrtime.bigint() - t) / 1e9;

export async function prepare(volume: Volume): Promise<void> {
  await volume.createContainer({ account: ACCOUNT, container: CONTAINER }, { timestamp: now() });
}

/** One PUT then one GET of `bytes`; MiB/s each way. */
export async function large(volume: Volume, bytes: number): Promise<{ putMBps: number; getMBps: number }> {
  const ref = { account: ACCOUNT, container: CONTAINER, object: 'large' };
  let t = process.hrtime.bigint();
  await volume.putObject(ref, socketLikeBody(bytes), { timestamp: now(), contentType: 'application/octet-stream', contentLength: bytes });
  const putMBps = mbPerSecond(bytes, seconds(t));
  t = process.hrtime.bigint();
  const reader = await volume.getObject(ref);
  const sink = byteCounter();
  try {
    await pipeline(reader.read(), sink);
  } finally {
    reader.close();
  }
  if (sink.bytes !== bytes) throw new Error(`read back ${sink.bytes} bytes of ${bytes}`);
  return { putMBps, getMBps: mbPerSecond(bytes, seconds(t)) };
}

export interface OpsResult { opsPerSec: number; p50Ms: number; p99Ms: number }

/** Run op(0..n-1), `width` at a time; ops/s and latency percentiles. */
async function timed(n: number, width: number, op: (i: number) => Promise<void>): Promise<OpsResult> {
  const lat: number[] = [];
  let next = 0;
  const t = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) {
      const i = next++;
      const s = process.hrtime.bigint();
      await op(i);
      lat.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
  }));
  return { opsPerSec: n / seconds(t), p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) };
}

const smallName = (i: number): string => `small/${String(i).padStart(6, '0')}`;

/** `count` PUTs, then `count` GETs, of `size`-byte objects, `concurrency` in flight. */
export async function small(volume: Volume, count: number, size: number, concurrency: number): Promise<{ put: OpsResult; get: OpsResult }> {
  const payload = Buffer.alloc(size, 0x61);
  const put = await timed(count, concurrency, async (i) => {
    await volume.putObject({ account: ACCOUNT, container: CONTAINER, object: smallName(i) }, Readable.from([payload]),
      { timestamp: now(), contentType: 'application/octet-stream', contentLength: size });
  });
  const get = await timed(count, concurrency, async (i) => {
    const reader = await volume.getObject({ account: ACCOUNT, container: CONTAINER, object: smallName(i) });
    const sink = byteCounter();
    try {
      await pipeline(reader.read(), sink);
    } finally {
      reader.close();
    }
    if (sink.bytes !== size) throw new Error(`${smallName(i)}: read ${sink.bytes} bytes`);
  });
  return { put, get };
}

/** Median of three first pages of up to `limit` entries of the bench container. */
export async function listing(volume: Volume, limit: number): Promise<{ entries: number; ms: number }> {
  const times: number[] = [];
  let entries = 0;
  for (let k = 0; k < 3; k++) {
    const t = process.hrtime.bigint();
    const page = await volume.listObjects({ account: ACCOUNT, container: CONTAINER }, { limit });
    times.push(seconds(t) * 1000);
    entries = page.entries.length;
  }
  return { entries, ms: percentile(times, 50) };
}
