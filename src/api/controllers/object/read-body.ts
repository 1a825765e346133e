/**
 * Response bodies of an open ObjectReader, with the reader's contract kept: `reader.close()` is
 * called exactly once, after every stream obtained from `reader.read()` has ended or been
 * destroyed, whether the client read everything, went away, or the response was never sent.
 */
import { Readable } from 'node:stream';
import type { ObjectReader } from '../../../storage/store.js';
import { multipartTerminator, partHeader, type ResolvedRange } from './ranges.js';

/** A close() that runs once however many times it is called. */
export function closeOnce(reader: ObjectReader): () => void {
  let closed = false;
  return () => {
    if (closed) return;
    closed = true;
    reader.close();
  };
}

/** The whole object, or one half-open range of it. */
export function rangeBody(reader: ObjectReader, close: () => void, range?: ResolvedRange): Readable {
  const stream = range === undefined ? reader.read() : reader.read({ start: range.start, end: range.stop - 1 });
  // Brick streams may not auto-destroy at their end (they share a pinned file handle), so release the
  // reader on 'end' as well as on 'close' (destroy, client gone).
  stream.once('end', close);
  stream.once('close', close);
  return stream;
}

/**
 * A multipart/byteranges body (Swift's document_iters_to_multipart_byteranges): for each range
 * "--B\r\nContent-Type: T\r\nContent-Range: bytes s-e/N\r\n\r\n" + bytes + "\r\n", then "--B--".
 * Ranges are read one at a time, each only when the previous one is done, so backpressure holds.
 * `contentType` is the part Content-Type in its latin-1 wire form.
 */
export function multipartBody(reader: ObjectReader, close: () => void, ranges: ResolvedRange[], boundary: string,
                              contentType: string, size: number): Readable {
  let current: Readable | undefined;
  async function* parts(): AsyncGenerator<Buffer> {
    for (const r of ranges) {
      yield partHeader(boundary, contentType, r, size);
      current = reader.read({ start: r.start, end: r.stop - 1 });
      for await (const chunk of current) yield chunk as Buffer;
      current = undefined;
      yield Buffer.from('\r\n');
    }
    yield multipartTerminator(boundary);
  }
  const body = Readable.from(parts(), { objectMode: false });
  // The generator may never run (destroyed before the first read), so cleanup hangs off the outer
  // stream: destroy the part being read, if any, then release the reader.
  body.once('close', () => {
    if (current && !current.destroyed) current.destroy();
    current = undefined;
    close();
  });
  return body;
}
