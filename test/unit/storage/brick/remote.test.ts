/**
 * RemoteBrick against a real brick server started in this process on 127.0.0.1 (a random port):
 * the shared Brick contract suite, then what only the remote brick has — authentication, volume
 * binding, typed errors across the wire, streams cut in either direction, and the server's cleanup of
 * writers and handles that gateways abandon.
 */
import { promises as fsp, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BrickServer, parseBrickArg, startBrickServer } from '../../../../src/brickd/server.js';
import type { Brick } from '../../../../src/storage/brick/brick.js';
import { BrickIdentityMismatch, LocalBrick } from '../../../../src/storage/brick/local.js';
import { authHeaders } from '../../../../src/storage/brick/remote-auth.js';
import { fromWire, toWire } from '../../../../src/storage/brick/remote-errors.js';
import { RemoteBrick } from '../../../../src/storage/brick/remote.js';
import { INLINE_DATA_MAX } from '../../../../src/storage/brick/remote-protocol.js';
import {
  BrickUnavailable, Conflict, InsufficientStorage, InvalidArgument, RangeNotSatisfiable, SizeMismatch, StoreError, Timeout,
} from '../../../../src/storage/errors.js';
import { brickContract } from './contract.js';
import { bytes, put, readAll, readData, record, ref, ts } from './helpers.js';

const VOLUME = 'vol-test';
const SECRET = 'test-secret-0123456789abcdef';
const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-remote-brick-'));
afterAll(async () => { await fsp.rm(scratch, { recursive: true, force: true }); });

let n = 0;
interface Served { server: BrickServer; dir: string }
const served = new Map<Brick, Served>();

/** A brick server for one fresh directory, and a RemoteBrick on it. */
async function serve(opts: { volume?: string; secret?: string; server?: Partial<ConstructorParameters<typeof BrickServer>[0]> } = {}):
  Promise<{ brick: RemoteBrick; server: BrickServer; dir: string }> {
  const dir = path.join(scratch, `b-${++n}`);
  const server = await startBrickServer({
    bricks: [{ name: 'b', dir }], secret: SECRET, host: '127.0.0.1', port: 0, fsync: n % 2 === 0, auditGraceMs: 0, ...opts.server,
  });
  const brick = new RemoteBrick(`${server.url}/b`, { secret: opts.secret ?? SECRET, volumeId: opts.volume ?? VOLUME, callTimeoutMs: 5000 });
  served.set(brick, { server, dir });
  return { brick, server, dir };
}

async function unserve(brick: Brick): Promise<void> {
  const s = served.get(brick);
  if (!s) return;
  served.delete(brick);
  await brick.close();
  await s.server.close();
  await fsp.rm(s.dir, { recursive: true, force: true });
}

brickContract('RemoteBrick (brick server in-process)', async () => (await serve()).brick, { teardown: unserve });

const tmpFiles = (dir: string): string[] => readdirSync(path.join(dir, 'tmp'));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await sleep(20);
  }
}

