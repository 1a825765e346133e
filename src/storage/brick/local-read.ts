/**
 * Reading data files for LocalBrick.openData. Small files are read whole (the fast path for objects
 * of a few KiB, where an open file handle, a stat and a file stream cost more than the bytes): opened,
 * read in one go and closed on the threadpool through plain descriptors (no FileHandle object).
 * Larger files are read from one pinned FileHandle by positional reads that never close it.
 */
import { close, open, read, type promises } from 'node:fs';
import { Readable } from 'node:stream';

function openRead(file: string): Promise<number> {
  return new Promise((resolve, reject) => open(file, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
}

function readAt(fd: number, buf: Buffer, offset: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, offset, buf.length - offset, position, (err, n) => (err ? reject(err) : resolve(n))));
}

/**
 * The whole of `file`, which must be exactly `size` bytes: one byte more is asked for, so a file of
 * the wrong size (truncated, or longer than its record says) fails without a stat.
 */
export async function readWhole(file: string, size: number): Promise<Buffer> {
  const fd = await openRead(file);
  try {
    const buf = Buffer.allocUnsafe(size + 1);
    let got = 0;
    for (;;) {
      const n = await readAt(fd, buf, got, got);
      if (n === 0) break;
      got += n;
      if (got > size) break;
    }
    if (got !== size) throw new Error(`data file is ${got > size ? 'longer' : `${got} bytes`}, record says ${size}`);
    return buf.subarray(0, size);
  } finally {
    close(fd, () => undefined); // nothing waits for it: the bytes are read
  }
}

/**
 * Bytes start..end (inclusive) of `fh`, read `chunk` bytes at a time at explicit positions. Unlike a
 * file stream over a FileHandle, destroying this stream leaves the handle open, so other reads of the
 * same handle (concurrent or later) go on; the handle's owner closes it.
 */
export function positionalReadable(fh: promises.FileHandle, start: number, end: number, chunk: number): Readable {
  let pos = start;
  return new Readable({
    highWaterMark: chunk,
    read() {
      if (pos > end) { this.push(null); return; }
      const want = Math.min(chunk, end + 1 - pos);
      fh.read(Buffer.allocUnsafe(want), 0, want, pos).then(({ bytesRead, buffer }) => {
        if (this.destroyed) return;
        if (bytesRead === 0) { this.destroy(new Error(`data file ended at ${pos}, expected ${end + 1} bytes`)); return; }
        pos += bytesRead;
        this.push(bytesRead === want ? buffer : buffer.subarray(0, bytesRead));
        if (pos > end) this.push(null); // end with the last chunk: no extra read() turn
      }, (err: unknown) => this.destroy(err as Error));
    },
  });
}
