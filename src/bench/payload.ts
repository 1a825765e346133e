/**
 * Request bodies for the bench: `size` bytes streamed from one random 1 MiB block, so a 4 GiB body
 * costs 1 MiB of client memory and the bytes do not compress (no filesystem or transport gets a free ride).
 */
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';

const BLOCK = randomBytes(1 << 20);

/** A stream of exactly `size` bytes. */
export function payload(size: number): Readable {
  let left = size;
  return new Readable({
    highWaterMark: BLOCK.length,
    read() {
      if (left <= 0) { this.push(null); return; }
      const n = Math.min(left, BLOCK.length);
      left -= n;
      this.push(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n));
    },
  });
}

/**
 * `bytes` of a repeating pattern in fresh 64 KiB chunks, as a socket would deliver them (the store
 * benches measure RSS, so each chunk is a new allocation, unlike payload()).
 */
export function socketLikeBody(bytes: number): Readable {
  const pattern = Buffer.alloc(65536);
  for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 31) & 0xff;
  let left = bytes;
  return new Readable({
    highWaterMark: 65536,
    read() {
      if (left <= 0) { this.push(null); return; }
      const n = Math.min(left, pattern.length);
      const chunk = Buffer.allocUnsafe(n);
      pattern.copy(chunk, 0, 0, n);
      left -= n;
      this.push(chunk);
    },
  });
}

/** A sink that counts the bytes written to it. */
export function byteCounter(): Writable & { bytes: number } {
  const w = new Writable({ write(chunk: Buffer, _e, cb) { w.bytes += chunk.length; cb(); } }) as Writable & { bytes: number };
  w.bytes = 0;
  return w;
}

/** A small body as one buffer (small-object PUTs send it in one write). */
export function smallBody(size: number): Buffer {
  return BLOCK.subarray(0, size);
}
