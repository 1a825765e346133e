/**
 * A gateway process's session with one brick server (the server side is src/brickd/sessions.ts):
 * one long `GET /v1/session` on a connection of its own, whose answer stays open while both ends
 * live. Writers and pinned handles are created under the session's id, and the server releases them
 * the moment that connection closes, so a gateway killed between a writer's upload and its commit
 * leaves no tmp file or descriptor behind for minutes.
 *
 * Opened lazily, by the first writer or handle that needs it. Best effort throughout: a session that
 * cannot be opened leaves requests without one (the server's idle sweeps then clean up, as they
 * always did) and is tried again a second later at the earliest, never in a loop. A session lost
 * while this process lives (the server restarted: what it held is gone anyway; or no heartbeat
 * for several beats) is replaced by a new one on next need.
 *
 * node:http rather than undici: the connection must be its own (never one of the pool's, which
 * requests queue for), and its socket can be unref'd, so an open session never keeps a process alive.
 */
import http from 'node:http';
import https from 'node:https';
import { authHeaders } from './remote-auth.js';
import { ID_RE, SESSION_HEADER, SESSION_HEARTBEAT_MS, paths } from './remote-protocol.js';

/** Least time between two attempts to open a session. */
export const SESSION_RETRY_MS = 1000;

export interface SessionOptions {
  secret: string;
  volumeId: string;
  /** Bound on opening the session (connecting and the answer's headers, which the server sends at once). */
  openTimeoutMs: number;
}

export class GatewaySession {
  private current: string | undefined;
  private request: http.ClientRequest | undefined;
  private opening: Promise<string | undefined> | undefined;
  private lastAttempt = -Infinity;
  private closed = false;

  constructor(private readonly origin: string, private readonly opts: SessionOptions) {}

  /**
   * The id to name in requests that leave state on the server: the open session's, or that of one
   * opened now; undefined when none can be had: closed, or the last attempt (failed, or whose
   * session is lost already) was less than SESSION_RETRY_MS ago.
   */
  id(): Promise<string | undefined> {
    if (this.current !== undefined) return Promise.resolve(this.current);
    if (this.opening) return this.opening;
    if (this.closed || Date.now() - this.lastAttempt < SESSION_RETRY_MS) return Promise.resolve(undefined);
    this.lastAttempt = Date.now();
    this.opening = this.open().finally(() => { this.opening = undefined; });
    return this.opening;
  }

  /** End the session (the server releases what it holds under it). */
  close(): void {
    this.closed = true;
    this.current = undefined;
    this.request?.destroy();
    this.request = undefined;
  }

  private open(): Promise<string | undefined> {
    return new Promise((resolve) => {
      const url = new URL(paths.session, this.origin);
      const req = (url.protocol === 'https:' ? https : http).request(url, {
        method: 'GET', agent: false, headers: authHeaders(this.opts.secret, 'GET', paths.session, this.opts.volumeId),
      });
      this.request = req; // close() cuts an attempt short too
      let settled = false;
      const fail = (): void => {
        this.lost(req);
        if (!settled) { settled = true; resolve(undefined); }
      };
      req.on('error', fail);
      req.once('close', fail);
      req.setTimeout(this.opts.openTimeoutMs, fail);
      req.on('response', (res) => {
        const id = res.headers[SESSION_HEADER];
        if (res.statusCode !== 200 || typeof id !== 'string' || !ID_RE.test(id) || this.closed) {
          res.resume();
          fail();
          return;
        }
        settled = true;
        this.current = id;
        // Open: it must not keep the process alive, and heartbeats are all it carries; several missed
        // mean the server is gone without a word (its host, or the network between).
        res.socket.unref();
        req.off('timeout', fail);
        req.setTimeout(4 * SESSION_HEARTBEAT_MS, () => this.lost(req));
        res.on('data', () => undefined);
        res.on('error', () => undefined);
        res.once('close', () => this.lost(req));
        resolve(id);
      });
      req.end();
    });
  }

  /** The session's connection is gone: the next need opens another. */
  private lost(req: http.ClientRequest): void {
    req.destroy();
    if (this.request !== req) return;
    this.request = undefined;
    this.current = undefined;
  }
}
