/**
 * The HTTP side of RemoteBrick: one undici Pool per brick server (shared by every RemoteBrick of that
 * server in the process, reference-counted), keep-alive connections, signed requests, and the mapping
 * of every failure to a StoreError. Shared the same way, one gateway session per brick server
 * (remote-session.ts): the requests that leave a writer or a pinned handle on the server name it, so
 * the server releases them as soon as this process goes away; it ends when the last brick of that
 * server closes. Errors:
 *
 * - a JSON error from the brick server -> the StoreError it encodes (remote-errors.ts);
 * - connection refused/reset, a socket dying mid-body, an unexpected answer -> BrickUnavailable;
 * - a call that outlives `callTimeoutMs` -> Timeout (the request is aborted, not left running);
 * - a call on a closed brick -> BrickUnavailable.
 *
 * Timeouts: JSON calls are bounded as a whole by `callTimeoutMs` (a timer aborting the request). Streams are bounded
 * by undici's body timeout (idle time between chunks; a stream paused by backpressure is not idle) and
 * by the headers timeout (an upload whose server stops reading, or answers nothing after the last byte).
 *
 * A gateway that follows the volume's definition links its bricks to it (DefinitionLink): every
 * request then carries the version of the definition it acts under, and every answer's held version
 * is reported.
 */
