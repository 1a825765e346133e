/**
 * The bench client keeps connections open for every method, HEAD included (so HEAD rates are not TCP
 * setup rates); bodiless and Buffer requests share the lean pool, streamed bodies still upload.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { payload } from '../../../src/bench/payload.js';
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
      // GET and a Buffer PUT ride the same kept-alive connection as the HEADs.
      expect(connections).toBe(1);
    } finally {
      await s.close();
    }
    expect(seen[0]).toBe('HEAD /v1/AUTH_x/c/o0 tok');
    expect(seen).toHaveLength(22);
  });

  it('sends Content-Length: 0 on a bodiless PUT, streams a Readable PUT, and parses a chunked JSON listing', async () => {
    const seen: Array<{ method: string; url: string; cl: string | undefined; token: string | undefined; bytes: number }> = [];
    server = createServer((req, res) => {
      let bytes = 0;
      req.on('data', (d: Buffer) => { bytes += d.length; });
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, cl: req.headers['content-length'], token: req.headers['x-auth-token'] as string | undefined, bytes });
        if (req.method === 'GET' && req.url!.includes('format=json')) {
          if (req.url!.includes('/missing')) { res.statusCode = 404; res.end('no'); return; }
          // No Content-Length: Node sends it chunked, in two chunks.
          res.setHeader('content-type', 'application/json');
          res.write('[{"name":"a"},');
          setTimeout(() => res.end('{"name":"b"}]'), 5);
          return;
        }
        res.statusCode = 201;
        res.setHeader('content-length', '0');
        res.end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const s = new SwiftSession(new URL(`http://127.0.0.1:${port}/v1/AUTH_x`), 'tok', 4);
    const size = 3 * 1024 * 1024 + 7;
    try {
      expect((await s.send('PUT', s.path('c'))).status).toBe(201);
      expect((await s.send('PUT', s.path('c', 'big'), payload(size), { 'content-length': String(size) })).status).toBe(201);
      const list = await s.json<Array<{ name: string }>>(s.path('c', undefined, '?format=json'));
      expect(list).toEqual({ status: 200, value: [{ name: 'a' }, { name: 'b' }] });
      expect(await s.json(s.path('missing', undefined, '?format=json'))).toEqual({ status: 404, value: undefined });
    } finally {
      await s.close();
    }
    expect(seen[0]).toEqual({ method: 'PUT', url: '/v1/AUTH_x/c', cl: '0', token: 'tok', bytes: 0 });
    expect(seen[1]).toEqual({ method: 'PUT', url: '/v1/AUTH_x/c/big', cl: String(size), token: 'tok', bytes: size });
    expect(seen[2]!.token).toBe('tok');
  });
});
