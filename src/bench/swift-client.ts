/**
 * A minimal Swift client for the bench: v1.0 auth, then requests over one undici Pool (keep-alive,
 * a fixed number of connections) so the numbers measure the server, not connection setup.
 * Every response body is consumed (undici keeps a connection busy until it is).
 *
 * HEAD goes through node:http with a keep-alive agent instead: undici closes the connection after
 * every HEAD (a guard against servers that send a body anyway), so a HEAD rate through it would
 * measure TCP setup. Swift's own clients (python-swiftclient over requests) keep it open.
 */
import { Agent, request as httpRequest } from 'node:http';
import type { Readable } from 'node:stream';
import { Pool, request, type Dispatcher } from 'undici';

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
  private readonly pool: Pool;
  private readonly headAgent: Agent;
  private readonly origin: URL;
  private readonly base: string;

  constructor(storageUrl: URL, private readonly token: string, connections: number) {
    this.origin = new URL(storageUrl.origin);
    this.headAgent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
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
  async send(method: Dispatcher.HttpMethod, path: string, body?: Buffer | Readable, headers: Record<string, string> = {}): Promise<Reply> {
    if (method === 'HEAD') return this.head(path, headers);
    const res = await this.pool.request({
      method, path, body: body ?? null, headers: { 'x-auth-token': this.token, ...headers },
    });
    let bytes = 0;
    for await (const chunk of res.body) bytes += (chunk as Buffer).length;
    return { status: res.statusCode, bytes, headers: res.headers };
  }

  /** A request whose JSON body is returned (listings). */
  async json<T>(path: string): Promise<{ status: number; value: T }> {
    const res = await this.pool.request({ method: 'GET', path, headers: { 'x-auth-token': this.token, accept: 'application/json' } });
    const text = await res.body.text();
    return { status: res.statusCode, value: (res.statusCode === 200 ? JSON.parse(text) : undefined) as T };
  }

  /** HEAD over a kept-alive node:http connection (see the note at the top). */
  private head(path: string, headers: Record<string, string>): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        host: this.origin.hostname, port: this.origin.port, method: 'HEAD', path, agent: this.headAgent,
        headers: { 'x-auth-token': this.token, ...headers },
      }, (res) => {
        res.resume();
        res.once('end', () => resolve({ status: res.statusCode ?? 0, bytes: 0, headers: res.headers }));
        res.once('error', reject);
      });
      req.once('error', reject);
      req.end();
    });
  }

  async close(): Promise<void> {
    this.headAgent.destroy();
    await this.pool.close();
  }
}

/** Throw unless `status` is a success: a bench that counts errors as speed is worse than none. */
export function expectOk(what: string, reply: Reply): Reply {
  if (reply.status < 200 || reply.status >= 300) throw new Error(`${what}: HTTP ${reply.status}`);
  return reply;
}
