/** Stream helpers shared by the bricks' data handles. */
import { Readable } from 'node:stream';
import { InvalidArgument, RangeNotSatisfiable } from '../errors.js';
import type { ByteRange } from '../store.js';
import type { DataHandle } from './brick.js';

const CHUNK = 64 * 1024;

/** Whether `range` is a resolved inclusive range inside an object of `size` bytes. */
export function validRange(range: ByteRange, size: number): boolean {
  return Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end)
    && range.start >= 0 && range.start <= range.end && range.end < size;
}

/** A stream that fails with `err` as soon as it is read (errors reach the reader, not the caller of read()). */
export function failedStream(err: Error): Readable {
  return new Readable({ read() { this.destroy(err); } });
}

/** A stream of `buf` (or an inclusive range of it) in chunks of at most 64 KiB; bytes held in memory. */
export function bufferReadable(buf: Buffer, range?: ByteRange): Readable {
  if (range && !validRange(range, buf.length)) return failedStream(new RangeNotSatisfiable(buf.length));
  let pos = range ? range.start : 0;
  const end = range ? range.end + 1 : buf.length;
  return new Readable({
    read() {
      if (pos >= end) { this.push(null); return; }
      const next = Math.min(end, pos + CHUNK);
      const chunk = buf.subarray(pos, next);
      pos = next;
      this.push(chunk);
      if (pos >= end) this.push(null); // end with the last chunk: no extra read() turn
    },
  });
}

/** A data handle over bytes already read: the memory holds the version, as an open fd would. */
export class BufferDataHandle implements DataHandle {
  private closed = false;

  constructor(private readonly bytes: Buffer) {}

  get size(): number { return this.bytes.length; }

  read(range?: ByteRange): Readable {
    if (this.closed) return failedStream(new InvalidArgument('data handle is closed'));
    return bufferReadable(this.bytes, range);
  }

  close(): void { this.closed = true; }
}
