/**
 * The brick server's routes (the table is in src/storage/brick/remote-protocol.ts). Called only for
 * authenticated requests, with the volume id the request named; every brick route checks that volume
 * against the brick's own (ServedBrick.forVolume) before touching anything.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buffer } from 'node:stream/consumers';
import { NOT_FOUND, WireFailure } from '../storage/brick/remote-errors.js';
import { CALL_OPS, ID_RE, HELD_COMMIT_HEADER, HELD_DEFINITION_HEADER, INLINE_DATA_MAX, LAYOUT_GUARDED_CALLS, paths, type CallOp } from '../storage/brick/remote-protocol.js';
import { formatWireVersion } from '../storage/definition-version.js';
import { InvalidArgument, RangeNotSatisfiable } from '../storage/errors.js';
import type { ByteRange } from '../storage/store.js';
import { validRange } from '../storage/brick/streams.js';
import { args, CALLS } from './calls.js';
import type { Definitions, SentDefinition } from './definitions.js';
import { readJson, sendJson } from './http-io.js';
import type { ServedBrick } from './served-brick.js';
import type { Sessions } from './sessions.js';

export interface RouteContext {
  bricks: ReadonlyMap<string, ServedBrick>;
  /** The volume id the (authenticated) request named. */
  volume: string;
  /** The definition the request acts under, when it named one (signed with the request). */
  sent?: SentDefinition;
  definitions: Definitions;
  /** Gateway sessions: what a request creates under one is released when it ends (sessions.ts). */
  sessions: Sessions;
}

const notFound = (what: string): WireFailure => new WireFailure(NOT_FOUND, what);

export async function route(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0]!;
  const method = req.method ?? 'GET';
  if (path === '/v1/health' && method === 'GET') {
    sendJson(res, 200, { bricks: [...ctx.bricks.values()].map((b) => b.describe()) });
    return;
  }
  if (path === paths.session && method === 'POST') {
    ctx.sessions.start(req, res);
    return;
  }
  if (path === paths.definition) return definition(ctx, method, req, res);
  const m = /^\/v1\/b\/([^/]+)\/(call|writers|handles)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path);
  if (!m) throw notFound(`no route ${method} ${path}`);
  const [, name, kind, sub, action] = m as unknown as [string, string, string, string | undefined, string | undefined];
  const served = ctx.bricks.get(name);
  if (!served) {
    throw new WireFailure(NOT_FOUND, `this server serves no brick named ${JSON.stringify(name)} (it serves ${[...ctx.bricks.keys()].join(', ')})`);
  }
  if (kind === 'call') return call(ctx, served, sub, method, req, res);
  if (kind === 'handles' && sub === 'release' && action === undefined && method === 'POST') return release(ctx, served, req, res);
  if (sub !== undefined && !ID_RE.test(sub)) throw notFound(`malformed id ${JSON.stringify(sub)}`);
  if (kind === 'writers') return writers(ctx, served, sub, action, method, req, res);
  return handles(ctx, served, sub, action, method, req, res);
}

async function call(ctx: RouteContext, served: ServedBrick, op: string | undefined, method: string,
                    req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (method !== 'POST' || op === undefined || !(CALL_OPS as readonly string[]).includes(op)) throw notFound(`no call ${method} ${String(op)}`);
  const a = await readJson(req);
  const brick = await served.forVolume(ctx.volume);
  if ((LAYOUT_GUARDED_CALLS as readonly string[]).includes(op)) ctx.definitions.check(ctx.volume, ctx.sent);
  const value = op === 'open' ? served.identity(brick) : await CALLS[op as Exclude<CallOp, 'open'>](brick, a);
  sendJson(res, 200, value === undefined ? {} : { value });
}

