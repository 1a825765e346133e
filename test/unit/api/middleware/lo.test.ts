/**
 * The large-object plumbing against a fake pipeline (a FakeSwift-style handler serving objects from a
 * map): segment reads with ranges, etag/size/MD5 checks before and after the first byte, byte
 * counting, inline data, the rate limiter, and bounded fan-out.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../../src/api/context.js';
import { parseQuery, type Handler, type SwiftRequest } from '../../../../src/api/http.js';
import { SwiftHttpError } from '../../../../src/api/errors.js';
import { segmentChunks, startStream, type Segment } from '../../../../src/api/middleware/lo/segmented.js';
import { rateLimited } from '../../../../src/api/middleware/lo/ratelimit.js';
import { forEachBounded, mapBounded } from '../../../../src/api/middleware/lo/pool.js';
import { strictB64Decode } from '../../../../src/api/middleware/slo/parse.js';

const md5 = (b: string | Buffer): string => createHash('md5').update(b).digest('hex');

interface Stored { body: Buffer; etag?: string }

/** A handler serving GETs of `objects` (by path), honouring one "bytes=a-b" / "bytes=a-" range; records requests. */
function fakeSwift(objects: Record<string, Stored>, seen: SwiftRequest[] = []): Handler {
  return async (req) => {
    seen.push(req);
    const o = objects[req.path];
    if (!o) return { status: 404, headers: { 'content-length': '9' }, body: 'Not Found' };
    let body = o.body;
    let status = 200;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers['range'] ?? '');
    if (m) {
      body = body.subarray(Number(m[1]), m[2] ? Number(m[2]) + 1 : undefined);
      status = 206;
    }
    return { status, headers: { etag: o.etag ?? md5(o.body), 'content-length': String(body.length) },
             body: Readable.from([body.subarray(0, 3), body.subarray(3)]) };
  };
}

function request(): SwiftRequest {
  const ctx = createContext({ txnId: 'tx-unit', log: pino({ level: 'silent' }), signal: new AbortController().signal });
  return { method: 'GET', rawPath: '/v1/a/c/m', path: '/v1/a/c/m', pathIsUtf8: true, rawQuery: '', query: parseQuery(''),
           headers: { 'x-auth-token': 't', referer: 'http://r.example.com' }, body: Readable.from([]), ctx };
}

async function* list(...segs: Segment[]): AsyncGenerator<Segment> { yield* segs; }

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const OBJECTS: Record<string, Stored> = {
  '/v1/a/s/one': { body: Buffer.from('0123456789') },
  '/v1/a/s/two': { body: Buffer.from('abcdefghij') },
  '/v1/a/s/liar': { body: Buffer.from('not what the etag says'), etag: md5('something else') },
};

