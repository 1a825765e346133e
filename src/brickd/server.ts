/**
 * BrickServer: serves local brick directories (LocalBrick) to remote gateways over HTTP keep-alive
 * (`cairn brick`; GlusterFS's glusterfsd, MinIO's storage REST server). The protocol is in
 * src/storage/brick/remote-protocol.ts, the client in src/storage/brick/remote.ts.
 *
 * Every request is authenticated first (an HMAC of method, path, date and volume under the shared
 * secret; src/storage/brick/remote-auth.ts): a request without valid, fresh authentication gets 401
 * and nothing else — not even the list of bricks. Then the request's volume id must be the brick's
 * (served-brick.ts). Object data is streamed both ways with backpressure; nothing buffers an object.
 *
 * Timeouts: a request may take as long as it streams (uploads of many GiB), so Node's whole-request
 * timeout is off; a connection silent for `socketIdleMs` is closed instead (a gateway session's is
 * never silent: it carries heartbeats).
 *
 * A gateway that goes away between requests (killed after creating a writer, before committing it)
 * is noticed by its session connection closing (sessions.ts): its writers and handles are released
 * then, not minutes later by the idle sweeps, which stay as the backstop.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { checkSecret, DEFAULT_MAX_SKEW_MS, verifyRequest } from '../storage/brick/remote-auth.js';
import { UNAUTHORIZED, WireFailure } from '../storage/brick/remote-errors.js';
import { BRICK_NAME_RE, HELD_COMMIT_HEADER, HELD_DEFINITION_HEADER, SESSION_HEARTBEAT_MS } from '../storage/brick/remote-protocol.js';
import { formatWireVersion, parseWireVersion } from '../storage/definition-version.js';
import { StoreError } from '../storage/errors.js';
import { Definitions } from './definitions.js';
import { sendError } from './http-io.js';
import { route } from './routes.js';
import { ServedBrick } from './served-brick.js';
import { Sessions } from './sessions.js';

export interface BrickServerOptions {
  /** The directories to serve, by the name gateways use in `http://host:port/<name>`. */
  bricks: Array<{ name: string; dir: string }>;
  /** The volume's shared secret (at least 16 characters). */
  secret: string;
  /** Serve the bricks to this volume only (otherwise: the volume in brick.json, or the first gateway's). */
  volumeId?: string;
  /** fsync data files and index commits (default true). */
  fsync?: boolean;
  /** LocalBrick's audit grace (tests use 0). */
  auditGraceMs?: number;
  /** Allowed distance between a request's date and this server's clock (default 5 minutes). */
  maxSkewMs?: number;
  /**
   * A writer neither committed nor aborted for this long is aborted (default DEFAULT_WRITER_IDLE_MS);
   * one created under a gateway session is aborted as soon as that session ends.
   */
  writerIdleMs?: number;
  /** A data handle unused for this long is released (default 5 minutes), or when its gateway session ends. */
  handleIdleMs?: number;
  /** A connection with no traffic for this long is closed (default 10 minutes). */
  socketIdleMs?: number;
  logger?: Logger;
}

/**
 * How long a write may sit idle (created or uploaded, neither committed nor aborted) before it is
 * aborted and its tmp file goes. A gateway starts the upload as it creates the writer and commits
 * once every replica's upload finished, and it drops a replica stalled for its write_timeout_ms
 * (default 30 s): so a write idle four times that long belongs to a gateway that died or gave up.
 * Uploads and commits in progress are never idle. A gateway that dies is normally noticed sooner,
 * by its session (sessions.ts): this is the backstop.
 */
export const DEFAULT_WRITER_IDLE_MS = 2 * 60_000;

/** `NAME=DIR`, or a bare DIR named by its last path component. */
export function parseBrickArg(arg: string): { name: string; dir: string } {
  const eq = arg.indexOf('=');
  const [name, dir] = eq > 0 && !arg.slice(0, eq).includes('/') ? [arg.slice(0, eq), arg.slice(eq + 1)] : [path.basename(path.resolve(arg)), arg];
  if (!BRICK_NAME_RE.test(name)) {
    throw new Error(`brick name ${JSON.stringify(name)} (from ${JSON.stringify(arg)}) must be letters, digits, ".", "_" or "-"; use NAME=DIR`);
  }
  return { name, dir: path.resolve(dir) };
}

