/**
 * Small helpers for bodies middlewares must read or discard. Only small, capped bodies are ever
 * collected in memory (bulk-delete lists, FormPost fields); object data is always streamed.
 */
import type { Readable } from 'node:stream';
import type { ResponseBody, SwiftResponse } from '../../http.js';

/** Discard a response body a middleware is not going to forward (a stream must be consumed or destroyed). */
export function discardBody(body: ResponseBody | undefined): void {
  if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) body.destroy();
}

/**
 * Read a (subrequest) response body fully, up to `limit` bytes (listings and small JSON only);
 * a longer body is an error.
 */
export async function readSmallBody(res: SwiftResponse, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const body = res.body;
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  return readCapped(body, limit);
}

/** Collect a stream of at most `limit` bytes; rejects (and destroys the stream) past the limit. */
export async function readCapped(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buf.length;
    if (total > limit) {
      stream.destroy();
      throw new BodyTooLarge(limit);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`body longer than ${limit} bytes`);
    this.name = 'BodyTooLarge';
  }
}

/** A text/plain response with an exact Content-Length. */
export function textResponse(status: number, body: string, headers: Record<string, string> = {}): SwiftResponse {
  return {
    status,
    headers: { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)), ...headers },
    body,
  };
}

/** Is this a 2xx status? */
export function isSuccess(status: number): boolean { return status >= 200 && status < 300; }
export function isRedirection(status: number): boolean { return status >= 300 && status < 400; }
export function isClientError(status: number): boolean { return status >= 400 && status < 500; }