describe('segmentChunks / startStream', () => {
  it('streams segments and inline data in order, asking only for the bytes needed', async () => {
    const seen: SwiftRequest[] = [];
    const req = request();
    const body = await startStream(req, segmentChunks({
      req, app: fakeSwift(OBJECTS, seen), name: '/v1/a/c/m', source: 'SLO', maxGetTime: 60, responseBodyLength: 13,
      segments: list(
        { path: '/v1/a/s/one', firstByte: 7, etag: md5('0123456789'), size: 10 },
        { data: Buffer.from('XYZ'), firstByte: 0, lastByte: 2 },
        { path: '/v1/a/s/two', firstByte: 0, lastByte: 5, etag: md5('abcdefghij'), size: 10 },
        { path: '/v1/a/s/one', lastByte: 0 },
      ),
    }));
    expect((await readAll(body)).toString()).toBe('789XYZabcdef0');
    expect(seen.map((r) => [r.path, r.headers['range'], r.rawQuery, r.method])).toEqual([
      ['/v1/a/s/one', 'bytes=7-', 'multipart-manifest=get', 'GET'],
      ['/v1/a/s/two', 'bytes=0-5', 'multipart-manifest=get', 'GET'],
      ['/v1/a/s/one', 'bytes=0-0', 'multipart-manifest=get', 'GET'],
    ]);
    // Subrequests carry the client's token and Referer (Swift's make_env).
    expect(seen.every((r) => r.headers['x-auth-token'] === 't' && r.headers['referer'] === 'http://r.example.com')).toBe(true);
    expect(seen[0]!.ctx.source).toBe('SLO');
  }, 10_000);

  it('a missing or changed first segment is a 409 before any byte', async () => {
    const req = request();
    const open = (segments: AsyncIterable<Segment>) => startStream(req, segmentChunks({
      req, app: fakeSwift(OBJECTS), name: 'm', source: 'SLO', maxGetTime: 60, segments,
    }));
    for (const segs of [
      list({ path: '/v1/a/s/missing' }),
      list({ path: '/v1/a/s/one', etag: md5('other') }),
      list({ path: '/v1/a/s/one', size: 11 }),
    ]) {
      const err = await open(segs).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(SwiftHttpError);
      expect((err as SwiftHttpError).status).toBe(409);
    }
  });

  it('a bad later segment errors the stream (the connection is cut)', async () => {
    const req = request();
    const body = await startStream(req, segmentChunks({
      req, app: fakeSwift(OBJECTS), name: 'm', source: 'SLO', maxGetTime: 60,
      segments: list({ path: '/v1/a/s/one' }, { path: '/v1/a/s/liar' }),
    }));
    await expect(readAll(body)).rejects.toThrow(/Bad MD5 checksum for \/v1\/a\/s\/liar/);
  });

  it('enforces the expected body length', async () => {
    const req = request();
    const tooMany = await startStream(req, segmentChunks({
      req, app: fakeSwift(OBJECTS), name: 'm', source: 'DLO', maxGetTime: 60, responseBodyLength: 12,
      segments: list({ path: '/v1/a/s/one' }, { path: '/v1/a/s/two' }),
    }));
    await expect(readAll(tooMany)).rejects.toThrow(/Too many bytes for m/);
    const tooFew = await startStream(req, segmentChunks({
      req, app: fakeSwift(OBJECTS), name: 'm', source: 'DLO', maxGetTime: 60, responseBodyLength: 30,
      segments: list({ path: '/v1/a/s/one' }, { path: '/v1/a/s/two' }),
    }));
    await expect(readAll(tooFew)).rejects.toThrow(/Expected another 10 bytes for m/);
  });

  it('a 5xx segment is a 503', async () => {
    const req = request();
    const app: Handler = async () => ({ status: 500, headers: {}, body: 'boom' });
    const err = await startStream(req, segmentChunks({ req, app, name: 'm', source: 'SLO', maxGetTime: 60,
      segments: list({ path: '/v1/a/s/one' }) })).then(() => undefined, (e: unknown) => e);
    expect((err as SwiftHttpError).status).toBe(503);
  });

  it('destroying the body closes the segment being read', async () => {
    const req = request();
    let destroyed = false;
    const app: Handler = async () => {
      const body = new Readable({ read() { this.push(Buffer.alloc(1024, 1)); } });
      body.on('close', () => { destroyed = true; });
      return { status: 200, headers: { 'content-length': String(1 << 30) }, body };
    };
    const body = await startStream(req, segmentChunks({ req, app, name: 'm', source: 'SLO', maxGetTime: 60,
      segments: list({ path: '/v1/a/s/endless' }) }));
    await new Promise((r) => body.once('data', r));
    body.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(destroyed).toBe(true);
  });
});

describe('rateLimited', () => {
  it('lets limitAfter items through, then paces the matching ones', async () => {
    async function* nums() { for (let i = 0; i < 6; i++) yield i; }
    const start = Date.now();
    const out: number[] = [];
    for await (const n of rateLimited(nums(), 50, 2, (n) => n % 2 === 0)) out.push(n);
    expect(out).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Date.now() - start).toBeLessThan(1000);
    const off: number[] = [];
    for await (const n of rateLimited(nums(), 0, 0)) off.push(n);
    expect(off).toHaveLength(6);
  });
});

describe('bounded fan-out', () => {
  it('keeps at most `limit` calls in flight and the results in order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapBounded([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n * 3));
      inFlight -= 1;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('stops starting new calls after a failure and rejects with it', async () => {
    const started: number[] = [];
    const err = await forEachBounded([1, 2, 3, 4, 5], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('two');
    }).then(() => undefined, (e: unknown) => e);
    expect((err as Error).message).toBe('two');
    expect(started).toEqual([1, 2]);
  });
});

describe('strictB64Decode (Swift\'s strict_b64decode)', () => {
  it.each([
    ['aGVsbG8=', 'hello'], ['aGVsbG8', undefined], ['aGVsbG8==', 'hello'], ['aGVsbA==', 'hell'], ['aGVsbA=', undefined],
    ['aGVs bG8=', undefined], ['aGVsbG8*', undefined], ['', ''], ['a', undefined],
  ])('%j -> %j', (input, expected) => {
    const out = strictB64Decode(input);
    expect(out === undefined ? undefined : out.toString()).toBe(expected);
  });

  it('refuses non-strings', () => {
    expect(strictB64Decode(5)).toBeUndefined();
    expect(strictB64Decode(null)).toBeUndefined();
  });
});