describe('RemoteBrick specifics', () => {
  const cleanup: Brick[] = [];
  afterEach(async () => {
    for (const b of cleanup.splice(0)) await unserve(b);
  });
  const rig = async (opts: Parameters<typeof serve>[0] = {}): Promise<Awaited<ReturnType<typeof serve>>> => {
    const r = await serve(opts);
    cleanup.push(r.brick);
    return r;
  };
  const o = ref('obj');

  describe('authentication', () => {
    it('refuses a request without authentication with 401, before anything else', async () => {
      const { server } = await rig();
      for (const p of ['/v1/health', '/v1/b/b/call/open', '/v1/b/nope/call/open', '/anything']) {
        const res = await request(`${server.url}${p}`, { method: 'POST', body: '{}' });
        expect(res.statusCode).toBe(401);
        const body = (await res.body.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('UNAUTHORIZED');
        expect(body.error.message).toMatch(/missing Authorization/);
      }
    });

    it('refuses a wrong secret, a tampered path and a clock-skewed date', async () => {
      const { server, brick } = await rig();
      const send = async (headers: Record<string, string>, p = '/v1/health'): Promise<string> => {
        const res = await request(`${server.url}${p}`, { method: 'GET', headers });
        const body = (await res.body.json()) as { error?: { message: string } };
        return `${res.statusCode} ${body.error?.message ?? ''}`;
      };
      expect(await send(authHeaders(SECRET, 'GET', '/v1/health', VOLUME))).toMatch(/^200/);
      expect(await send(authHeaders('another-secret-0123456789', 'GET', '/v1/health', VOLUME))).toMatch(/^401 signature does not match/);
      expect(await send(authHeaders(SECRET, 'GET', '/v1/other', VOLUME))).toMatch(/^401 signature/); // signed for another path
      expect(await send(authHeaders(SECRET, 'GET', '/v1/health', VOLUME, Date.now() - 10 * 60_000))).toMatch(/^401 request date is \d+ s away/);
      expect(await send({ ...authHeaders(SECRET, 'GET', '/v1/health', VOLUME), 'x-cairn-volume': 'other' })).toMatch(/^401 signature/);

      const wrong = new RemoteBrick(brick.url, { secret: 'not-the-secret-0123456789', volumeId: VOLUME });
      const err = await wrong.open().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BrickUnavailable);
      expect(String((err as Error).cause)).toMatch(/refused authentication: signature does not match/);
      await wrong.close();
    });

    it('refuses secrets too short to be secret, on both sides', async () => {
      expect(() => new RemoteBrick('http://127.0.0.1:1/b', { secret: 'short', volumeId: VOLUME })).toThrow(InvalidArgument);
      expect(() => new BrickServer({ bricks: [{ name: 'b', dir: scratch }], secret: 'short' })).toThrow(/at least 16/);
    });
  });

  describe('volume binding', () => {
    it('a brick taken by one volume is refused to another, with a clear error', async () => {
      const { brick, server } = await rig();
      await brick.open();
      expect(brick.volumeId).toBe(VOLUME);
      const foreign = new RemoteBrick(brick.url, { secret: SECRET, volumeId: 'someone-else' });
      const err = await foreign.open().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BrickIdentityMismatch);
      expect((err as Error).message).toMatch(/belongs to volume "vol-test", not "someone-else"/);
      await foreign.close();
      // Not only open: any call naming another volume is refused.
      const res = await request(`${server.url}/v1/b/b/call/getRecord`, {
        method: 'POST', body: JSON.stringify({ ref: o }), headers: authHeaders(SECRET, 'POST', '/v1/b/b/call/getRecord', 'someone-else'),
      });
      expect(res.statusCode).toBe(403);
      await res.body.dump();
    });

    it('a directory whose brick.json names another volume is refused from the start', async () => {
      const dir = path.join(scratch, `foreign-${++n}`);
      const local = new LocalBrick(dir, { volumeId: 'other-volume' });
      await local.open();
      await local.close();
      const server = await startBrickServer({ bricks: [{ name: 'x', dir }], secret: SECRET, host: '127.0.0.1', port: 0 });
      try {
        const brick = new RemoteBrick(`${server.url}/x`, { secret: SECRET, volumeId: VOLUME });
        await expect(brick.open()).rejects.toThrow(/belongs to volume "other-volume", not "vol-test"/);
        await brick.close();
      } finally {
        await server.close();
      }
      // A server pinned to a volume refuses to start on such a directory at all.
      await expect(startBrickServer({ bricks: [{ name: 'x', dir }], secret: SECRET, host: '127.0.0.1', port: 0, volumeId: VOLUME }))
        .rejects.toThrow(/belongs to volume "other-volume"/);
    });

    it('an unknown brick name is BrickUnavailable naming what the server does serve', async () => {
      const { server } = await rig();
      const brick = new RemoteBrick(`${server.url}/nope`, { secret: SECRET, volumeId: VOLUME });
      const err = await brick.open().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BrickUnavailable);
      expect(String((err as Error).cause)).toMatch(/serves no brick named "nope" \(it serves b\)/);
      await brick.close();
    });

    it('parses brick arguments as NAME=DIR or DIR', () => {
      expect(parseBrickArg('/srv/b1')).toEqual({ name: 'b1', dir: '/srv/b1' });
      expect(parseBrickArg('disk2=/srv/x')).toEqual({ name: 'disk2', dir: '/srv/x' });
      expect(() => parseBrickArg('/srv/bad name')).toThrow(/NAME=DIR/);
    });
  });

  describe('errors across the wire', () => {
    it('every typed store error keeps its class and fields', () => {
      const cases: StoreError[] = [
        new Conflict('1700000000.00002', '1700000000.00001'), new SizeMismatch(4, 3), new RangeNotSatisfiable(10),
        new InsufficientStorage('brick b is full'), new InvalidArgument('bad'), new Timeout('slow'),
        new BrickIdentityMismatch('b', 'belongs to volume "x"'),
      ];
      for (const e of cases) {
        const { error, status } = toWire(e);
        expect(status).toBeGreaterThanOrEqual(400);
        const back = fromWire(JSON.parse(JSON.stringify({ error })), 'b', status);
        expect(back.constructor).toBe(e.constructor);
        expect({ ...back, name: back.name }).toEqual({ ...e, name: e.name });
      }
      const unavailable = fromWire(JSON.parse(JSON.stringify({ error: toWire(new BrickUnavailable('x', { cause: new Error('EIO') })).error })), 'b', 503);
      expect(unavailable).toBeInstanceOf(BrickUnavailable);
      expect(String(unavailable.cause)).toMatch(/EIO/);
      expect(fromWire('<html>bad gateway</html>', 'b', 502)).toBeInstanceOf(BrickUnavailable);
      expect(fromWire({ error: { code: 'SOMETHING_NEW', message: 'x' } }, 'b', 500)).toBeInstanceOf(BrickUnavailable);
    });

    it('a server that is not there is BrickUnavailable, promptly', async () => {
      const { brick, server } = await rig();
      await server.close();
      const t = Date.now();
      await expect(brick.open()).rejects.toBeInstanceOf(BrickUnavailable);
      expect(Date.now() - t).toBeLessThan(2000);
    });

    it('a Range the server cannot satisfy is RangeNotSatisfiable', async () => {
      const { brick, server } = await rig();
      await brick.open();
      const rec = await put(brick, o, ts(1), 'ten bytes!');
      const made = await request(`${server.url}/v1/b/b/handles`, {
        method: 'POST', body: JSON.stringify({ record: rec }), headers: authHeaders(SECRET, 'POST', '/v1/b/b/handles', VOLUME),
      });
      const { value } = (await made.body.json()) as { value: { id: string; size: number } };
      const p = `/v1/b/b/handles/${value.id}`;
      const res = await request(`${server.url}${p}`, { headers: { ...authHeaders(SECRET, 'GET', p, VOLUME), range: 'bytes=5-10' } });
      expect(res.statusCode).toBe(416);
      expect(fromWire(await res.body.json(), 'b', 416)).toEqual(new RangeNotSatisfiable(10));
    });
  });

  describe('streams', () => {
    it('streams a large object up and down with ranges', async () => {
      const { brick } = await rig();
      await brick.open();
      const body = bytes(8 * 1024 * 1024 + 17, 3);
      const rec = await put(brick, o, ts(1), body);
      expect((await readData(brick, rec)).equals(body)).toBe(true);
      const r = { start: 1_000_000, end: 5_000_000 };
      expect((await readData(brick, rec, r)).equals(body.subarray(r.start, r.end + 1))).toBe(true);
    });

    it('a writer whose upload is cut leaves no tmp file on the server', async () => {
      const { brick, dir } = await rig();
      await brick.open();
      const w = await brick.createWriter(o, ts(1));
      w.stream.write(bytes(300_000));
      // Wait until the upload has reached the server (a write created but never uploaded is the idle sweep's).
      await eventually(() => tmpFiles(dir).some((f) => statSync(path.join(dir, 'tmp', f)).size > 0));
      w.stream.destroy(); // the gateway's side goes away mid-upload, without an abort call
      await eventually(() => tmpFiles(dir).length === 0);
      await w.abort();
      expect(await brick.getRecord(o)).toBeUndefined();
    });

    it('the server going away mid-upload fails the stream and the commit with BrickUnavailable', async () => {
      const { brick, server } = await rig();
      await brick.open();
      const w = await brick.createWriter(o, ts(1));
      const failed = new Promise<unknown>((resolve) => w.stream.once('error', resolve));
      w.stream.write(bytes(100_000));
      await sleep(50);
      await server.close();
      expect(await failed).toBeInstanceOf(BrickUnavailable);
      w.stream.end();
      await expect(w.commit(record(o, ts(1), { size: 100_000, dataFile: w.dataFile }))).rejects.toBeInstanceOf(StoreError);
      await w.abort();
    });

    it('a server dying before anyone listens does not crash the gateway; later reads and commits see BrickUnavailable', async () => {
      const { brick, server } = await rig();
      await brick.open();
      const rec = await put(brick, o, ts(1), bytes(INLINE_DATA_MAX + 1)); // past the inline size: a handle on the server
      const h = await brick.openData(rec);
      const w = await brick.createWriter(o, ts(2)); // its upload is in flight, nobody writes or listens
      await server.close();
      const s = h.read(); // fails while nobody listens yet
      await sleep(200);
      await expect(readAll(s)).rejects.toBeInstanceOf(BrickUnavailable);
      w.stream.end();
      await expect(w.commit(record(o, ts(2), { size: 0, dataFile: w.dataFile }))).rejects.toBeInstanceOf(BrickUnavailable);
      await w.abort();
      h.close();
    });

    it('backpressure end to end: 192 MiB up and down through a slow reader without piling up memory', async () => {
      const { brick } = await rig({ server: { fsync: false } });
      await brick.open();
      const total = 192 * 1024 * 1024;
      const chunk = Buffer.alloc(64 * 1024, 7);
      let peak = 0;
      const base = process.memoryUsage().rss;
      const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss - base); }, 10);
      try {
        const w = await brick.createWriter(o, ts(1));
        let sent = 0;
        // A source as fast as memory: only backpressure (disk -> server -> socket -> writer) can hold it.
        await pipeline(new Readable({ read() { this.push(sent < total ? chunk : null); sent += chunk.length; } }), w.stream);
        const rec = record(o, ts(1), { size: total, dataFile: w.dataFile });
        await w.commit(rec);
        const h = await brick.openData(rec);
        let got = 0;
        await pipeline(h.read(), new Writable({
          highWaterMark: 64 * 1024,
          write(c: Buffer, _e, cb) { got += c.length; if (got % (8 * 1024 * 1024) < c.length) setTimeout(cb, 5); else cb(); },
        }));
        h.close();
        expect(got).toBe(total);
      } finally {
        clearInterval(sampler);
      }
      // Client and server share this process: both sides' buffers together stay far below the object size.
      expect(peak).toBeLessThan(96 * 1024 * 1024);
    }, 60_000);

    it('a server that accepts but never answers is a Timeout, and the request is cancelled', async () => {
      const sockets: Socket[] = [];
      const silent = createNetServer((s) => { sockets.push(s); s.resume(); }); // reads, never answers
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
      const port = (silent.address() as AddressInfo).port;
      const brick = new RemoteBrick(`http://127.0.0.1:${port}/b`, { secret: SECRET, volumeId: VOLUME, callTimeoutMs: 300 });
      try {
        const t = Date.now();
        await expect(brick.open()).rejects.toBeInstanceOf(Timeout);
        expect(Date.now() - t).toBeLessThan(2000);
        await eventually(() => sockets.every((s) => s.destroyed || s.readableEnded));
      } finally {
        await brick.close();
        for (const s of sockets) s.destroy();
        await new Promise((r) => silent.close(r));
      }
    });

    it('a reader destroyed early stops the transfer and releases nothing it should not', async () => {
      const { brick, server } = await rig();
      await brick.open();
      const body = bytes(4 * 1024 * 1024);
      const rec = await put(brick, o, ts(1), body);
      const h = await brick.openData(rec);
      const s = h.read();
      await new Promise<void>((resolve) => s.once('data', () => resolve()));
      s.destroy();
      // The same handle still reads in full afterwards.
      expect((await readAll(h.read())).equals(body)).toBe(true);
      h.close();
      await eventually(() => server.bricks.get('b')!.handles.size === 0);
    });

    it('handles and writers the gateway abandons are released by the server', async () => {
      const { brick, server, dir } = await rig({ server: { handleIdleMs: 200, writerIdleMs: 200 } });
      await brick.open();
      const rec = await put(brick, o, ts(1), bytes(INLINE_DATA_MAX + 1));
      const h = await brick.openData(rec);
      const w = await brick.createWriter(ref('w'), ts(2));
      await pipeline(Readable.from([Buffer.from('never committed')]), w.stream);
      const sb = server.bricks.get('b')!;
      expect(sb.handles.size).toBe(1);
      expect(sb.writers.size).toBe(1);
      await eventually(() => sb.handles.size === 0 && sb.writers.size === 0);
      expect(tmpFiles(dir)).toEqual([]);
      await expect(readAll(h.read())).rejects.toBeInstanceOf(BrickUnavailable);
      await expect(w.commit(record(ref('w'), ts(2), { size: 15, dataFile: w.dataFile }))).rejects.toBeInstanceOf(BrickUnavailable);
    });

    it('a small file comes back whole when opened: no handle is kept on the server, ranges read from memory', async () => {
      const { brick, server } = await rig();
      await brick.open();
      const small = await put(brick, o, ts(1), 'small enough to come back whole');
      const h = await brick.openData(small);
      expect(server.bricks.get('b')!.handles.size).toBe(0);
      expect(h.size).toBe(small.size);
      expect((await readAll(h.read())).toString()).toBe('small enough to come back whole');
      expect((await readAll(h.read({ start: 6, end: 11 }))).toString()).toBe('enough');
      await expect(readAll(h.read({ start: 100, end: 200 }))).rejects.toBeInstanceOf(RangeNotSatisfiable);
      // The bytes are the gateway's now: the server going away does not take them.
      await server.close();
      expect((await readAll(h.read())).length).toBe(small.size);
      h.close();
      await expect(readAll(h.read())).rejects.toBeInstanceOf(InvalidArgument);
    });

    it('a file one byte past the inline size gets a handle on the server, as before', async () => {
      const { brick, server } = await rig();
      await brick.open();
      const body = bytes(INLINE_DATA_MAX + 1);
      const rec = await put(brick, o, ts(1), body);
      const h = await brick.openData(rec);
      expect(server.bricks.get('b')!.handles.size).toBe(1);
      expect((await readAll(h.read())).equals(body)).toBe(true);
      h.close();
      await eventually(() => server.bricks.get('b')!.handles.size === 0);
    });

    it('a handle stays pinned to its version across an overwrite on the server', async () => {
      const { brick } = await rig();
      await brick.open();
      const v1 = await put(brick, o, ts(1), 'first version');
      const h = await brick.openData(v1);
      await put(brick, o, ts(2), 'second');
      expect((await readAll(h.read({ start: 0, end: 4 }))).toString()).toBe('first');
      h.close();
    });
  });
});
