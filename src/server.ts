/**
 * The HTTP front: a request listener whose only job is to adapt Node's request/response to the Swift
 * pipeline (src/api/http.ts) built from config. No business logic lives here. (It is a plain
 * listener, not an express app: express's router, prototype swaps and path handling did nothing for
 * a single catch-all handler and cost ~3% of the event loop per small request.)
 */
import { randomFillSync } from 'node:crypto';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { DEFAULT_CONSTRAINTS } from './api/constraints.js';
import { createContext } from './api/context.js';
import { decodePath, parseQuery, titleCase, type Handler, type SwiftRequest, type SwiftResponse } from './api/http.js';
import { REGISTRY } from './api/middleware/registry.js';
import { buildPipeline, InfoRegistry, type AppDeps } from './api/pipeline.js';
import { createProxyApp } from './api/proxy.js';
import { CairnMetrics } from './metrics.js';
import { ORIGINAL_METHOD_HEADER, retryWithQuotedTarget, whenIdle, type HttpParseError } from './raw-request-line.js';
import { sendBody } from './send-body.js';
import type { ObjectStore } from './storage/store.js';

export interface CairnApp {
  /** The request listener (for http.createServer, or supertest). */
  app: RequestListener;
  /** The whole pipeline as a Handler (for in-process callers). */
  handler: Handler;
  deps: AppDeps;
}

/** Random bytes for transaction ids, drawn in blocks (one CSPRNG call per 372 requests, not per request). */
const txnRandom = Buffer.alloc(11 * 372);
let txnOffset = txnRandom.length;

/** Swift's transaction id: "tx" + 21 hex digits + "-" + the time in 10 hex digits. */
export function newTxnId(): string {
  if (txnOffset === txnRandom.length) {
    randomFillSync(txnRandom);
    txnOffset = 0;
  }
  const rand = txnRandom.toString('hex', txnOffset, txnOffset + 11).slice(0, 21);
  txnOffset += 11;
  return `tx${rand}-${Math.floor(Date.now() / 1000).toString(16).padStart(10, '0')}`;
}

/** What a caller may share with the app (the gateway shares its metrics with the volume). */
export interface AppOptions {
  /** The process's metrics; a fresh registry when not given. */
  metrics?: CairnMetrics;
}

export function createApp(config: Config, store: ObjectStore, logger: Logger, options: AppOptions = {}): CairnApp {
  const info = new InfoRegistry();
  const deps: AppDeps = {
    store, config, logger, info,
    constraints: { ...DEFAULT_CONSTRAINTS, ...config.constraints },
    metrics: options.metrics ?? new CairnMetrics(),
  };
  const handler = buildPipeline(config.pipeline, REGISTRY, deps, createProxyApp(deps));
  const app: RequestListener = (req, res) => { void serve(handler, logger, req, res); };
  return { app, handler, deps };
}

/** Tune a Node server for object storage: long uploads must not hit Node's request timeout. */
export function tuneServer(server: Server): void {
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.on('clientError', (err: HttpParseError, socket: Duplex) => {
    // Raw UTF-8 (or other unquoted bytes) in the target, or a method Node does not know: serve it.
    if (retryWithQuotedTarget(server, socket, err)) return;
    answerUnparsable(err, socket);
  });
}

/**
 * The answer for a request Node's parser refuses and that cannot be retried (see raw-request-line.ts):
 * a refused target gets Swift's 412 for paths that are not UTF-8, anything else a plain 400; the
 * connection closes.
 */
