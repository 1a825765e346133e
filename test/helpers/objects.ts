/**
 * Fixtures for the object API tests: an app on its own volume, a token for test:tester, a fresh
 * container, path helpers, a raw HTTP client (for bodies supertest cannot send: short, chunked,
 * abandoned), and a way to call the object controller directly (for what only middlewares can
 * send, such as sysmeta, which the gatekeeper strips from clients).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { Readable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import type { Config } from '../../src/config.js';
import { createContext } from '../../src/api/context.js';
import { objectController } from '../../src/api/controllers/object/index.js';
import { parseQuery, type SwiftRequest, type SwiftResponse } from '../../src/api/http.js';
import type { ObjectReader, ObjectStore } from '../../src/storage/store.js';
import { authToken, makeTestApp, type TestApp } from './app.js';

export interface ObjectFixture {
  t: TestApp;
  token: string;
  /** "/v1/AUTH_test" */
  account: string;
  /** A container created for this fixture. */
  container: string;
  /** The percent-encoded path of an object in the fixture's container. */
  path(name: string, container?: string): string;
  close(): Promise<void>;
}

/** Percent-encode an object name, keeping '/' (what the swift CLI and swiftclient send). */
export function encodeName(name: string): string {
  return encodeURIComponent(name).replace(/%2F/g, '/');
}

export function md5(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

let seq = 0;
export async function objectFixture(over: Partial<Config> = {}): Promise<ObjectFixture> {
  const t = await makeTestApp(over);
  const { token, url } = await authToken(t);
  const account = new URL(url).pathname;
  const container = `c${++seq}`;
  const res = await request(t.app).put(`${account}/${container}`).set('X-Auth-Token', token);
  assert.equal(res.status, 201, `container PUT ${container}: ${res.text}`);
  return {
    t, token, account, container,
    path: (name, c = container) => `${account}/${c}/${encodeName(name)}`,
    close: () => t.close(),
  };
}

/** A supertest agent for the fixture's app. */
export function api(f: ObjectFixture): ReturnType<typeof request> {
  return request(f.t.app);
}

/** Parse a buffered supertest body as raw bytes (supertest only buffers text types by default). */
export function binaryParser(res: NodeJS.EventEmitter, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
  res.on('error', (err) => cb(err, Buffer.alloc(0)));
}

/** GET an object of the fixture's container and read its body as UTF-8 text, whatever its type. */
export async function getText(f: ObjectFixture, name: string, headers: Record<string, string> = {}):
    Promise<{ status: number; text: string; headers: Record<string, string> }> {
  const res = await request(f.t.app).get(f.path(name)).set('X-Auth-Token', f.token).set(headers)
    .buffer(true).parse(binaryParser);
  return { status: res.status, text: (res.body as Buffer).toString('utf8'), headers: res.headers as Record<string, string> };
}

// ------------------------------------------------------------------------------------ raw HTTP

export interface Listening { port: number; close(): Promise<void> }

/** Serve the fixture's app on an ephemeral port (for raw sockets). */
export async function listen(f: ObjectFixture): Promise<Listening> {
  const server = http.createServer(f.t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface RawResponse { status: number; head: string; body: string }

/**
 * Send raw bytes on a fresh socket. With `hangUp: 'after-send'` the socket is destroyed right after
 * writing (a client that goes away mid-request); with `hangUp: 'after-first-data'` once the first
 * bytes of the response arrive (a client that goes away mid-download). Otherwise the response is
 * read until the server ends the connection (send `Connection: close`).
 */
export function rawRequest(port: number, data: Array<string | Buffer>,
                           opts: { hangUp?: 'after-send' | 'after-first-data' } = {}): Promise<RawResponse | undefined> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      if (opts.hangUp === 'after-first-data') sock.destroy();
    });
    sock.on('error', (err) => { if (opts.hangUp) resolve(undefined); else reject(err); });
    sock.on('close', () => {
      if (opts.hangUp) { resolve(undefined); return; }
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      resolve({ status: m ? Number(m[1]) : 0, head, body: split < 0 ? '' : text.slice(split + 4) });
    });
    sock.on('connect', async () => {
      for (const d of data) {
        sock.write(d);
        await new Promise((r) => setTimeout(r, 10));
      }
      if (opts.hangUp === 'after-send') sock.destroy();
    });
  });
}

/** The value of a header in a raw response head (case-insensitive), or undefined. */
export function rawHeader(head: string, name: string): string | undefined {
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).toLowerCase() === name.toLowerCase()) return line.slice(colon + 1).trim();
  }
  return undefined;
}

// ------------------------------------------------------------------------ direct controller calls

/** Call the object controller directly, as a pre-authorized middleware subrequest would. */
export async function callObject(f: ObjectFixture, method: string, object: string,
                                 headers: Record<string, string> = {}, body?: Buffer | string): Promise<SwiftResponse> {
  const ctx = createContext({ txnId: 'tx-test', log: pino({ level: 'silent' }), signal: new AbortController().signal });
  ctx.preAuthorized = true;
  const account = f.account.split('/')[2]!;
  const req: SwiftRequest = {
    method,
    rawPath: `/v1/${account}/${f.container}/${encodeName(object)}`,
    path: `/v1/${account}/${f.container}/${object}`,
    pathIsUtf8: true,
    rawQuery: '',
    query: parseQuery(''),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    body: Readable.from(body === undefined ? [] : [Buffer.from(body)]),
    ctx,
  };
  return objectController(req, { account, container: f.container, object }, f.t.deps);
}

// ------------------------------------------------------------------------------ reader tracking

export interface ReaderStats { opened: number; closed: number; doubleClosed: number }

/**
 * Wrap the app's store so every ObjectReader it hands out counts its close() calls: lets tests
 * check the reader contract (closed exactly once) through HTTP.
 */
export function trackReaders(store: ObjectStore): ReaderStats {
  const stats: ReaderStats = { opened: 0, closed: 0, doubleClosed: 0 };
  const original = store.getObject.bind(store);
  store.getObject = async (ref, opts) => {
    const reader: ObjectReader = await original(ref, opts);
    stats.opened += 1;
    let closed = false;
    return {
      info: reader.info,
      read: (range) => reader.read(range),
      close: () => {
        if (closed) stats.doubleClosed += 1;
        else stats.closed += 1;
        closed = true;
        reader.close();
      },
    };
  };
  return stats;
}

/** Poll until `check` passes or the time runs out (for effects that follow a response). */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}
