/** sendBody (src/send-body.ts): response bodies with backpressure, Swift's ByteEnforcer, and cleanup both ways. */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { sendBody } from '../../src/send-body.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => { if (server) server.close(() => r()); else r(); });
  server = undefined;
});

/** Serve one response built by `respond`; resolves with what `respond`'s sendBody did and what the client got. */
async function exchange(respond: (res: ServerResponse) => Promise<void>): Promise<{ sent: unknown; status?: number; body: Buffer; error?: string }> {
  let done!: Promise<unknown>;
  server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    done = respond(res).then(() => 'ok', (e: Error) => e.message);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  const got = await new Promise<{ status?: number; body: Buffer; error?: string }>((resolve) => {
    const chunks: Buffer[] = [];
    const req = request({ port, host: '127.0.0.1', path: '/', agent: false }, (res) => {
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      res.on('error', (e) => resolve({ status: res.statusCode, body: Buffer.concat(chunks), error: e.message }));
    });
    req.on('error', (e) => resolve({ body: Buffer.concat(chunks), error: e.message }));
    req.end();
  });
  return { sent: await done, ...got };
}

/** A body of `n` chunks of `size` bytes that records whether it was destroyed. */
function body(n: number, size: number): Readable & { wasDestroyed: () => boolean } {
  let i = 0;
  const r = new Readable({ read() { this.push(i++ < n ? Buffer.alloc(size, 97 + (i % 26)) : null); } });
  return Object.assign(r, { wasDestroyed: () => r.destroyed });
}

describe('sendBody', () => {
  it('sends a body of exactly its Content-Length, large ones with backpressure', async () => {
    for (const [n, size] of [[1, 4096], [0, 0], [64, 256 * 1024]] as const) {
      const b = body(n, size);
      const r = await exchange(async (res) => {
        res.setHeader('Content-Length', n * size);
        await sendBody(b, res, n * size);
      });
      expect(r.sent).toBe('ok');
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(n * size);
      expect(b.readableEnded || b.destroyed).toBe(true); // released either way
    }
  });

  it('sends a body without a Content-Length (chunked) to its end', async () => {
    const r = await exchange((res) => sendBody(body(3, 1000), res));
    expect(r.sent).toBe('ok');
    expect(r.body.length).toBe(3000);
  });

  it('a body shorter than its Content-Length cuts the response (the client does not hang)', async () => {
    const r = await exchange(async (res) => {
      res.setHeader('Content-Length', 5000);
      await sendBody(body(1, 4000), res, 5000);
    });
    expect(r.sent).toMatch(/ended after 4000 of 5000 bytes/);
    expect(r.error ?? (r.body.length < 5000 ? 'short' : '')).not.toBe('');
  });

  it('a body longer than its Content-Length is refused', async () => {
    const b = body(2, 4000);
    const r = await exchange(async (res) => {
      res.setHeader('Content-Length', 5000);
      await sendBody(b, res, 5000);
    });
    expect(r.sent).toMatch(/runs past its 5000 bytes/);
    expect(b.wasDestroyed()).toBe(true);
  });

  it('a body that fails destroys the response', async () => {
    const failing = new Readable({ read() { this.destroy(new Error('disk gone')); } });
    const r = await exchange(async (res) => {
      res.setHeader('Content-Length', 100);
      await sendBody(failing, res, 100);
    });
    expect(r.sent).toBe('disk gone');
    expect(r.error).toBeDefined();
  });

  it('a client that goes away destroys the body (its reader is released)', async () => {
    const endless = new Readable({ read() { this.push(Buffer.alloc(64 * 1024)); } });
    let sending!: Promise<string>;
    server = createServer((_req, res) => {
      res.setHeader('Content-Length', 1e12);
      sending = sendBody(endless, res, 1e12).then(() => 'ok', (e: Error) => e.message);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => {
      const req = request({ port, host: '127.0.0.1', path: '/', agent: false }, (res) => {
        res.once('data', () => { req.destroy(); resolve(); });
      });
      req.on('error', () => resolve());
      req.end();
    });
    expect(await sending).toMatch(/closed before it finished/);
    expect(endless.destroyed).toBe(true);
  });
});
