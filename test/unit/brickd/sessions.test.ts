/**
 * Gateway sessions on the brick server (src/brickd/sessions.ts): what a session's end releases.
 *
 * - WriterTable and HandleTable: the entries created under the session that ended are aborted or
 *   closed (tmp files gone), those of other sessions and of none are untouched; a writer with an
 *   upload or a commit running is left to finish, and aborted only if that ends without a commit;
 *   a handle being read is released after the read.
 * - A RemoteBrick against a server in this process: the session is opened on first need and shared;
 *   closing the gateway's bricks ends it and the server lets go at once (idle sweeps set to minutes);
 *   a session lost to a server restart is replaced; a server that answers no session still takes
 *   writes, and the gateway does not retry the session in a loop.
 */
import { existsSync, promises as fsp, readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HandleTable } from '../../../src/brickd/handles.js';
import { startBrickServer, type BrickServer } from '../../../src/brickd/server.js';
import { WriterTable } from '../../../src/brickd/writers.js';
import type { BrickWriter, DataHandle } from '../../../src/storage/brick/brick.js';
import { LocalBrick } from '../../../src/storage/brick/local.js';
import { NOT_FOUND, WireFailure } from '../../../src/storage/brick/remote-errors.js';
import { INLINE_DATA_MAX } from '../../../src/storage/brick/remote-protocol.js';
import { RemoteBrick } from '../../../src/storage/brick/remote.js';
import { GatewaySession, SESSION_RETRY_MS } from '../../../src/storage/brick/remote-session.js';
import { authHeaders } from '../../../src/storage/brick/remote-auth.js';
import { SESSION_BEAT_HEADER, SESSION_HEADER, SESSION_SILENT_BEATS, paths } from '../../../src/storage/brick/remote-protocol.js';
import http from 'node:http';
import { eventually } from '../../helpers/objects.js';
import { bytes, put, record, ref, ts } from '../storage/brick/helpers.js';

const VOLUME = 'vol-sessions';
const SECRET = 'sessions-secret-0123456789abcdef';
const LONG = 10 * 60_000; // idle sweeps that never fire during a test
/** Bigger than a writer holds in memory: its bytes are in a tmp file. */
const BODY = bytes(100 * 1024);

const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-sessions-'));
afterAll(async () => { await fsp.rm(scratch, { recursive: true, force: true }); });
let n = 0;
const newDir = (): string => path.join(scratch, `b-${++n}`);
const tmpFiles = (dir: string): string[] => readdirSync(path.join(dir, 'tmp'));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const asRequest = (r: Readable): IncomingMessage => r as unknown as IncomingMessage;

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function localBrick(): Promise<{ brick: LocalBrick; dir: string }> {
  const dir = newDir();
  const brick = new LocalBrick(dir, { volumeId: VOLUME, fsync: false, auditGraceMs: 0 });
  await brick.open();
  cleanup.push(() => brick.close());
  return { brick, dir };
}

