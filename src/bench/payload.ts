/**
 * Request bodies for the bench: `size` bytes streamed from one random 1 MiB block, so a 4 GiB body
 * costs 1 MiB of client memory and the bytes do not compress (no filesystem or transport gets a free ride).
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

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

/** A small body as one buffer (small-object PUTs send it in one write). */
export function smallBody(size: number): Buffer {
  return BLOCK.subarray(0, size);
}
