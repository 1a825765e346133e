/**
 * The Connection header as Swift's eventlet front sends it (Swift's functional testGetResponseHeaders):
 * none on a persistent HTTP/1.1 connection, "keep-alive" only when the client asked for it, "close"
 * when the connection ends. Never Node's "Keep-Alive: timeout=N".
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tuneServer } from '../../src/server.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

let app: TestApp;
let server: Server;
let port: number;
beforeAll(async () => {
  app = await makeTestApp();
  server = createServer(app.app);
  tuneServer(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await app.close();
});

/** Send each request after the previous response arrived; resolve with the response heads. */
async function converse(requests: string[]): Promise<{ heads: string[]; closed: boolean }> {
  const sock = connect(port, '127.0.0.1');
  let out = '';
  let closed = false;
  sock.on('data', (d) => { out += d.toString('latin1'); });
  sock.on('close', () => { closed = true; });
  const heads: string[] = [];
  for (const r of requests) {
    out = '';
    sock.write(r);
    // /healthcheck answers "OK" with a Content-Length, so a whole response is easy to recognise.
    while (!out.endsWith('\r\n\r\nOK') && !closed) await new Promise((res) => setTimeout(res, 5));
    heads.push(out.split('\r\n\r\n')[0]!);
  }
  await new Promise((res) => setTimeout(res, 50));
  sock.destroy();
  return { heads, closed };
}

const connectionOf = (head: string) => head.split('\r\n').filter((l) => /^(connection|keep-alive):/i.test(l));

describe('Connection header', () => {
  it('none on a persistent HTTP/1.1 connection, which stays open', async () => {
    const { heads, closed } = await converse([
      'GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n',
    ]);
    expect(heads.map(connectionOf)).toEqual([[], []]);
    expect(closed).toBe(false);
  });

  it('echoes keep-alive to a client that asked for it, without a Keep-Alive header', async () => {
    const { heads } = await converse(['GET /healthcheck HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n']);
    expect(connectionOf(heads[0]!)).toEqual(['Connection: keep-alive']);
  });

  it('says close when the connection ends (Connection: close, HTTP/1.0)', async () => {
    let r = await converse(['GET /healthcheck HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    expect(connectionOf(r.heads[0]!)).toEqual(['Connection: close']);
    expect(r.closed).toBe(true);
    r = await converse(['GET /healthcheck HTTP/1.0\r\n\r\n']);
    expect(connectionOf(r.heads[0]!)).toEqual(['Connection: close']);
  });
});
