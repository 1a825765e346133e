/**
 * Request lines Node's HTTP parser refuses: raw (unquoted) bytes in the target are served as their
 * percent-encoded equivalent, as Swift's eventlet front serves them (Swift's functional tests send
 * UTF-8 names with `no_path_quote`); invalid UTF-8 is Swift's 412; other parse errors are a 400.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tuneServer } from '../../src/server.js';
import { ORIGINAL_METHOD_HEADER, requoteRequestLine } from '../../src/raw-request-line.js';
import { authToken, makeTestApp, type TestApp } from '../helpers/app.js';

/** Send raw bytes and return the whole response stream as latin-1 text (until the server closes). */
function rawRequest(port: number, bytes: Buffer | Buffer[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => {
      for (const b of Array.isArray(bytes) ? bytes : [bytes]) sock.write(b);
    });
    let out = '';
    sock.on('data', (d) => { out += d.toString('latin1'); });
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
  });
}

/** One request with a raw (latin-1 byte string) target. */
function line(method: string, target: string, token: string, opts: { body?: string; close?: boolean } = {}): Buffer {
  const body = opts.body ?? '';
  return Buffer.concat([
    Buffer.from(`${method} ${target} HTTP/1.1\r\n`, 'latin1'),
    Buffer.from(`Host: x\r\nX-Auth-Token: ${token}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
      + `${opts.close === false ? '' : 'Connection: close\r\n'}\r\n${body}`),
  ]);
}

/** The UTF-8 bytes of `s` as a latin-1 string (what a client sends unquoted). */
const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const statusLines = (res: string) => res.split('\r\n').filter((l) => l.startsWith('HTTP/1.1 '));

describe('request lines the HTTP parser refuses', () => {
  let app: TestApp;
  let server: Server;
  let port: number;
  let token: string;
  beforeAll(async () => {
    app = await makeTestApp();
    token = (await authToken(app)).token;
    server = createServer(app.app);
    tuneServer(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await app.close();
  });

  it('serves raw UTF-8 names like their percent-encoded form', async () => {
    const put = await rawRequest(port, line('PUT', `/v1/AUTH_test/${utf8('café ☃')}`, token));
    expect(statusLines(put)).toEqual(['HTTP/1.1 201 Created']);
    const list = await rawRequest(port, line('GET', '/v1/AUTH_test?prefix=caf', token));
    expect(list.endsWith('\r\n\r\ncafé ☃\n'.replace(/[^\x00-\x7f]+/g, (c) => utf8(c)))).toBe(true);
    const obj = await rawRequest(port, line('PUT', `/v1/AUTH_test/${utf8('café ☃')}/${utf8('ö')}`, token, { body: 'hi' }));
    expect(statusLines(obj)).toEqual(['HTTP/1.1 201 Created']);
    const get = await rawRequest(port, line('GET', `/v1/AUTH_test/caf%C3%A9%20%E2%98%83/%C3%B6`, token));
    expect(get.endsWith('\r\n\r\nhi')).toBe(true);
  });

  it("a raw '?' still starts the query (Swift's testQuestionMarkInName)", async () => {
    await rawRequest(port, line('PUT', '/v1/AUTH_test/q', token));
    const res = await rawRequest(port, line('PUT', `/v1/AUTH_test/q/${utf8('ä')}?${utf8('ü')}`, token, { body: 'x' }));
    expect(statusLines(res)).toEqual(['HTTP/1.1 201 Created']);
    const list = await rawRequest(port, line('GET', '/v1/AUTH_test/q', token));
    expect(list.endsWith(`\r\n\r\n${utf8('ä')}\n`)).toBe(true);
  });

  it('answers raw invalid UTF-8 in the path with 412 like Swift', async () => {
    const res = await rawRequest(port, Buffer.from('GET /v1/AUTH_test/\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'latin1'));
    expect(res.split('\r\n')[0]).toBe('HTTP/1.1 412 Precondition Failed');
    expect(res).toMatch(/\r\nX-Trans-Id: tx[0-9a-f]{21}-[0-9a-f]{10}\r\n/);
    expect(res.endsWith('\r\n\r\nInvalid UTF8 or contains NULL')).toBe(true);
  });

  it('keeps a keep-alive connection going across a raw request line', async () => {
    const sock = connect(port, '127.0.0.1');
    let out = '';
    sock.on('data', (d) => { out += d.toString('latin1'); });
    const ended = new Promise<void>((r) => sock.on('end', r));
    /** Send one request and wait until `n` responses have arrived in all. */
    const send = async (b: Buffer, n: number) => {
      sock.write(b);
      while (statusLines(out).length < n || !/\r\n\r\n[^]*$/.test(out)) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20));
    };
    await send(line('PUT', '/v1/AUTH_test/ka', token, { close: false }), 1);
    await send(line('PUT', `/v1/AUTH_test/ka/${utf8('ß')}`, token, { body: 'one', close: false }), 2);
    sock.write(line('GET', '/v1/AUTH_test/ka/%C3%9F', token));
    await ended;
    expect(statusLines(out)).toEqual(['HTTP/1.1 201 Created', 'HTTP/1.1 201 Created', 'HTTP/1.1 200 OK']);
    expect(out.endsWith('\r\n\r\none')).toBe(true);
  });

  it('waits for the responses to pipelined requests before the re-quoted one', async () => {
    const res = await rawRequest(port, [
      line('PUT', '/v1/AUTH_test/pl', token, { close: false }),
      line('HEAD', `/v1/AUTH_test/${utf8('pl')}/${utf8('é')}`, token),
    ]);
    expect(statusLines(res)).toEqual(['HTTP/1.1 201 Created', 'HTTP/1.1 404 Not Found']);
  });

  it('answers a PUT whose body comes without a length (411), then closes the connection', async () => {
    await rawRequest(port, line('PUT', '/v1/AUTH_test/nolen', token));
    // No Content-Length and no Transfer-Encoding: the body bytes look like a next, unparsable request.
    const res = await rawRequest(port, Buffer.from(
      `PUT /v1/AUTH_test/nolen/o HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${token}\r\n\r\ntesting`, 'latin1'));
    expect(statusLines(res)).toEqual(['HTTP/1.1 411 Length Required']);
    expect(res.endsWith('\r\n\r\nMissing Content-Length header.')).toBe(true);
  });

  it("answers methods Node's parser does not know as Swift does (405 with Allow)", async () => {
    for (const method of ['LICK', 'GETorHEAD_base']) {
      const res = await rawRequest(port, line(method, '/v1/AUTH_test', token));
      expect(statusLines(res)).toEqual(['HTTP/1.1 405 Method Not Allowed']);
      expect(res).toMatch(/\r\nAllow: [A-Z, ]+\r\n/);
    }
    // Both at once: an unknown method and a raw UTF-8 target.
    const both = await rawRequest(port, line('LICK', `/v1/AUTH_test/${utf8('é')}`, token));
    expect(statusLines(both)).toEqual(['HTTP/1.1 405 Method Not Allowed']);
  });

  it('answers other malformed requests with 400', async () => {
    const res = await rawRequest(port, Buffer.from('GET /v1 HTTP/1.1\r\nBad Header Line\r\n\r\n', 'latin1'));
    expect(res.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
  });
});

describe('requoteRequestLine', () => {
  it('percent-encodes only the target of the first line', () => {
    const out = requoteRequestLine(Buffer.from('PUT /a\xe9 b?c=\xff HTTP/1.1\r\nX-Meta: \xe9\r\n\r\n', 'latin1'));
    expect(out?.toString('latin1')).toBe('PUT /a%E9%20b?c=%FF HTTP/1.1\r\nX-Meta: \xe9\r\n\r\n');
  });

  it('turns an unknown method into GET plus the per-process method header', () => {
    const out = requoteRequestLine(Buffer.from('LICK /\xe9 HTTP/1.1\r\nHost: x\r\n\r\nbody', 'latin1'));
    expect(out?.toString('latin1')).toBe(`GET /%E9 HTTP/1.1\r\n${ORIGINAL_METHOD_HEADER}: LICK\r\nHost: x\r\n\r\nbody`);
    expect(ORIGINAL_METHOD_HEADER).toMatch(/^x-cairn-original-method-[0-9a-f]{24}$/);
  });

  it('refuses what is not a complete request line', () => {
    expect(requoteRequestLine(Buffer.from('GET /a\xe9 HTTP/1.1', 'latin1'))).toBeUndefined();
    expect(requoteRequestLine(Buffer.from('\xe9 HTTP/1.1\r\n', 'latin1'))).toBeUndefined();
    expect(requoteRequestLine(Buffer.from('GET /a\xe9 FTP/1.1\r\n', 'latin1'))).toBeUndefined();
  });
});