import type { Readable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import { BrickUnavailable, StoreError, Timeout } from '../errors.js';
import { authHeaders } from './remote-auth.js';
import { fromWire } from './remote-errors.js';
import { formatWireVersion, parseWireVersion, type DefinitionVersion } from '../definition-version.js';
import { HELD_COMMIT_HEADER, HELD_DEFINITION_HEADER, SESSION_HEADER } from './remote-protocol.js';
import { GatewaySession } from './remote-session.js';

export interface RemoteClientOptions {
  /** The volume's shared secret (at least 16 characters). */
  secret: string;
  /** Sent with every request; the brick server refuses a brick of another volume. */
  volumeId: string;
  /** Bound on a whole JSON call (default 30000 ms). */
  callTimeoutMs?: number;
  /** Bound on opening a TCP connection (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Longest silence inside a streamed body that is not paused by backpressure (default 30000 ms). */
  bodyTimeoutMs?: number;
}

/** How a brick's requests follow the volume's definition (definition-sync.ts). */
export interface DefinitionLink {
  /** The definition requests act under; undefined: name none (the server then checks nothing). */
  version(): DefinitionVersion | undefined;
  /** A brick server at `origin` answered; `held` is the version of the definition it holds (undefined: none). */
  observed(origin: string, held: DefinitionVersion | undefined): void;
}

interface SharedPool { pool: Pool; session: GatewaySession; refs: number }

/** Pools by origin: bricks of one server share its connections (MinIO keeps one client per node too). */
const pools = new Map<string, SharedPool>();

function acquire(origin: string, o: Required<RemoteClientOptions>): SharedPool {
  let shared = pools.get(origin);
  if (!shared) {
    shared = {
      pool: new Pool(origin, {
        // No cap: every streaming upload holds a connection for its whole length, and a capped pool
        // would queue one replica's upload behind others while the FanOut waits on it.
        connections: null,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 60_000,
        headersTimeout: o.callTimeoutMs,
        bodyTimeout: o.bodyTimeoutMs,
        connectTimeout: o.connectTimeoutMs,
      }),
      session: new GatewaySession(origin, { secret: o.secret, volumeId: o.volumeId, openTimeoutMs: o.connectTimeoutMs }),
      refs: 0,
    };
    pools.set(origin, shared);
  }
  shared.refs++;
  return shared;
}

async function release(origin: string): Promise<void> {
  const shared = pools.get(origin);
  if (!shared || --shared.refs > 0) return;
  pools.delete(origin);
  shared.session.close();
  await shared.pool.destroy().catch(() => undefined);
}

export interface SendOptions {
  method: Dispatcher.HttpMethod;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
  /** A signal from `track` (it also fires when the client closes). */
  signal: AbortSignal;
  headersTimeout?: number;
}

/** One request's cancellation: by the client closing, by a timeout, or by its owner. */
export interface Tracked {
  readonly signal: AbortSignal;
  abort(reason: Error): void;
  /** The request is over: drop the timer and the client's reference. */
  dispose(): void;
}

/**
 * One RemoteBrick's connection to its brick server: `open` takes a reference on the shared pool,
 * `close` aborts this brick's requests in flight and drops the reference.
 *
 * Requests are cancelled through their own AbortControllers, which the client tracks and aborts on
 * close. (Not AbortSignal.any or AbortSignal.timeout: in Node 20 signals combined with a long-lived one
 * are never collected, and timeout signals live as long as their timer, megabytes per second of calls.)
 */
export class RemoteClient {
  readonly opts: Required<RemoteClientOptions>;
  private pool: Pool | undefined;
  private session: GatewaySession | undefined;
  private readonly inflight = new Set<AbortController>();
  /** Set by the gateway that follows the volume's definition. */
  link: DefinitionLink | undefined;

  /** `brickId` names the brick in errors (it changes once the brick's identity is known). */
  constructor(readonly origin: string, opts: RemoteClientOptions, private readonly brickId: () => string) {
    this.opts = { callTimeoutMs: 30_000, connectTimeoutMs: 5_000, bodyTimeoutMs: 30_000, ...opts };
  }

  get isOpen(): boolean { return this.pool !== undefined; }

  open(): void {
    if (this.pool) return;
    const shared = acquire(this.origin, this.opts);
    this.pool = shared.pool;
    this.session = shared.session;
  }

  async close(): Promise<void> {
    if (!this.pool) return;
    this.pool = undefined;
    this.session = undefined;
    const closed = new BrickUnavailable(this.brickId(), { cause: new Error('brick closed') });
    for (const ac of [...this.inflight]) ac.abort(closed);
    this.inflight.clear();
    await release(this.origin);
  }

  /** BrickUnavailable for a brick that is not open. */
  closedError(): BrickUnavailable {
    return new BrickUnavailable(this.brickId(), { cause: new Error('brick is not open') });
  }

  /** Cancellation for one request (and its body), aborted with Timeout after `timeoutMs` if given. */
  track(timeoutMs?: number): Tracked {
    const ac = new AbortController();
    this.inflight.add(ac);
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
      ac.abort(new Timeout(`brick ${this.brickId()} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    return {
      signal: ac.signal,
      abort: (reason) => ac.abort(reason),
      dispose: () => {
        clearTimeout(timer);
        this.inflight.delete(ac);
      },
    };
  }

  /**
   * Send a signed request. Resolves with the response whatever its status (the caller reads or dumps
   * the body); rejects with a StoreError when no response arrives.
   */
  async send(o: SendOptions): Promise<Dispatcher.ResponseData> {
    const pool = this.pool;
    if (!pool) throw this.closedError();
    const link = this.link;
    const sent = link?.version();
    let res: Dispatcher.ResponseData;
    try {
      res = await pool.request({
        method: o.method,
        path: o.path,
        headers: {
          ...o.headers,
          ...authHeaders(this.opts.secret, o.method, o.path, this.opts.volumeId, Date.now(), sent?.commit, sent && formatWireVersion(sent)),
        },
        ...(o.body !== undefined ? { body: o.body } : {}),
        signal: o.signal,
        ...(o.headersTimeout !== undefined ? { headersTimeout: o.headersTimeout } : {}),
      });
    } catch (err) {
      throw this.failure(err, o.signal);
    }
    if (link) {
      const tail = res.headers[HELD_DEFINITION_HEADER];
      link.observed(this.origin, parseWireVersion(Number(res.headers[HELD_COMMIT_HEADER] ?? NaN), typeof tail === 'string' ? tail : undefined));
    }
    return res;
  }

  /**
   * The header naming this process's session with the server, for a request that leaves state there
   * (a writer, a pinned handle); opens the session first if need be. Empty when there is none to be
   * had: the request then goes without, and the server's idle sweep is what cleans up after it.
   */
  async sessionHeaders(): Promise<Record<string, string>> {
    const id = await this.session?.id();
    return id === undefined ? {} : { [SESSION_HEADER]: id };
  }

  /** A JSON call: POST `body`, resolve with the answer's `value`, reject with the StoreError it encodes. */
  async call<T>(path: string, body: unknown = {}, headers?: Record<string, string>): Promise<T> {
    const t = this.track(this.opts.callTimeoutMs);
    try {
      const res = await this.send({
        method: 'POST', path, signal: t.signal, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      if (res.statusCode !== 200) throw await this.errorOf(res);
      const answer = (await res.body.json()) as { value?: T };
      return answer.value as T;
    } catch (err) {
      throw this.failure(err, t.signal);
    } finally {
      t.dispose();
    }
  }

  /** The StoreError of a non-2xx response (reads its small JSON body). */
  async errorOf(res: Dispatcher.ResponseData): Promise<StoreError> {
    let body: unknown;
    try {
      const type = String(res.headers['content-type'] ?? '');
      const length = Number(res.headers['content-length'] ?? NaN);
      // Only our own small JSON errors are read; anything else (a proxy's page, say) is just dropped.
      if (type.startsWith('application/json') && length < 65536) body = await res.body.json();
      else await res.body.dump();
    } catch {
      body = undefined;
    }
    return fromWire(body, this.brickId(), res.statusCode);
  }

  /** Any error on the way to or from the brick server, as a StoreError. */
  failure(err: unknown, signal?: AbortSignal): StoreError {
    if (err instanceof StoreError) return err;
    const reason: unknown = signal?.aborted ? signal.reason : undefined;
    if (reason instanceof StoreError) return reason;
    return new BrickUnavailable(this.brickId(), { cause: err });
  }
}
