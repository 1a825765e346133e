/**
 * A pass-through that fails once more than `max` bytes went through it (Swift's
 * _CappedFileLikeObject): an upload over max_file_size must not be stored.
 */
import { Transform, type TransformCallback } from 'node:stream';

export class MaxFileSizeExceeded extends Error {
  constructor() {
    super('max_file_size exceeded');
    this.name = 'MaxFileSizeExceeded';
  }
}

export class CappedStream extends Transform {
  private seen = 0;
  exceeded = false;
  constructor(private readonly max: number) { super(); }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) {
      this.exceeded = true;
      cb(new MaxFileSizeExceeded());
      return;
    }
    cb(null, chunk);
  }
}
