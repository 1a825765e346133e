/**
 * The bench's lean HTTP/1.1 client: keep-alive, RFC 9112 body framing with responses split at any
 * byte, connections retired on close or error, queueing beyond the pool size.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LeanPool } from '../../../src/bench/lean-http.js';

/** Most of these would hang, not fail, if framing were wrong: fail fast instead. */
const T = 10_000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Raw { port: number; connections: () => number; requests: string[] }

/**
 * A raw TCP server reading HTTP/1.1 requests (head, then a Content-Length body) and handing each to
 * `answer`, which writes whatever bytes it likes: the client must cope with what real servers send.
 */
async function rawServer(answer: (socket: Socket, n: number, head: string) => void | Promise<void>): Promise<Raw> {
  let connections = 0;
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let acc = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      acc = Buffer.concat([acc, d]);
      for (;;) {
        const end = acc.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = acc.toString('latin1', 0, end);
        const m = /\r\ncontent-length: *(\d+)/i.exec(head);
        const total = end + 4 + (m ? Number(m[1]) : 0);
        if (acc.length < total) return;
        acc = acc.subarray(total);
        requests.push(head);
        void answer(socket, requests.length - 1, head);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return { port: (server.address() as AddressInfo).port, connections: () => connections, requests };
}

/** Write `bytes` in the given pieces, pausing between them so the client reads them separately. */
async function writeSplit(socket: Socket, bytes: Buffer, cuts: number[]): Promise<void> {
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (socket.destroyed) return;
    socket.write(bytes.subarray(from, cut));
    from = cut;
    await sleep(3);
  }
}

async function httpServer(handler: Parameters<typeof createHttpServer>[1]): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server: HttpServer = createHttpServer(handler!);
  server.on('connection', () => { connections++; });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

function pool(port: number, n: number): LeanPool {
  const p = new LeanPool(`http://127.0.0.1:${port}`, n);
  cleanups.push(() => p.close());
  return p;
}

