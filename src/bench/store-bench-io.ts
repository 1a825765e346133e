/**
 * Store bench, parts (b) and (c): a large streamed PUT with the process's RSS growth, and
 * small-object PUT/GET operations per second, straight against a Volume of LocalBricks.
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { byteCounter, socketLikeBody } from './payload.js';
import { RssMeter } from './rss.js';
import { now } from '../storage/timestamp.js';
import { openVolume } from '../storage/volume.js';

const ACCOUNT = 'AUTH_bench';
const CONTAINER = 'io';

export interface LargePutResult { bytes: number; seconds: number; mibPerSecond: number; rssBaseline: number; rssPeak: number; rssGrowth: number; exact: boolean }

/** (b) One PUT of `bytes` through a 1x2 LocalBrick set (fsync on), then read back once. */
export async function largePutBench(dir: string, bytes: number): Promise<LargePutResult> {
  const volume = await openVolume({ id: 'bench-large', bricks: [join(dir, 'large-b0'), join(dir, 'large-b1')], replica: 2, fsync: true });
  try {
    await volume.createContainer({ account: ACCOUNT, container: CONTAINER }, { timestamp: now() });
    const meter = new RssMeter(process.pid);
    const rssBaseline = process.memoryUsage.rss();
    meter.start();
    const t = process.hrtime.bigint();
    const info = await volume.putObject({ account: ACCOUNT, container: CONTAINER, object: 'large' }, socketLikeBody(bytes),
      { timestamp: now(), contentType: 'application/octet-stream', contentLength: bytes });
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    const peak = meter.stop();
    if (info.size !== bytes) throw new Error(`stored ${info.size} bytes, sent ${bytes}`);
    // Read it back once (to a sink) so a broken large-file path cannot go unnoticed.
    const reader = await volume.getObject({ account: ACCOUNT, container: CONTAINER, object: 'large' });
    const sink = byteCounter();
    await pipeline(reader.read(), sink);
    reader.close();
    if (sink.bytes !== bytes) throw new Error(`read back ${sink.bytes} bytes of ${bytes}`);
    const rssPeak = peak?.peak ?? process.memoryUsage.rss();
    return {
      bytes, seconds, mibPerSecond: bytes / 1048576 / seconds, rssBaseline, rssPeak,
      rssGrowth: Math.max(0, rssPeak - rssBaseline), exact: peak?.exact ?? false,
    };
  } finally {
    await volume.close();
  }
}

export interface SmallOpsResult { shape: string; objects: number; size: number; concurrency: number; putPerSecond: number; getPerSecond: number }

/** (c) `objects` PUTs then GETs of `size`-byte objects, `concurrency` at a time, fsync on. */
export async function smallOpsBench(dir: string, sets: number, replica: number, objects: number, size: number,
                                    concurrency: number): Promise<SmallOpsResult> {
  const shape = `${sets}x${replica}`;
  const bricks = Array.from({ length: sets * replica }, (_x, i) => join(dir, `small-${shape}-b${i}`));
  const volume = await openVolume({ id: `bench-small-${shape}`, bricks, replica, fsync: true });
  try {
    await volume.createContainer({ account: ACCOUNT, container: CONTAINER }, { timestamp: now() });
    const payload = Buffer.alloc(size, 0x61);
    const name = (i: number): string => `small/${String(i).padStart(6, '0')}`;
    const putSeconds = await inParallel(objects, concurrency, async (i) => {
      await volume.putObject({ account: ACCOUNT, container: CONTAINER, object: name(i) }, Readable.from([payload]),
        { timestamp: now(), contentType: 'application/octet-stream', contentLength: size });
    });
    const getSeconds = await inParallel(objects, concurrency, async (i) => {
      const reader = await volume.getObject({ account: ACCOUNT, container: CONTAINER, object: name(i) });
      const sink = byteCounter();
      await pipeline(reader.read(), sink);
      reader.close();
      if (sink.bytes !== size) throw new Error(`object ${name(i)} read ${sink.bytes} bytes`);
    });
    return { shape, objects, size, concurrency, putPerSecond: objects / putSeconds, getPerSecond: objects / getSeconds };
  } finally {
    await volume.close();
  }
}

/** Run op(0..n-1) with at most `width` in flight; resolves with the elapsed seconds. */
async function inParallel(n: number, width: number, op: (i: number) => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) await op(next++);
  }));
  return Number(process.hrtime.bigint() - t) / 1e9;
}
