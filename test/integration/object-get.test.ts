/**
 * Object GET/HEAD against Swift 2.30: response headers, Range (single, suffix, open-ended, clamped,
 * several -> multipart/byteranges in swob's exact format, unsatisfiable -> 416, invalid -> ignored,
 * Swift's limits on egregious range sets), and the store reader contract (closed exactly once,
 * also when the client goes away).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, binaryParser, eventually, listen, md5, objectFixture, rawHeader, rawRequest, trackReaders,
         type ObjectFixture, type ReaderStats } from '../helpers/objects.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';
let f: ObjectFixture;
let readers: ReaderStats;

beforeAll(async () => {
  f = await objectFixture();
  readers = trackReaders(f.t.deps.store);
  const put = await api(f).put(f.path('alpha.txt')).set('X-Auth-Token', f.token)
    .set('Content-Type', 'text/plain').set('X-Object-Meta-Kind', 'letters').send(Buffer.from(ALPHABET));
  expect(put.status).toBe(201);
  await api(f).put(f.path('empty')).set('X-Auth-Token', f.token).send(Buffer.alloc(0));
});
afterAll(async () => { await f.close(); });

function get(path: string, headers: Record<string, string> = {}) {
  return api(f).get(path).set('X-Auth-Token', f.token).set(headers).buffer(true).parse(binaryParser);
}

describe('GET and HEAD', () => {
  it('GET returns the body and Swift\'s object headers', async () => {
    const res = await get(f.path('alpha.txt'));
    expect(res.status).toBe(200);
    expect((res.body as Buffer).toString()).toBe(ALPHABET);
    expect(res.headers['content-length']).toBe('26');
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.headers['etag']).toBe(md5(ALPHABET));
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['x-timestamp']).toMatch(/^\d{10}\.\d{5}$/);
    expect(res.headers['last-modified']).toBe(
      new Date(Math.ceil(Number(res.headers['x-timestamp'])) * 1000).toUTCString());
    expect(res.headers['x-object-meta-kind']).toBe('letters');
    expect(res.headers['x-delete-at']).toBeUndefined();
  });

  it('HEAD returns the same headers and no body', async () => {
    const g = await get(f.path('alpha.txt'));
    const h = await api(f).head(f.path('alpha.txt')).set('X-Auth-Token', f.token);
    expect(h.status).toBe(200);
    for (const k of ['content-length', 'content-type', 'etag', 'last-modified', 'x-timestamp', 'accept-ranges', 'x-object-meta-kind']) {
      expect(h.headers[k]).toBe(g.headers[k]);
    }
    expect(h.text ?? '').toBe('');
  });

  it('accepts and ignores X-Newest', async () => {
    const res = await get(f.path('alpha.txt'), { 'X-Newest': 'true' });
    expect(res.status).toBe(200);
    expect((res.body as Buffer).toString()).toBe(ALPHABET);
  });

  it('404s a missing object (GET with Swift\'s body, HEAD with none)', async () => {
    const res = await api(f).get(f.path('missing')).set('X-Auth-Token', f.token);
    expect(res.status).toBe(404);
    expect(res.text).toBe('<html><h1>Not Found</h1><p>The resource could not be found.</p></html>');
    const head = await api(f).head(f.path('missing')).set('X-Auth-Token', f.token);
    expect(head.status).toBe(404);
    expect(head.headers['content-length']).toBe('0');
  });

  it('404s an object in a missing container', async () => {
    const res = await api(f).get(`${f.account}/nope/o`).set('X-Auth-Token', f.token);
    expect(res.status).toBe(404);
  });

  it('streams a large object intact', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 9)) & 0xff;
    const put = await api(f).put(f.path('big')).set('X-Auth-Token', f.token).send(big);
    expect(put.status).toBe(201);
    expect(put.headers['etag']).toBe(md5(big));
    const res = await get(f.path('big'));
    expect(res.status).toBe(200);
    expect(md5(res.body as Buffer)).toBe(md5(big));
  });
});

describe('Range', () => {
  const single: Array<[string, string, string]> = [
    ['bytes=0-4', 'bytes 0-4/26', 'abcde'],
    ['bytes=-5', 'bytes 21-25/26', 'vwxyz'],
    ['bytes=20-', 'bytes 20-25/26', 'uvwxyz'],
    ['bytes=24-100', 'bytes 24-25/26', 'yz'],
    ['bytes=-100', 'bytes 0-25/26', ALPHABET],
    ['bytes = 3 - 3', 'bytes 3-3/26', 'd'],
    ['BYTES=25-25', 'bytes 25-25/26', 'z'],
    ['bytes=0-1,30-40', 'bytes 0-1/26', 'ab'],
  ];
  for (const [range, contentRange, body] of single) {
    it(`${range} -> 206 ${contentRange}`, async () => {
      const res = await get(f.path('alpha.txt'), { Range: range });
      expect(res.status).toBe(206);
      expect(res.headers['content-range']).toBe(contentRange);
      expect(res.headers['content-length']).toBe(String(body.length));
      expect(res.headers['content-type']).toBe('text/plain');
      expect((res.body as Buffer).toString()).toBe(body);
    });
  }

  it('several ranges -> multipart/byteranges exactly as swob writes it', async () => {
    const res = await get(f.path('alpha.txt'), { Range: 'bytes=0-2,10-12,-2' });
    expect(res.status).toBe(206);
    const m = /^multipart\/byteranges;boundary=([0-9a-f]{32})$/.exec(res.headers['content-type'] as string);
    expect(m).not.toBeNull();
    const b = m![1]!;
    const expected =
      `--${b}\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-2/26\r\n\r\nabc\r\n` +
      `--${b}\r\nContent-Type: text/plain\r\nContent-Range: bytes 10-12/26\r\n\r\nklm\r\n` +
      `--${b}\r\nContent-Type: text/plain\r\nContent-Range: bytes 24-25/26\r\n\r\nyz\r\n` +
      `--${b}--`;
    expect((res.body as Buffer).toString()).toBe(expected);
    expect(res.headers['content-length']).toBe(String(expected.length));
    expect(res.headers['content-range']).toBeUndefined();
    expect(res.headers['etag']).toBe(md5(ALPHABET));
  });

  for (const range of ['bytes=26-', 'bytes=30-40', 'bytes=-0', 'bytes=100-,200-300']) {
    it(`${range} -> 416 with Content-Range bytes */26`, async () => {
      const res = await api(f).get(f.path('alpha.txt')).set('X-Auth-Token', f.token).set('Range', range);
      expect(res.status).toBe(416);
      expect(res.headers['content-range']).toBe('bytes */26');
      expect(res.text).toBe('<html><h1>Requested Range Not Satisfiable</h1><p>The Range requested is not available.</p></html>');
    });
  }

  for (const range of ['bytes=5-3', 'bits=0-1', 'bytes=abc', 'bytes=1', 'bytes=-', 'bytes=--1', 'bytes=0-1,x', '']) {
    it(`invalid Range "${range}" is ignored (200)`, async () => {
      const res = await get(f.path('alpha.txt'), { Range: range });
      expect(res.status).toBe(200);
      expect((res.body as Buffer).toString()).toBe(ALPHABET);
      expect(res.headers['content-range']).toBeUndefined();
    });
  }

  it('HEAD ignores Range', async () => {
    const res = await api(f).head(f.path('alpha.txt')).set('X-Auth-Token', f.token).set('Range', 'bytes=0-1');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('26');
    expect(res.headers['content-range']).toBeUndefined();
  });

  it('an empty object: a suffix range is served whole (200), a start range is 416', async () => {
    const suffix = await get(f.path('empty'), { Range: 'bytes=-5' });
    expect(suffix.status).toBe(200);
    expect(suffix.headers['content-length']).toBe('0');
    const start = await api(f).get(f.path('empty')).set('X-Auth-Token', f.token).set('Range', 'bytes=0-');
    expect(start.status).toBe(416);
    expect(start.headers['content-range']).toBe('bytes */0');
  });

  it('refuses more than two overlapping ranges (416) but serves two', async () => {
    const two = await get(f.path('alpha.txt'), { Range: 'bytes=0-5,1-6,20-21' });
    expect(two.status).toBe(206);
    const three = await api(f).get(f.path('alpha.txt')).set('X-Auth-Token', f.token).set('Range', 'bytes=0-5,1-6,2-7');
    expect(three.status).toBe(416);
  });

  it('refuses 8 or more out-of-order ranges (416) but serves 7', async () => {
    const seven = await get(f.path('alpha.txt'), { Range: 'bytes=7-7,6-6,5-5,4-4,3-3,2-2,1-1' });
    expect(seven.status).toBe(206);
    const eight = await api(f).get(f.path('alpha.txt')).set('X-Auth-Token', f.token)
      .set('Range', 'bytes=8-8,7-7,6-6,5-5,4-4,3-3,2-2,1-1');
    expect(eight.status).toBe(416);
  });

  it('refuses more than 50 ranges (416) but serves 50', async () => {
    const specs = (n: number) => 'bytes=' + Array.from({ length: n }, (_v, i) => `${i * 2}-${i * 2}`).join(',');
    await api(f).put(f.path('hundred')).set('X-Auth-Token', f.token).send(Buffer.alloc(120, 0x41));
    const fifty = await get(f.path('hundred'), { Range: specs(50) });
    expect(fifty.status).toBe(206);
    const fiftyOne = await api(f).get(f.path('hundred')).set('X-Auth-Token', f.token).set('Range', specs(51));
    expect(fiftyOne.status).toBe(416);
  });
});

describe('the store reader is closed exactly once', () => {
  async function settled(): Promise<void> {
    await eventually(() => readers.closed === readers.opened);
    expect(readers.closed).toBe(readers.opened);
    expect(readers.doubleClosed).toBe(0);
  }

  it('after full, ranged, multipart, 416 and conditional GETs', async () => {
    const before = readers.opened;
    await get(f.path('alpha.txt'));
    await get(f.path('alpha.txt'), { Range: 'bytes=1-2' });
    await get(f.path('alpha.txt'), { Range: 'bytes=1-2,5-6' });
    await get(f.path('alpha.txt'), { Range: 'bytes=99-' });
    await get(f.path('alpha.txt'), { 'If-None-Match': '*' });
    expect(readers.opened - before).toBe(5);
    await settled();
  });

  it('when the client goes away mid-body', async () => {
    const size = 8 * 1024 * 1024;
    await api(f).put(f.path('huge')).set('X-Auth-Token', f.token).send(Buffer.alloc(size, 1));
    const server = await listen(f);
    try {
      const before = readers.opened;
      for (const range of [undefined, 'bytes=0-10,4000000-8000000']) {
        await rawRequest(server.port, [
          `GET ${f.path('huge')} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${f.token}\r\n` +
          (range ? `Range: ${range}\r\n` : '') + '\r\n',
        ], { hangUp: 'after-first-data' });
      }
      await eventually(() => readers.opened - before === 2);
      expect(readers.opened - before).toBe(2);
      await settled();
    } finally {
      await server.close();
    }
  });

  it('a raw GET reports the exact headers on the wire', async () => {
    const server = await listen(f);
    try {
      const res = await rawRequest(server.port, [
        `GET ${f.path('alpha.txt')} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Auth-Token: ${f.token}\r\nRange: bytes=0-0\r\n\r\n`,
      ]);
      expect(res?.status).toBe(206);
      expect(rawHeader(res!.head, 'Content-Range')).toBe('bytes 0-0/26');
      expect(rawHeader(res!.head, 'Etag')).toBe(md5(ALPHABET));
      expect(rawHeader(res!.head, 'X-Object-Meta-Kind')).toBe('letters');
      expect(res!.body).toBe('a');
    } finally {
      await server.close();
    }
    await settled();
  });
});