export class BrickServer {
  readonly bricks = new Map<string, ServedBrick>();
  /** The volume definitions published to this server's bricks. */
  readonly definitions = new Definitions(this.bricks);
  /** The gateways' sessions: when one ends, every brick releases what it holds under it. */
  readonly sessions: Sessions;
  /** Where the server listens, once `listen` resolved (`http://host:port`). */
  url = '';
  port = 0;
  private readonly server: Server;
  private readonly secret: string;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: BrickServerOptions) {
    checkSecret(opts.secret, 'brick server');
    this.secret = opts.secret;
    if (opts.bricks.length === 0) throw new Error('brick server: no brick directories to serve');
    for (const b of opts.bricks) {
      if (!BRICK_NAME_RE.test(b.name)) throw new Error(`brick server: bad brick name ${JSON.stringify(b.name)}`);
      if (this.bricks.has(b.name)) throw new Error(`brick server: two bricks named ${JSON.stringify(b.name)}`);
      this.bricks.set(b.name, new ServedBrick(b.name, path.resolve(b.dir), {
        ...(opts.volumeId !== undefined ? { volumeId: opts.volumeId } : {}),
        ...(opts.fsync !== undefined ? { fsync: opts.fsync } : {}),
        ...(opts.auditGraceMs !== undefined ? { auditGraceMs: opts.auditGraceMs } : {}),
        writerIdleMs: opts.writerIdleMs ?? DEFAULT_WRITER_IDLE_MS,
        handleIdleMs: opts.handleIdleMs ?? 5 * 60_000,
      }));
    }
    const socketIdleMs = opts.socketIdleMs ?? 10 * 60_000;
    this.sessions = new Sessions((id) => {
      this.sessionEnded(id).catch((err: unknown) => this.opts.logger?.error({ err, session: id }, 'releasing a gateway session failed'));
    }, Math.min(SESSION_HEARTBEAT_MS, Math.max(100, socketIdleMs / 3)));
    this.server = createServer((req, res) => { void this.handle(req, res); });
    this.server.requestTimeout = 0; // streams may be long; idle sockets are closed instead
    this.server.timeout = socketIdleMs;
    this.server.keepAliveTimeout = 65_000; // longer than the gateways' pool keep-alive, so the server is not the one to cut a reused socket
    this.server.headersTimeout = 66_000;
  }

  /**
   * Check every brick directory (a directory of a pinned or recorded volume is opened now, so a bad
   * one stops the server here), then listen. Resolves with the URL and port actually bound.
   */
  async listen(host: string, port: number): Promise<{ url: string; port: number }> {
    for (const b of this.bricks.values()) await b.prepare((message) => this.opts.logger?.warn(message));
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => { this.server.off('error', reject); resolve(); });
    });
    const addr = this.server.address() as AddressInfo;
    const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
    this.port = addr.port;
    this.url = `http://${h.includes(':') ? `[${h}]` : h}:${addr.port}`;
    return { url: this.url, port: this.port };
  }

  /** Stop: refuse new requests, cut connections, abort writes in flight, release handles, close the bricks. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.sessions.clear(); // the bricks' own close releases everything; no session ends on the way
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeAllConnections();
      await closed;
      await Promise.all([...this.bricks.values()].map((b) => b.close()));
    })();
    return this.closing;
  }

  /** A gateway's session connection closed: release what it held on every brick. */
  private async sessionEnded(id: string): Promise<void> {
    let writers = 0;
    let handles = 0;
    for (const b of this.bricks.values()) {
      handles += b.handles.endSession(id);
      writers += await b.writers.endSession(id);
    }
    if (writers + handles > 0) this.opts.logger?.info({ session: id, writers, handles }, 'gateway session ended: its writes aborted, its handles released');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const verdict = verifyRequest(this.secret, req.method ?? 'GET', req.url ?? '/', req.headers,
        { maxSkewMs: this.opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS });
      if (!verdict.ok) {
        this.opts.logger?.warn({ from: req.socket.remoteAddress, method: req.method, url: req.url, reason: verdict.reason }, 'refused');
        res.setHeader('www-authenticate', 'Cairn-HMAC-SHA256');
        throw new WireFailure(UNAUTHORIZED, verdict.reason);
      }
      // Every answer tells the gateway which definition this server holds for its volume.
      const held = this.definitions.version(verdict.volume);
      if (held !== undefined) {
        res.setHeader(HELD_COMMIT_HEADER, String(held.commit));
        res.setHeader(HELD_DEFINITION_HEADER, formatWireVersion(held));
      }
      const version = parseWireVersion(verdict.commit, verdict.definition);
      await route({
        bricks: this.bricks, volume: verdict.volume, definitions: this.definitions, sessions: this.sessions,
        ...(verdict.commit !== undefined ? { sent: { commit: verdict.commit, ...(version ? { version } : {}) } } : {}),
      }, req, res);
    } catch (err) {
      if (!(err instanceof StoreError) && !(err instanceof WireFailure)) {
        this.opts.logger?.error({ err, method: req.method, url: req.url }, 'request failed');
      }
      sendError(req, res, err);
    }
  }
}

/** Start a brick server listening on `host:port` (port 0: any free port). */
export async function startBrickServer(opts: BrickServerOptions & { host: string; port: number }): Promise<BrickServer> {
  const server = new BrickServer(opts);
  await server.listen(opts.host, opts.port);
  return server;
}
