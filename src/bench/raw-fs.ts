/**
 * The yardstick: how fast Node itself streams a file to and from the same filesystem, measured in the
 * same run. Write = stream the same payload into a file and fsync it (Cairn fsyncs its data files);
 * read = stream that file into a sink that only counts.
 */
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { payload } from './payload.js';

export interface RawRates { writeSeconds: number; readSeconds: number }

export async function measureRawFs(dir: string, size: number): Promise<RawRates> {
  const file = join(dir, 'raw-baseline.bin');
  try {
    let t0 = performance.now();
    // flush: fsync before close, as Cairn fsyncs each data file before it counts as written.
    await pipeline(payload(size), createWriteStream(file, { flush: true, highWaterMark: 1 << 20 }));
    const writeSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), countingSink());
    const readSeconds = (performance.now() - t0) / 1000;
    return { writeSeconds, readSeconds };
  } finally {
    rmSync(file, { force: true });
  }
}

/** A Writable that drops what it is given (as fast as a consumer can be). */
export function countingSink(): Writable & { bytes: number } {
  const sink = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) { sink.bytes += chunk.length; cb(); },
  }) as Writable & { bytes: number };
  sink.bytes = 0;
  return sink;
}