async function writers(ctx: RouteContext, served: ServedBrick, id: string | undefined, action: string | undefined,
                       method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (id === undefined && method === 'POST') {
    const a = await readJson(req);
    const brick = await served.forVolume(ctx.volume);
    ctx.definitions.check(ctx.volume, ctx.sent);
    const writer = await brick.createWriter(args.ref(a, 'ref'), args.str(a, 'timestamp'));
    // The session is looked up only now: one that ended while the writer was being made counts as none.
    sendJson(res, 200, { value: { id: served.writers.add(writer, ctx.sessions.named(req)), dataFile: writer.dataFile } });
    return;
  }
  if (id !== undefined && action === undefined && method === 'PUT') {
    await served.forVolume(ctx.volume);
    await served.writers.upload(id, req);
    sendJson(res, 200, {});
    return;
  }
  if (id !== undefined && action === 'commit' && method === 'POST') {
    const a = await readJson(req);
    await served.forVolume(ctx.volume);
    await served.writers.commit(id, args.record(a, 'record'));
    sendJson(res, 200, {});
    return;
  }
  if (id !== undefined && action === 'abort' && method === 'POST') {
    await readJson(req);
    await served.forVolume(ctx.volume);
    await served.writers.abort(id);
    sendJson(res, 200, {});
    return;
  }
  throw notFound(`no route ${method} writers/${id ?? ''}/${action ?? ''}`);
}

async function handles(ctx: RouteContext, served: ServedBrick, id: string | undefined, action: string | undefined,
                       method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (id === undefined && method === 'POST') {
    const a = await readJson(req);
    const brick = await served.forVolume(ctx.volume);
    const handle = await brick.openData(args.record(a, 'record'));
    if (a['inline'] === true && handle.size <= INLINE_DATA_MAX) {
      let bytes: Buffer;
      try {
        bytes = await buffer(handle.read());
      } finally {
        handle.close();
      }
      sendJson(res, 200, { value: { size: handle.size, inline: bytes.toString('base64') } });
      return;
    }
    sendJson(res, 200, { value: { id: served.handles.add(handle, ctx.sessions.named(req)), size: handle.size } });
    return;
  }
  if (id !== undefined && action === undefined && method === 'GET') {
    await served.forVolume(ctx.volume);
    const size = served.handles.sizeOf(id);
    const range = parseRange(req.headers.range, size);
    const length = range ? range.end - range.start + 1 : size;
    res.writeHead(range ? 206 : 200, {
      'content-type': 'application/octet-stream',
      'content-length': length,
      ...(range ? { 'content-range': `bytes ${range.start}-${range.end}/${size}` } : {}),
    });
    await served.handles.read(id, range, res);
    return;
  }
  throw notFound(`no route ${method} handles/${id ?? ''}/${action ?? ''}`);
}

/** GET: the newest definition held for the request's volume; PUT: publish one (definitions.ts). */
async function definition(ctx: RouteContext, method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (method === 'GET') {
    sendJson(res, 200, { definition: ctx.definitions.get(ctx.volume) });
    return;
  }
  if (method !== 'PUT') throw notFound(`no route ${method} ${paths.definition}`);
  const a = await readJson(req);
  const answer = await ctx.definitions.publish(ctx.volume, a.definition);
  const held = ctx.definitions.version(ctx.volume)!;
  res.setHeader(HELD_COMMIT_HEADER, String(held.commit));
  res.setHeader(HELD_DEFINITION_HEADER, formatWireVersion(held));
  sendJson(res, 200, answer);
}

/** Close the handles `ids` (unknown ones are fine: closed already, or swept). */
async function release(ctx: RouteContext, served: ServedBrick, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const a = await readJson(req);
  await served.forVolume(ctx.volume);
  const ids = a.ids;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) throw new InvalidArgument('ids must be a list of handle ids');
  for (const id of ids as string[]) served.handles.close(id);
  sendJson(res, 200, {});
}

/** `bytes=S-E` (already resolved by the gateway), or undefined for the whole file. */
function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d{1,16})-(\d{1,16})$/.exec(header.trim());
  if (!m) throw new InvalidArgument(`Range must be "bytes=START-END", got ${JSON.stringify(header)}`);
  const range = { start: Number(m[1]), end: Number(m[2]) };
  if (!validRange(range, size)) throw new RangeNotSatisfiable(size);
  return range;
}
