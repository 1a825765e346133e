/**
 * A gateway process's session with one brick server (the server side is src/brickd/sessions.ts):
 * one long `POST /v1/session` on a connection of its own, whose answer stays open while both ends
 * live. Writers and pinned handles are created under the session's id, and the server releases them
 * the moment that connection closes, so a gateway killed between a writer's upload and its commit
 * leaves no tmp file or descriptor behind for minutes. The request's body carries this process's
 * heartbeat (a byte every `heartbeatMs`): a server that stops hearing it lets go too, which covers a
 * host that vanished without closing the connection.
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
import { ID_RE, SESSION_BEAT_HEADER, SESSION_HEADER, SESSION_HEARTBEAT_MS, SESSION_SILENT_BEATS, paths } from './remote-protocol.js';

/** Least time between two attempts to open a session. */
export const SESSION_RETRY_MS = 1000;

export interface SessionOptions {
  secret: string;
  volumeId: string;
  /** Bound on opening the session (connecting and the answer's headers, which the server sends at once). */
  openTimeoutMs: number;
  /** How often this process beats up the session (default SESSION_HEARTBEAT_MS). */
  heartbeatMs?: number;
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
      const beatMs = this.opts.heartbeatMs ?? SESSION_HEARTBEAT_MS;
      const req = (url.protocol === 'https:' ? https : http).request(url, {
        method: 'POST', agent: false,
        headers: {
          ...authHeaders(this.opts.secret, 'POST', paths.session, this.opts.volumeId),
          'content-type': 'application/octet-stream', [SESSION_BEAT_HEADER]: String(beatMs),
        },
      });
      this.request = req; // close() cuts an attempt short too
      let settled = false;
      let heard = Date.now();
      const fail = (): void => {
        this.lost(req);
        if (!settled) { settled = true; resolve(undefined); }
      };
      const opening = setTimeout(fail, this.opts.openTimeoutMs);
      // The body never ends: a byte now (it sends the headers) and one every beat while the session
      // lives. The same timer watches the server's beats: several missed mean it is gone without a
      // word (its host, or the network between). A socket timeout cannot, as our own writes reset it.
      req.write('\n');
      const beat = setInterval(() => {
        if (settled && Date.now() - heard > SESSION_SILENT_BEATS * SESSION_HEARTBEAT_MS) this.lost(req);
        else req.write('\n');
      }, beatMs);
      beat.unref();
      req.on('error', fail);
      req.once('close', () => {
        clearTimeout(opening);
        clearInterval(beat);
        fail();
      });
      req.on('response', (res) => {
        clearTimeout(opening);
        const id = res.headers[SESSION_HEADER];
        if (res.statusCode !== 200 || typeof id !== 'string' || !ID_RE.test(id) || this.closed) {
          res.resume();
          fail();
          return;
        }
        settled = true;
        this.current = id;
        // Open: it must not keep the process alive.
        res.socket.unref();
        res.on('data', () => { heard = Date.now(); });
        res.on('error', () => undefined);
        res.once('close', () => this.lost(req));
        resolve(id);
      });
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