/** A writer whose commit waits for `gate` first (a commit "running" as long as the test wants). */
function gated(w: BrickWriter, gate: Promise<void>): BrickWriter {
  return {
    stream: w.stream, dataFile: w.dataFile,
    commit: async (rec) => { await gate; await w.commit(rec); },
    abort: () => w.abort(),
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

describe('WriterTable: a session ending', () => {
  async function rig(): Promise<{ brick: LocalBrick; dir: string; table: WriterTable }> {
    const table = new WriterTable(LONG);
    cleanup.push(() => table.closeAll());
    return { ...(await localBrick()), table };
  }

  /** A writer of session A, uploaded whole, whose commit is running (held at the gate) when A ends. */
  async function commitRunningAtSessionEnd(): Promise<{ brick: LocalBrick; dir: string; table: WriterTable; w: BrickWriter;
    gate: ReturnType<typeof deferred>; committing: Promise<void> }> {
    const { brick, dir, table } = await rig();
    const gate = deferred();
    const w = await brick.createWriter(ref('o'), ts(1));
    const id = table.add(gated(w, gate.promise), 'A');
    await table.upload(id, asRequest(Readable.from([BODY])));
    const committing = table.commit(id, record(ref('o'), ts(1), { size: BODY.length, dataFile: w.dataFile }));
    committing.catch(() => undefined); // awaited by the test
    expect(await table.endSession('A')).toBe(0);
    return { brick, dir, table, w, gate, committing };
  }

  it('aborts the writers created under it (tmp files gone) and no others', async () => {
    const { brick, dir, table } = await rig();
    const make = async (name: string, session?: string): Promise<{ id: string; w: BrickWriter }> => {
      const w = await brick.createWriter(ref(name), ts(1));
      const id = table.add(w, session);
      await table.upload(id, asRequest(Readable.from([BODY])));
      return { id, w };
    };
    const created = table.add(await brick.createWriter(ref('created'), ts(1)), 'A'); // no upload yet
    await make('a-uploaded', 'A');
    const other = await make('b-uploaded', 'B');
    const none = await make('untagged');
    expect(tmpFiles(dir)).toHaveLength(3);

    expect(await table.endSession('A')).toBe(2);
    expect(table.size).toBe(2);
    expect(tmpFiles(dir)).toHaveLength(2);
    await expect(table.upload(created, asRequest(Readable.from([BODY])))).rejects.toMatchObject({ code: NOT_FOUND });
    // The others commit as if nothing happened.
    await table.commit(other.id, record(ref('b-uploaded'), ts(1), { size: BODY.length, dataFile: other.w.dataFile }));
    await table.commit(none.id, record(ref('untagged'), ts(1), { size: BODY.length, dataFile: none.w.dataFile }));
    expect(tmpFiles(dir)).toEqual([]);
    expect((await brick.getRecord(ref('b-uploaded')))?.size).toBe(BODY.length);
    expect((await brick.getRecord(ref('untagged')))?.size).toBe(BODY.length);
    expect(await table.endSession('B')).toBe(0);
  });

  it('leaves a running upload to finish, then aborts it rather than keep it for a commit', async () => {
    const { brick, dir, table } = await rig();
    const body = new PassThrough();
    const id = table.add(await brick.createWriter(ref('o'), ts(1)), 'A');
    const uploading = table.upload(id, asRequest(body));
    body.write(BODY);
    await eventually(() => tmpFiles(dir).length === 1);

    expect(await table.endSession('A')).toBe(0);
    expect(table.size).toBe(1);
    expect(tmpFiles(dir)).toHaveLength(1); // not pulled from under the upload

    body.end(BODY);
    await expect(uploading).rejects.toSatisfy((err) => err instanceof WireFailure && err.code === NOT_FOUND);
    expect(table.size).toBe(0);
    expect(tmpFiles(dir)).toEqual([]);
  });

  it('leaves a running commit alone: it commits, and the entry is gone', async () => {
    const { brick, dir, table, w, gate, committing } = await commitRunningAtSessionEnd();
    expect(table.size).toBe(1);
    expect(tmpFiles(dir)).toHaveLength(1);

    gate.resolve();
    await committing;
    expect(table.size).toBe(0);
    expect((await brick.getRecord(ref('o')))?.size).toBe(BODY.length);
    expect(existsSync(path.join(dir, w.dataFile))).toBe(true);
  });

  it('a running commit that then fails is aborted, not kept for a gateway that is gone', async () => {
    const { dir, table, gate, committing } = await commitRunningAtSessionEnd();
    gate.reject(new Error('disk gone'));
    await expect(committing).rejects.toThrow('disk gone');
    expect(table.size).toBe(0);
    expect(tmpFiles(dir)).toEqual([]);
  });
});

/** A data handle that counts its closes and reads from a stream the test feeds. */
class FakeHandle implements DataHandle {
  readonly size = 8;
  closes = 0;
  readonly source = new PassThrough();
  read(): Readable { return this.source; }
  close(): void { this.closes++; }
}

const sink = (): ServerResponse => new Writable({ write: (_c, _e, cb) => cb() }) as unknown as ServerResponse;

describe('HandleTable: a session ending', () => {
  it('closes the handles opened under it and no others; one being read is released after its read', async () => {
    const table = new HandleTable(LONG);
    cleanup.push(() => table.closeAll());
    const [a, reading, b, none] = [new FakeHandle(), new FakeHandle(), new FakeHandle(), new FakeHandle()];
    const idA = table.add(a, 'A');
    const idReading = table.add(reading, 'A');
    const idB = table.add(b, 'B');
    const idNone = table.add(none);
    const read = table.read(idReading, undefined, sink());
    reading.source.write('0123');

    expect(table.endSession('A')).toBe(2);
    expect(a.closes).toBe(1);
    expect(reading.closes).toBe(0); // its read is still running
    expect(() => table.sizeOf(idA)).toThrow(WireFailure);
    expect(() => table.sizeOf(idReading)).toThrow(WireFailure);
    expect(table.sizeOf(idB)).toBe(8);
    expect(table.sizeOf(idNone)).toBe(8);

    reading.source.end('4567');
    await read;
    expect(reading.closes).toBe(1);
    expect(b.closes + none.closes).toBe(0);
    expect(table.size).toBe(2);
  });
});

describe('a RemoteBrick and its server', () => {
  async function serve(port = 0, dir = newDir()): Promise<{ server: BrickServer; dir: string }> {
    const server = await startBrickServer({
      bricks: [{ name: 'b', dir }], secret: SECRET, host: '127.0.0.1', port, fsync: false, auditGraceMs: 0, writerIdleMs: LONG, handleIdleMs: LONG,
    });
    cleanup.push(() => server.close());
    return { server, dir };
  }
  function gateway(server: BrickServer): RemoteBrick {
    const brick = new RemoteBrick(`${server.url}/b`, { secret: SECRET, volumeId: VOLUME, callTimeoutMs: 5000 });
    cleanup.push(() => brick.close());
    return brick;
  }
  /** Create a writer and upload BODY into it whole, without committing. */
  async function uploaded(brick: RemoteBrick, name: string): Promise<BrickWriter> {
    const w = await brick.createWriter(ref(name), ts(2));
    await pipeline(Readable.from([BODY]), w.stream);
    return w;
  }

  it('a gateway closing its bricks ends its session: its uncommitted writer and its pinned handle are released at once', async () => {
    const { server, dir } = await serve();
    const brick = gateway(server);
    await brick.open();
    const big = await put(brick, ref('big'), ts(1), bytes(INLINE_DATA_MAX + 1));
    expect(server.sessions.size).toBe(1); // opened by the first writer
    await brick.openData(big); // never closed
    await uploaded(brick, 'abandoned');
    const sb = server.bricks.get('b')!;
    expect(sb.writers.size).toBe(1);
    expect(sb.handles.size).toBe(1);
    expect(tmpFiles(dir)).toHaveLength(1);

    await brick.close(); // sends neither the abort nor the release: only the session's end can explain what follows
    expect(await eventually(() => server.sessions.size === 0 && sb.writers.size === 0 && sb.handles.size === 0, 3000)).toBe(true);
    expect(tmpFiles(dir)).toEqual([]);
  });

  it('one session per server, opened on first need; lost with a server restart, a new one is opened for what follows', async () => {
    const { server, dir } = await serve();
    const brick = gateway(server);
    await brick.open();
    await brick.getRecord(ref('x'));
    expect(server.sessions.size).toBe(0); // nothing held yet, no session
    await Promise.all(['w1', 'w2', 'w3', 'w4'].map((name) => uploaded(brick, name)));
    expect(server.sessions.size).toBe(1);
    await sleep(SESSION_RETRY_MS); // a session just opened is not replaced sooner

    await server.close();
    const again = (await serve(server.port, dir)).server;
    // The first request may still meet a pooled connection of the old server.
    await uploaded(brick, 'w5').catch(() => uploaded(brick, 'w5'));
    expect(again.sessions.size).toBe(1);
    const sb = again.bricks.get('b')!;
    expect(sb.writers.size).toBe(1);
    await brick.close();
    expect(await eventually(() => sb.writers.size === 0, 3000)).toBe(true);
    expect(tmpFiles(dir)).toEqual([]);
  });

  /** A session request by hand: its headers declare `beatMs` (if given), its body gets one byte and then nothing, and it never ends. */
  function silentSession(server: BrickServer, beatMs?: number): Promise<{ id: string; closed: Promise<void> }> {
    return new Promise((resolve, reject) => {
      const req = http.request(new URL(paths.session, server.url), {
        method: 'POST', agent: false,
        headers: { ...authHeaders(SECRET, 'POST', paths.session, VOLUME), ...(beatMs !== undefined ? { [SESSION_BEAT_HEADER]: String(beatMs) } : {}) },
      });
      cleanup.push(() => { req.destroy(); });
      req.on('error', () => undefined);
      req.on('response', (res) => {
        res.resume();
        res.on('error', () => undefined);
        resolve({ id: res.headers[SESSION_HEADER] as string, closed: new Promise((r) => { res.once('close', () => r()); }) });
      });
      req.once('error', reject);
      req.write('\n');
    });
  }

  it('a gateway that stops beating while its connection stays open (its host vanished) loses its session, and what it held', async () => {
    const { server } = await serve();
    const beat = 50;
    const s = await silentSession(server, beat);
    expect(server.sessions.size).toBe(1);
    // A writer left under that session: it must be aborted with it.
    let aborted = false;
    const sb = server.bricks.get('b')!;
    sb.writers.add({
      stream: new Writable({ write: (_c, _e, cb) => cb() }), dataFile: 'data/held',
      commit: async () => undefined, abort: async () => { aborted = true; },
    }, s.id);
    const t = Date.now();
    await s.closed; // the server cut the connection
    expect(Date.now() - t).toBeGreaterThanOrEqual((SESSION_SILENT_BEATS - 1) * beat);
    expect(await eventually(() => server.sessions.size === 0 && sb.writers.size === 0, 3000)).toBe(true);
    expect(aborted).toBe(true);
  });

  it('a session that declares no beat is not timed out by silence', async () => {
    const { server } = await serve();
    await silentSession(server);
    await sleep(400);
    expect(server.sessions.size).toBe(1);
  });

  it('a gateway that keeps beating keeps its one session through many silence windows, and ends it on close', async () => {
    const { server } = await serve();
    const session = new GatewaySession(new URL(server.url).origin, { secret: SECRET, volumeId: VOLUME, openTimeoutMs: 2000, heartbeatMs: 50 });
    cleanup.push(() => session.close());
    const id = await session.id();
    expect(id).toBeDefined();
    await sleep(12 * 50);
    expect(server.sessions.size).toBe(1);
    expect(await session.id()).toBe(id);
    session.close();
    expect(await eventually(() => server.sessions.size === 0, 3000)).toBe(true);
  });

  it('a server that answers no session still takes writes, and the gateway does not ask again for a second', async () => {
    const { server } = await serve();
    let asked = 0;
    server.sessions.start = () => { asked++; throw new WireFailure(NOT_FOUND, 'no sessions here'); };
    const brick = gateway(server);
    await brick.open();
    const t = Date.now();
    for (let i = 0; i < 10; i++) await put(brick, ref(`o${i}`), ts(1), BODY);
    const h = await brick.openData((await brick.getRecord(ref('o0')))!);
    h.close();
    expect(asked).toBeGreaterThanOrEqual(1);
    expect(asked, 'one attempt per second at most').toBeLessThanOrEqual(Math.ceil((Date.now() - t) / SESSION_RETRY_MS));
    await sleep(SESSION_RETRY_MS);
    await put(brick, ref('later'), ts(1), BODY);
    expect(asked).toBeGreaterThanOrEqual(2);
    expect((await brick.getRecord(ref('later')))?.size).toBe(BODY.length);
  });
});
