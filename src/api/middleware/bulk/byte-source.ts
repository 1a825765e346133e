/**
 * Pull-style reading of a Readable in exact amounts (what a tar reader needs), without ever holding
 * more than the stream's own buffer plus one chunk. Uses paused-mode `read()`, so stopping early
 * never destroys the underlying stream (the request socket must survive to carry the response).
 */
import type { Readable } from 'node:stream';

export class TruncatedData extends Error {
  constructor() {
    super('unexpected end of data');
    this.name = 'TruncatedData';
  }
}

export class ByteSource {
  private pending: Buffer | undefined;
  private ended = false;
  private error: Error | undefined;
  private waiter: (() => void) | undefined;
  /** Bytes handed out so far (the tar offset). */
  offset = 0;

  constructor(private readonly stream: Readable) {
    stream.on('readable', () => this.wake());
    stream.on('end', () => { this.ended = true; this.wake(); });
    stream.on('error', (err: Error) => { this.error = err; this.wake(); });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** At least 1 and at most `max` bytes, or null at the end of the stream. */
  async readSome(max: number): Promise<Buffer | null> {
    for (;;) {
      if (this.pending) {
        const p = this.pending;
        if (p.length > max) {
          this.pending = p.subarray(max);
          this.offset += max;
          return p.subarray(0, max);
        }
        this.pending = undefined;
        this.offset += p.length;
        return p;
      }
      if (this.error) throw this.error;
      const chunk = this.stream.read() as Buffer | string | null;
      if (chunk !== null) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        if (buf.length > 0) this.pending = buf;
        continue;
      }
      if (this.ended) return null;
      await new Promise<void>((resolve) => { this.waiter = resolve; });
    }
  }

  /** Exactly `n` bytes; a short stream is TruncatedData. Returns null when the stream ends before any byte. */
  async readExact(n: number): Promise<Buffer | null> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const b = await this.readSome(n - have);
      if (b === null) {
        if (have === 0) return null;
        throw new TruncatedData();
      }
      parts.push(b);
      have += b.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Drop `n` bytes (a short stream is TruncatedData). */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const b = await this.readSome(Math.min(left, 1 << 16));
      if (b === null) throw new TruncatedData();
      left -= b.length;
    }
  }
}