const ok = (body: string, extra = ''): Buffer =>
  Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`, 'latin1');

describe('LeanPool', () => {
  it('carries sequential requests on one kept-alive connection', async () => {
    const s = await httpServer((req, res) => { res.setHeader('content-length', '5'); res.end('hello'); });
    const p = pool(s.port, 4);
    for (let i = 0; i < 25; i++) {
      const r = await p.request({ method: 'GET', path: `/o${i}` });
      expect(r.status).toBe(200);
      expect(r.bytes).toBe(5);
    }
    expect(s.connections()).toBe(1);
  }, T);

  it('reads no body after HEAD, whatever Content-Length says, and keeps the connection', async () => {
    const s = await rawServer((socket, _n, head) => {
      socket.write(head.startsWith('HEAD')
        ? 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nX-Object-Meta-A: b\r\n\r\n'
        : ok('after').toString('latin1'));
    });
    const p = pool(s.port, 1);
    const head = await p.request({ method: 'HEAD', path: '/o' });
    expect(head).toMatchObject({ status: 200, bytes: 0 });
    expect(head.headers['content-length']).toBe('1234');
    expect(head.headers['x-object-meta-a']).toBe('b');
    // Had the client waited for 1234 body bytes, the next response would be read as that body.
    const get = await p.request({ method: 'GET', path: '/o', collect: true });
    expect(get.body?.toString()).toBe('after');
    expect(s.connections()).toBe(1);
  }, T);

  it('retires a connection on which the server sent more than the response (a body after HEAD)', async () => {
    const s = await rawServer((socket, _n, head) => {
      socket.write(head.startsWith('HEAD') ? 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello' : ok('clean').toString('latin1'));
    });
    const p = pool(s.port, 1);
    expect(await p.request({ method: 'HEAD', path: '/o' })).toMatchObject({ status: 200, bytes: 0 });
    expect(p.size).toBe(0);
    expect((await p.request({ method: 'GET', path: '/o', collect: true })).body?.toString()).toBe('clean');
    expect(s.connections()).toBe(2);
  }, T);

  it('reads no body after 204 or 304 (and none sent), and keeps the connection', async () => {
    const s = await rawServer((socket, n) => {
      socket.write(['HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n', 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n'][n] ?? ok('next').toString('latin1'));
    });
    const p = pool(s.port, 1);
    expect(await p.request({ method: 'DELETE', path: '/o' })).toMatchObject({ status: 204, bytes: 0 });
    expect(await p.request({ method: 'GET', path: '/o' })).toMatchObject({ status: 304, bytes: 0 });
    expect(await p.request({ method: 'GET', path: '/o' })).toMatchObject({ status: 200, bytes: 4 });
    expect(s.connections()).toBe(1);
  }, T);

  it('decodes chunked bodies split anywhere (size lines, extensions, CRLFs, trailers)', async () => {
    const data = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const wire = Buffer.from(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Trans-Id: tx1\r\n\r\n'
      + `1a;name=value\r\n${data.slice(0, 26)}\r\n`
      + `A \t; a=1;b="x"\r\n${data.slice(26)}\r\n`
      + '0\r\nX-Trailer: t1\r\nX-Other: t2\r\n\r\n', 'latin1');
    const at = (s: string, from = 0): number => wire.indexOf(s, from, 'latin1');
    const body0 = at('\r\n\r\n') + 4;
    const cuts = [
      // Inside the head's final CRLFCRLF, inside "1a", between a size line's CR and LF,
      // inside chunk data, between the data's CR and LF, inside "0", inside and between trailers.
      body0 - 3, body0 + 1, at(';name') + 5, at('\r\n', body0) + 1, body0 + 30, at('\r\nA \t') + 1, at('A \t') + 2,
      at('0\r\nX-T') + 1, at('X-Trailer') + 4, at('t1\r\n') + 3, wire.length - 3, wire.length - 1,
    ].sort((a, b) => a - b);
    const s = await rawServer(async (socket, n) => {
      if (n === 0) await writeSplit(socket, wire, cuts);
      else if (n === 1) await writeSplit(socket, wire, Array.from({ length: wire.length - 1 }, (_v, i) => i + 1));
      else socket.write(ok('last'));
    });
    const p = pool(s.port, 1);
    for (let i = 0; i < 2; i++) {
      const r = await p.request({ method: 'GET', path: `/chunked${i}`, collect: true });
      expect(r.status).toBe(200);
      expect(r.bytes).toBe(data.length);
      expect(r.body?.toString('latin1')).toBe(data);
      expect(r.headers['x-trans-id']).toBe('tx1');
    }
    // The trailers were consumed exactly: the next response parses on the same connection.
    expect((await p.request({ method: 'GET', path: '/after', collect: true })).body?.toString()).toBe('last');
    expect(s.connections()).toBe(1);
  }, T);

  it('counts a Content-Length body that arrives in several writes, head split too', async () => {
    const body = randomBytes(70_000);
    const wire = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
    const s = await rawServer(async (socket, n) => {
      if (n === 0) await writeSplit(socket, wire, [7, 20, wire.length - body.length - 1, wire.length - body.length + 1, 40_000, wire.length - 1]);
      else socket.write(ok('next'));
    });
    const p = pool(s.port, 1);
    const r = await p.request({ method: 'GET', path: '/big', collect: true });
    expect(r.bytes).toBe(body.length);
    expect(r.body?.equals(body)).toBe(true);
    expect((await p.request({ method: 'GET', path: '/next' })).bytes).toBe(4);
    expect(s.connections()).toBe(1);
  }, T);

  it('reads a body with neither Content-Length nor chunked until the server closes', async () => {
    const s = await rawServer(async (socket, n) => {
      if (n === 0) {
        await writeSplit(socket, Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil-'), [10]);
        socket.end('close');
      } else {
        socket.write(ok('fresh'));
      }
    });
    const p = pool(s.port, 1);
    const r = await p.request({ method: 'GET', path: '/eof', collect: true });
    expect(r.body?.toString()).toBe('until-close');
    expect(r.bytes).toBe(11);
    expect((await p.request({ method: 'GET', path: '/next', collect: true })).body?.toString()).toBe('fresh');
    expect(s.connections()).toBe(2);
  }, T);

  it('retires a connection after Connection: close; the next request gets a new one', async () => {
    const s = await httpServer((req, res) => {
      if (req.url === '/bye') res.setHeader('connection', 'close');
      res.setHeader('content-length', '2');
      res.end('hi');
    });
    const p = pool(s.port, 1);
    expect((await p.request({ method: 'GET', path: '/one' })).status).toBe(200);
    expect((await p.request({ method: 'GET', path: '/bye' })).headers['connection']).toBe('close');
    expect(p.size).toBe(0);
    expect((await p.request({ method: 'GET', path: '/two' })).bytes).toBe(2);
    expect((await p.request({ method: 'GET', path: '/three' })).bytes).toBe(2);
    expect(s.connections()).toBe(2);
  }, T);

  it('fails a request whose connection dies mid-response, and serves the next on a new connection', async () => {
    const s = await rawServer(async (socket, n) => {
      if (n === 0) socket.write(ok('fine'));
      else if (n === 1) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
        await sleep(20);
        socket.destroy();
      } else socket.write(ok('again'));
    });
    const p = pool(s.port, 1);
    expect((await p.request({ method: 'GET', path: '/a' })).bytes).toBe(4);
    await expect(p.request({ method: 'GET', path: '/b' })).rejects.toThrow(/GET \/b to 127\.0\.0\.1:\d+: .*(closed|reset|ECONNRESET)/);
    expect((await p.request({ method: 'GET', path: '/c', collect: true })).body?.toString()).toBe('again');
    expect(s.connections()).toBe(2);
  }, T);

  it('sends an idempotent request again when a reused connection closes before any answer', async () => {
    const s = await rawServer((socket, n) => {
      // The second request finds its kept-alive connection closed under it (an idle-timeout race).
      if (n === 1) socket.destroy();
      else socket.write(ok(`r${n}`));
    });
    const p = pool(s.port, 1);
    expect((await p.request({ method: 'GET', path: '/a', collect: true })).body?.toString()).toBe('r0');
    expect((await p.request({ method: 'GET', path: '/b', collect: true })).body?.toString()).toBe('r2');
    expect(s.requests.map((h) => h.split(' ')[1])).toEqual(['/a', '/b', '/b']);
    expect(s.connections()).toBe(2);
  }, T);

  it('does not resend on a fresh connection, nor a POST', async () => {
    const s = await rawServer((socket, n) => {
      if (n === 0 || n === 2) socket.destroy();
      else socket.write(ok('x'));
    });
    const p = pool(s.port, 1);
    await expect(p.request({ method: 'GET', path: '/fresh' })).rejects.toThrow(/GET \/fresh/);
    expect((await p.request({ method: 'GET', path: '/ok' })).status).toBe(200);
    await expect(p.request({ method: 'POST', path: '/post' })).rejects.toThrow(/POST \/post/);
    expect(s.requests).toHaveLength(3);
  }, T);

  it('skips interim 1xx responses', async () => {
    const s = await rawServer((socket) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n');
      socket.write('HTTP/1.1 201 Created\r\nContent-Length: 0\r\nEtag: e1\r\n\r\n');
    });
    const p = pool(s.port, 1);
    const r = await p.request({ method: 'PUT', path: '/o', body: Buffer.from('z') });
    expect(r.status).toBe(201);
    expect(r.headers['etag']).toBe('e1');
    expect(r.headers['link']).toBeUndefined();
  }, T);

  it('queues requests beyond the pool size, never more in flight than connections', async () => {
    let inFlight = 0;
    let most = 0;
    const s = await httpServer((req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      setTimeout(() => { inFlight--; res.setHeader('content-length', String(req.url!.length)); res.end(req.url); }, 10);
    });
    const p = pool(s.port, 3);
    const replies = await Promise.all(Array.from({ length: 20 }, (_v, i) => p.request({ method: 'GET', path: `/obj-${i}`, collect: true })));
    expect(replies.map((r) => r.body?.toString())).toEqual(Array.from({ length: 20 }, (_v, i) => `/obj-${i}`));
    expect(most).toBe(3);
    expect(s.connections()).toBe(3);
  }, T);

  it('sends a PUT body intact with its Content-Length, and Content-Length: 0 for an empty PUT only', async () => {
    const seen: Array<{ method: string; cl: string | undefined; te: string | undefined; host: string | undefined; body: Buffer }> = [];
    const s = await httpServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        seen.push({ method: req.method!, cl: req.headers['content-length'], te: req.headers['transfer-encoding'], host: req.headers.host, body: Buffer.concat(parts) });
        res.statusCode = 201;
        res.setHeader('content-length', '0');
        res.end();
      });
    });
    const p = pool(s.port, 2);
    const small = randomBytes(4096);
    const large = randomBytes(300_000);
    await p.request({ method: 'PUT', path: '/c/small', body: small, headers: { 'content-length': '4096', 'x-auth-token': 't' } });
    await p.request({ method: 'PUT', path: '/c/large', body: large });
    await p.request({ method: 'PUT', path: '/c' });
    await p.request({ method: 'GET', path: '/c' });
    expect(seen[0]!.body.equals(small)).toBe(true);
    expect(seen[0]!.cl).toBe('4096');
    expect(seen[0]!.host).toBe(`127.0.0.1:${s.port}`);
    expect(seen[1]!.body.equals(large)).toBe(true);
    expect(seen[1]!.cl).toBe('300000');
    expect(seen[2]).toMatchObject({ method: 'PUT', cl: '0', te: undefined });
    expect(seen[3]).toMatchObject({ method: 'GET', cl: undefined, te: undefined });
    await expect(p.request({ method: 'PUT', path: '/c/o', body: small, headers: { 'content-length': '5' } })).rejects.toThrow(/content-length 5/);
    await expect(p.request({ method: 'GET', path: '/c/o', headers: { 'x-a': 'b\r\nx-evil: 1' } })).rejects.toThrow(/control character/);
    await expect(p.request({ method: 'GET', path: '/c/o', headers: { 'x-a': 'caf\u00e9 \u2603' } })).rejects.toThrow(/above U\+00FF/);
    expect(seen).toHaveLength(4);
  }, T);

  it('returns response headers lower-cased, repeated ones joined', async () => {
    const s = await rawServer((socket) => {
      socket.write(ok('{}', 'X-Object-Meta-Color: blue\r\nETag:  "abc" \r\nX-Storage-Url: http://h/v1/AUTH_t\r\nVary: a\r\nVARY: b\r\nSet-Cookie: c=1\r\nSet-Cookie: d=2\r\n'));
    });
    const p = pool(s.port, 1);
    const r = await p.request({ method: 'GET', path: '/' });
    expect(r.headers['x-object-meta-color']).toBe('blue');
    expect(r.headers['etag']).toBe('"abc"');
    expect(r.headers['x-storage-url']).toBe('http://h/v1/AUTH_t');
    expect(r.headers['vary']).toBe('a, b');
    expect(r.headers['set-cookie']).toEqual(['c=1', 'd=2']);
    expect(r.headers['ETag']).toBeUndefined();
  }, T);

  it('finds the framing fields in any case, accepts a repeated equal Content-Length, refuses differing ones', async () => {
    const s = await rawServer((socket, n) => {
      socket.write([
        'HTTP/1.1 200 OK\r\ncontent-LENGTH: 3\r\n\r\nabc',
        'HTTP/1.1 200 OK\r\nTRANSFER-encoding: Chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n',
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nfg',
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nCONNECTION: Close\r\n\r\nhi',
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nxyz',
      ][n] ?? ok('end').toString('latin1'));
    });
    const p = pool(s.port, 1);
    const bodies: string[] = [];
    for (let i = 0; i < 4; i++) bodies.push((await p.request({ method: 'GET', path: `/${i}`, collect: true })).body!.toString());
    expect(bodies).toEqual(['abc', 'de', 'fg', 'hi']);
    // The first three shared a connection; "CONNECTION: Close" retired it.
    expect(p.size).toBe(0);
    await expect(p.request({ method: 'GET', path: '/4' })).rejects.toThrow(/bad response: content-length "2, 3"/);
    expect(s.connections()).toBe(2);
  }, T);

  it('fails on a response that is not HTTP/1.x and recovers on a new connection', async () => {
    const s = await rawServer((socket, n) => {
      socket.write(n === 0 ? 'SSH-2.0-OpenSSH\r\n\r\n' : n === 1 ? 'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n' : ok('good').toString('latin1'));
    });
    const p = pool(s.port, 1);
    await expect(p.request({ method: 'GET', path: '/a' })).rejects.toThrow(/bad response: status line/);
    await expect(p.request({ method: 'GET', path: '/b' })).rejects.toThrow(/bad response: content-length/);
    expect((await p.request({ method: 'GET', path: '/c' })).bytes).toBe(4);
    expect(s.connections()).toBe(3);
  }, T);

  it('close() fails what is in flight or waiting and destroys the sockets', async () => {
    const s = await rawServer(() => undefined);
    const p = new LeanPool(`http://127.0.0.1:${s.port}`, 1);
    const first = p.request({ method: 'GET', path: '/a' });
    const second = p.request({ method: 'GET', path: '/b' });
    while (s.requests.length === 0) await sleep(5);
    await p.close();
    await expect(first).rejects.toThrow(/pool closed/);
    await expect(second).rejects.toThrow(/pool closed/);
    expect(p.size).toBe(0);
    await expect(p.request({ method: 'GET', path: '/c' })).rejects.toThrow(/pool closed/);
  }, T);
});
