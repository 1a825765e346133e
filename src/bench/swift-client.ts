/**
 * A minimal Swift client for the bench: v1.0 auth, then requests over a fixed number of keep-alive
 * connections, so the numbers measure the server, not connection setup.
 *
 * Requests with no body or a Buffer body (all of the small-object, listing and --workers-compare
 * phases, and the large phase's GET) go through lean-http.ts, a minimal HTTP/1.1 client. The bench
 * runs on the same machine as the server and shares its cores, so the client's CPU per request caps
 * the rate the server can show: through undici (and node:http for HEAD) it cost ~70 µs per small
 * request, through the lean client ~30 µs averaged over the small phase (~20 µs for GET and HEAD).
 * It also keeps connections open after HEAD, which undici does not (it closes them, as a guard
 * against servers that send a body anyway), so a HEAD rate is not a TCP-setup rate.
 *
 * A streamed (Readable) body, the large and RSS phases' PUTs, goes through an undici Pool instead,
 * which handles backpressure and long uploads; that is one request in a phase, so its cost is noise.
 */
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { Pool, request, type Dispatcher } from 'undici';
import { LeanPool } from './lean-http.js';
import { payload } from './payload.js';

export interface Credentials { authUrl: string; user: string; key: string }

export interface Reply { status: number; bytes: number; headers: Record<string, string | string[] | undefined> }

/** Swift v1.0 auth: returns the storage URL and token. */
export async function authenticate(c: Credentials): Promise<{ storageUrl: URL; token: string }> {
  const res = await request(c.authUrl, { headers: { 'x-auth-user': c.user, 'x-auth-key': c.key } });
  await res.body.dump();
  const url = res.headers['x-storage-url'];
  const token = res.headers['x-auth-token'];
  if (res.statusCode !== 200 || typeof url !== 'string' || typeof token !== 'string') {
    throw new Error(`auth at ${c.authUrl} as ${c.user} failed: HTTP ${res.statusCode}`);
  }
  return { storageUrl: new URL(url), token };
}

export class SwiftSession {
  private readonly lean: LeanPool;
  private readonly pool: Pool;
  private readonly base: string;

  constructor(storageUrl: URL, private readonly token: string, connections: number) {
    this.lean = new LeanPool(storageUrl.origin, connections, { 'x-auth-token': token });
    // Connects lazily: only a streamed PUT opens one.
    this.pool = new Pool(storageUrl.origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      // Large bodies stream for as long as they take.
      bodyTimeout: 0,
      headersTimeout: 300_000,
    });
    this.base = storageUrl.pathname.replace(/\/$/, '');
  }

  /** Path of a container or object, each segment percent-encoded. */
  path(container: string, object?: string, query = ''): string {
    const obj = object === undefined ? '' : `/${object.split('/').map(encodeURIComponent).join('/')}`;
    return `${this.base}/${encodeURIComponent(container)}${obj}${query}`;
  }

  /** One request; the response body is read to its end and only counted. */
  send(method: Dispatcher.HttpMethod, path: string, body?: Buffer | Readable, headers?: Record<string, string>): Promise<Reply> {
    // Not async: on the hot path every extra promise hop is client CPU the server does not get.
    if (body === undefined || Buffer.isBuffer(body)) return this.lean.request({ method, path, headers, body });
    return this.stream(method, path, body, headers);
  }

  private async stream(method: Dispatcher.HttpMethod, path: string, body: Readable, headers?: Record<string, string>): Promise<Reply> {
    const res = await this.pool.request({ method, path, body, headers: { 'x-auth-token': this.token, ...headers } });
    let bytes = 0;
    for await (const chunk of res.body) bytes += (chunk as Buffer).length;
    return { status: res.statusCode, bytes, headers: res.headers };
  }

  /** A request whose JSON body is returned (listings). */
  async json<T>(path: string): Promise<{ status: number; value: T }> {
    const res = await this.lean.request({ method: 'GET', path, headers: { accept: 'application/json' }, collect: true });
    return { status: res.status, value: (res.status === 200 ? JSON.parse(res.body!.toString('utf8')) : undefined) as T };
  }

  async close(): Promise<void> {
    await this.lean.close();
    await this.pool.close();
  }
}

/** Throw unless `status` is a success: a bench that counts errors as speed is worse than none. */
export function expectOk(what: string, reply: Reply): Reply {
  if (reply.status < 200 || reply.status >= 300) throw new Error(`${what}: HTTP ${reply.status}`);
  return reply;
}

/**
 * One streamed PUT of `size` bytes to `path`, one GET of it (its length checked), then a DELETE:
 * the large phase's measurement, the same for every server it measures. `what` names the target in errors.
 */
export async function timeRoundTrip(s: SwiftSession, path: string, size: number, what: string): Promise<{ putSeconds: number; getSeconds: number }> {
  let t0 = performance.now();
  expectOk(`${what} PUT`, await s.send('PUT', path, payload(size), { 'content-length': String(size) }));
  const putSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const got = expectOk(`${what} GET`, await s.send('GET', path));
  const getSeconds = (performance.now() - t0) / 1000;
  if (got.bytes !== size) throw new Error(`${what} GET: ${got.bytes} bytes, expected ${size}`);
  expectOk(`${what} DELETE`, await s.send('DELETE', path));
  return { putSeconds, getSeconds };
}
