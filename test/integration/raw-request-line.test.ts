import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tuneServer } from '../../src/server.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

/** Send raw bytes and return the whole response as latin-1 text. */
function rawRequest(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(bytes));
    let out = '';
    sock.on('data', (d) => { out += d.toString('latin1'); });
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
  });
}

describe('request lines the HTTP parser refuses', () => {
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
    await new Promise((r) => server.close(r));
    await app.close();
  });

  it('answers raw invalid UTF-8 in the path with 412 like Swift', async () => {
    const res = await rawRequest(port, Buffer.from('GET /v1/AUTH_test/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'));
    expect(res.split('\r\n')[0]).toBe('HTTP/1.1 412 Precondition Failed');
    expect(res).toMatch(/\r\nX-Trans-Id: tx[0-9a-f]{21}-[0-9a-f]{10}\r\n/);
    expect(res.endsWith('\r\n\r\nInvalid UTF8 or contains NULL')).toBe(true);
  });

  it('answers other malformed requests with 400', async () => {
    const res = await rawRequest(port, Buffer.from('GET /v1 HTTP/1.1\r\nBad Header Line\r\n\r\n', 'latin1'));
    expect(res.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
  });
});