function answerUnparsable(err: HttpParseError, socket: Duplex): void {
  if (!socket.writable) { socket.destroy(); return; }
  const inFlight = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
  if (inFlight) {
    // The parser failed on bytes after a request it accepted (e.g. a body sent without a length):
    // that request still gets its answer (Swift's 411 for a PUT without Content-Length), then the
    // connection closes, since nothing after it can be framed.
    socket.pause();
    // Destroyed once written: the paused socket would never read the client's FIN.
    whenIdle(socket, () => (socket instanceof Socket ? socket.destroySoon() : socket.destroy()));
    return;
  }
  const txnId = newTxnId();
  const [status, body] = err.code === 'HPE_INVALID_URL'
    ? ['412 Precondition Failed', 'Invalid UTF8 or contains NULL']
    : ['400 Bad Request', ''];
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/html; charset=UTF-8\r\n`
    + `Content-Length: ${Buffer.byteLength(body)}\r\nX-Trans-Id: ${txnId}\r\nX-Openstack-Request-Id: ${txnId}\r\n`
    + `Connection: close\r\n\r\n${body}`);
}

function toSwiftRequest(req: IncomingMessage, res: ServerResponse, logger: Logger): SwiftRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const { path, ok } = decodePath(rawPath);
  const headers: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const prev = headers[name];
    headers[name] = prev === undefined ? raw[i + 1]! : `${prev}, ${raw[i + 1]!}`;
  }
  // A method Node's parser does not know arrives as GET plus this header (raw-request-line.ts).
  const method = headers[ORIGINAL_METHOD_HEADER] ?? req.method ?? 'GET';
  delete headers[ORIGINAL_METHOD_HEADER];
  const abort = new AbortController();
  res.on('close', () => { if (!res.writableFinished) abort.abort(); });
  const txnId = newTxnId();
  const ctx = createContext({ txnId, log: logger.child({ txn: txnId }), signal: abort.signal });
  return { method, rawPath, path, pathIsUtf8: ok, rawQuery, query: parseQuery(rawQuery),
           headers, body: req, ctx };
}

async function serve(handler: Handler, logger: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const sreq = toSwiftRequest(req, res, logger);
  let sres: SwiftResponse;
  try {
    sres = await handler(sreq);
  } catch (err) {
    // catch_errors normally answers first; this is the last line of defence.
    logger.error({ err, txn: sreq.ctx.txnId }, 'unhandled error below the pipeline');
    sres = { status: 500, headers: { 'x-trans-id': sreq.ctx.txnId, 'content-length': '0' }, body: '' };
  }
  await writeResponse(sreq, sres, res).catch((err: unknown) => {
    sreq.ctx.log.debug({ err }, 'response stream ended early');
    res.destroy();
  });
  // An unread request body (e.g. an early error response) must be drained or the connection closed.
  if (!req.complete && !req.destroyed) req.resume();
}

/**
 * The Connection header as Swift's eventlet front sends it: "close" when the connection ends, echoed
 * "keep-alive" only to clients that asked for it, and none on a persistent HTTP/1.1 connection (Node
 * would add "Connection: keep-alive" and "Keep-Alive: timeout=N" to every response).
 */
function connectionHeader(req: SwiftRequest, res: ServerResponse): void {
  if (res.hasHeader('connection') || !res.shouldKeepAlive) return; // Node writes "Connection: close"
  const asked = (req.headers['connection'] ?? '').toLowerCase().split(',').map((t) => t.trim());
  if (asked.includes('keep-alive')) res.setHeader('Connection', 'keep-alive');
  else res.removeHeader('connection'); // persists without a header (Node's _removedConnection)
}

async function writeResponse(req: SwiftRequest, sres: SwiftResponse, res: ServerResponse): Promise<void> {
  res.statusCode = sres.status;
  for (const [k, v] of Object.entries(sres.headers)) res.setHeader(titleCase(k), v);
  connectionHeader(req, res);
  const body = sres.body;
  const noBody = req.method === 'HEAD' || sres.status === 204 || sres.status === 304;
  if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
    if (!noBody && body !== undefined && !res.hasHeader('content-length')) {
      res.setHeader('Content-Length', Buffer.byteLength(body));
    }
    res.end(noBody ? undefined : body);
    return;
  }
  if (noBody) {
    body.destroy();
    res.end();
    return;
  }
  // Swift's ByteEnforcer included: never let a client hang on a body shorter than its Content-Length.
  const declared = sres.headers['content-length'];
  await sendBody(body, res, declared === undefined ? undefined : Number(declared));
}
