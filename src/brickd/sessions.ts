/**
 * Gateway sessions: how a brick server learns at once that a gateway went away. Writers and pinned
 * handles live across requests (create, upload, commit; open, reads, release), so a gateway killed
 * between two of them leaves a tmp file and open descriptors behind; the idle sweeps would find them
 * only minutes later.
 *
 * Each gateway process keeps one long request open per brick server (`POST /v1/session`, on a
 * connection of its own): the answer's headers give the session id, and the body stays open, a
 * heartbeat byte now and then, for as long as that connection lives. Writers and handles are created
 * under the session the request names. When the connection closes (the gateway died, even by
 * kill -9, whose kernel closes its sockets; or it closed its bricks), `ended` is told, and the bricks
 * release everything held under that session (writers.ts, handles.ts).
 *
 * A gateway host that vanishes without closing its connections (power lost, network cut) leaves
 * the connection open, so the gateway beats too: it writes a byte up the request's body at the
 * period it declares in SESSION_BEAT_HEADER, and a session that hears nothing for SESSION_SILENT_BEATS
 * periods is ended (its connection destroyed). A session request that names no beat is never timed out this way; the
 * idle sweeps remain for that.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SESSION_BEAT_HEADER, SESSION_HEADER, SESSION_SILENT_BEATS } from '../storage/brick/remote-protocol.js';

/** Shortest gateway beat honoured (a smaller one is taken as this), and longest. */
const MIN_BEAT_MS = 20;
const MAX_BEAT_MS = 10 * 60_000;

export class Sessions {
  /** Open sessions: id -> their timers (our heartbeat, the check that the gateway still beats). */
  private readonly open = new Map<string, NodeJS.Timeout[]>();

  /** `ended(id)` runs once per session whose connection closed; `heartbeatMs` spaces the heartbeat bytes. */
  constructor(private readonly ended: (id: string) => void, private readonly heartbeatMs: number) {}

  get size(): number { return this.open.size; }

  /** Answer a session request: 200 with a new id, then an open body until the connection closes. */
  start(req: IncomingMessage, res: ServerResponse): void {
    const id = randomUUID();
    const declared = Number(req.headers[SESSION_BEAT_HEADER]);
    const gatewayBeatMs = Number.isFinite(declared) && declared > 0 ? Math.min(Math.max(declared, MIN_BEAT_MS), MAX_BEAT_MS) : undefined;
    let heard = Date.now();
    req.on('data', () => { heard = Date.now(); });
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store', [SESSION_HEADER]: id });
    res.flushHeaders();
    const timers = [setInterval(() => res.write('\n'), this.heartbeatMs)];
    if (gatewayBeatMs !== undefined) {
      timers.push(setInterval(() => {
        if (Date.now() - heard > SESSION_SILENT_BEATS * gatewayBeatMs) res.destroy();
      }, gatewayBeatMs));
    }
    for (const t of timers) t.unref();
    this.open.set(id, timers);
    // The answer never ends, so its 'close' is the connection's.
    res.once('close', () => {
      for (const t of timers) clearInterval(t);
      if (this.open.delete(id)) this.ended(id);
    });
  }

  /** The open session a request names, if any (an ended or unknown one counts as none). */
  named(req: IncomingMessage): string | undefined {
    const id = req.headers[SESSION_HEADER];
    return typeof id === 'string' && this.open.has(id) ? id : undefined;
  }

  /** The server is stopping: forget every session without ending it (the bricks release everything themselves). */
  clear(): void {
    for (const timers of this.open.values()) for (const t of timers) clearInterval(t);
    this.open.clear();
  }
}
