/** The bench client keeps connections open for every method, HEAD included (so HEAD rates are not TCP setup rates). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SwiftSession } from '../../../src/bench/swift-client.js';

let server: Server | undefined;
afterEach(async () => { await new Promise((r) => server?.close(r)); server = undefined; });

describe('SwiftSession', () => {
  it('sends HEAD, GET and PUT over kept-alive connections with the token', async () => {
    let connections = 0;
    const seen: string[] = [];
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-auth-token']}`);
      req.resume();
      req.on('end', () => {
        res.setHeader('content-length', req.method === 'GET' ? '5' : '0');
        if (req.method === 'HEAD') res.setHeader('x-object-meta-a', 'b');
        res.statusCode = req.method === 'PUT' ? 201 : 200;
        res.end(req.method === 'GET' ? 'hello' : undefined);
      });
    });
    server.on('connection', () => { connections++; });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const s = new SwiftSession(new URL(`http://127.0.0.1:${port}/v1/AUTH_x`), 'tok', 2);
    try {
      for (let i = 0; i < 20; i++) {
        const head = await s.send('HEAD', s.path('c', `o${i}`));
        expect(head.status).toBe(200);
        expect(head.headers['x-object-meta-a']).toBe('b');
      }
      // Twenty HEADs one after another: one connection, not twenty.
      expect(connections).toBe(1);
      expect((await s.send('GET', s.path('c', 'o'))).bytes).toBe(5);
      expect((await s.send('PUT', s.path('c', 'o'), Buffer.from('x'), { 'content-length': '1' })).status).toBe(201);
    } finally {
      await s.close();
    }
    expect(seen[0]).toBe('HEAD /v1/AUTH_x/c/o0 tok');
    expect(seen).toHaveLength(22);
  });
});
