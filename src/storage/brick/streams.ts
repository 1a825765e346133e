/** Stream helpers shared by the bricks' data handles. */
import { Readable } from 'node:stream';
import type { ByteRange } from '../store.js';

/** Whether `range` is a resolved inclusive range inside an object of `size` bytes. */
export function validRange(range: ByteRange, size: number): boolean {
  return Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end)
    && range.start >= 0 && range.start <= range.end && range.end < size;
}

/** A stream that fails with `err` as soon as it is read (errors reach the reader, not the caller of read()). */
export function failedStream(err: Error): Readable {
  return new Readable({ read() { this.destroy(err); } });
}
