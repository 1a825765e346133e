/**
 * Bad input never changes stored data: a body cut short by a client that goes away, a chunked body
 * (good and malformed), a chunked body past max_file_size, an ETag mismatch, metadata over Swift's
 * limits, a missing Content-Length, bad Content-Type and X-Timestamp values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, getText, listen, md5, objectFixture, rawRequest, type Listening, type ObjectFixture } from '../helpers/objects.js';

let f: ObjectFixture;
let server: Listening;
beforeAll(async () => {
  f = await objectFixture({ constraints: { max_file_size: 4096 } });
  server = await listen(f);
});
afterAll(async () => {
  await server.close();
  await f.close();
});

const get = (name: string) => getText(f, name);
const put = (name: string, body: string, headers: Record<string, string> = {}) =>
  api(f).put(f.path(name)).set('X-Auth-Token', f.token).set(headers).send(Buffer.from(body));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function head(method: string, name: string, extra: string): string {
  return `${method} ${f.path(name)} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${f.token}\r\n${extra}\r\n`;
}

describe('a client that goes away', () => {
  // Its own volume: an abandoned upload must not disturb anything else, and if it did, the other
  // groups here would not be the ones to show it.
  let g: ObjectFixture;
  let gs: Listening;
  beforeAll(async () => {
    g = await objectFixture();
    gs = await listen(g);
  });
  afterAll(async () => {
    await gs.close();
    await g.close();
  });
  const gHead = (method: string, name: string, extra: string) =>
    `${method} ${g.path(name)} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${g.token}\r\n${extra}\r\n`;

  it('half a body then a closed socket stores nothing', async () => {
    await rawRequest(gs.port, [gHead('PUT', 'half', 'Content-Length: 100\r\n'), 'x'.repeat(50)], { hangUp: 'after-send' });
    await sleep(200);
    expect((await getText(g, 'half')).status).toBe(404);
  });

  it('and leaves the previous version in place', async () => {
    const put = await api(g).put(g.path('keep')).set('X-Auth-Token', g.token).send(Buffer.from('old version'));
    expect(put.status).toBe(201);
    await rawRequest(gs.port, [gHead('PUT', 'keep', 'Content-Length: 100\r\n'), 'y'.repeat(60)], { hangUp: 'after-send' });
    await sleep(200);
    const res = await getText(g, 'keep');
    expect(res.status).toBe(200);
    expect(res.text).toBe('old version');
  });

  it('a chunked upload abandoned mid-way stores nothing', async () => {
    await rawRequest(gs.port, [gHead('PUT', 'half-chunked', 'Transfer-Encoding: chunked\r\n'), '5\r\nhello\r\n', '5\r\nwor'],
      { hangUp: 'after-send' });
    await sleep(200);
    expect((await getText(g, 'half-chunked')).status).toBe(404);
  });

  it('the same names can be written normally afterwards', async () => {
    for (const name of ['half', 'keep', 'half-chunked']) {
      const put = await api(g).put(g.path(name)).set('X-Auth-Token', g.token).send(Buffer.from('complete'));
      expect(put.status).toBe(201);
      expect((await getText(g, name)).text).toBe('complete');
    }
  });
});

describe('chunked transfer encoding', () => {
  it('a well-formed chunked upload is stored (201 with the right Etag)', async () => {
    const res = await rawRequest(server.port, [
      head('PUT', 'chunked', 'Transfer-Encoding: chunked\r\nConnection: close\r\n'),
      '5\r\nhello\r\n', '6\r\n world\r\n', '0\r\n\r\n',
    ]);
    expect(res?.status).toBe(201);
    expect(res?.head).toContain(`Etag: ${md5('hello world')}`);
    const got = await get('chunked');
    expect(got.status).toBe(200);
    expect(got.text).toBe('hello world');
    expect(got.headers['content-length']).toBe('11');
  });

  it('malformed chunk framing is refused and stores nothing', async () => {
    const res = await rawRequest(server.port, [
      head('PUT', 'bad-chunks', 'Transfer-Encoding: chunked\r\nConnection: close\r\n'),
      '5\r\nhello\r\n', 'zz\r\nnot a chunk\r\n', '0\r\n\r\n',
    ]);
    expect(res === undefined || res.status === 0 || res.status === 400).toBe(true);
    await sleep(100);
    expect((await get('bad-chunks')).status).toBe(404);
  });

  it('a chunked body past max_file_size is 413 and stores nothing', async () => {
    const chunk = 'a'.repeat(1024);
    const res = await rawRequest(server.port, [
      head('PUT', 'too-big', 'Transfer-Encoding: chunked\r\nConnection: close\r\n'),
      ...Array.from({ length: 5 }, () => `400\r\n${chunk}\r\n`), '0\r\n\r\n',
    ]);
    expect(res?.status).toBe(413);
    expect(res?.body).toContain('<html><h1>Request Entity Too Large</h1>');
    expect((await get('too-big')).status).toBe(404);
  });

  it('a chunked body of exactly max_file_size is accepted', async () => {
    const chunk = 'b'.repeat(1024);
    const res = await rawRequest(server.port, [
      head('PUT', 'just-fits', 'Transfer-Encoding: chunked\r\nConnection: close\r\n'),
      ...Array.from({ length: 4 }, () => `400\r\n${chunk}\r\n`), '0\r\n\r\n',
    ]);
    expect(res?.status).toBe(201);
  });
});

describe('length and checksum', () => {
  it('411 without Content-Length or chunked encoding (plain-text body)', async () => {
    const res = await rawRequest(server.port, [head('PUT', 'no-length', 'Connection: close\r\n')]);
    expect(res?.status).toBe(411);
    expect(res?.body).toBe('Missing Content-Length header.');
    expect((await get('no-length')).status).toBe(404);
  });

  it('an ETag mismatch is 422 and stores nothing', async () => {
    const res = await put('bad-etag', 'content', { ETag: md5('different') });
    expect(res.status).toBe(422);
    expect((await get('bad-etag')).status).toBe(404);
  });
});

describe('metadata limits (Swift\'s check_metadata: 400, plain text)', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['a name over 128 bytes', { ['X-Object-Meta-' + 'k'.repeat(129)]: 'v' }, /^Metadata name too long: x-object-meta-k{129}$/i],
    ['a value over 256 bytes', { 'X-Object-Meta-Big': 'v'.repeat(257) }, /^Metadata value longer than 256: x-object-meta-big$/i],
    ['more than 90 items', Object.fromEntries(Array.from({ length: 91 }, (_v, i) => [`X-Object-Meta-K${i}`, 'v'])),
      /^Too many metadata items; max 90$/],
    ['more than 4096 bytes in all', Object.fromEntries(Array.from({ length: 20 }, (_v, i) => [`X-Object-Meta-K${i}`, 'v'.repeat(250)])),
      /^Total metadata too large; max 4096$/],
  ];
  for (const [what, headers, message] of cases) {
    it(what, async () => {
      const res = await put('meta-limit', 'x', headers);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe('text/plain');
      expect(res.text).toMatch(message);
      expect((await get('meta-limit')).status).toBe(404);
    });
  }

  it('exactly at the limits is fine', async () => {
    const res = await put('meta-ok', 'x', { ['X-Object-Meta-' + 'k'.repeat(128)]: 'v'.repeat(256) });
    expect(res.status).toBe(201);
  });
});

describe('other headers', () => {
  it('a Content-Type that is not UTF-8 is 400 "Invalid Content-Type"', async () => {
    const res = await rawRequest(server.port, [
      Buffer.concat([
        Buffer.from(head('PUT', 'bad-ct', 'Content-Length: 1\r\nConnection: close\r\n').slice(0, -2)),
        Buffer.from('Content-Type: text/\xff\xfe\r\n\r\nx', 'latin1'),
      ]),
    ]);
    expect(res?.status).toBe(400);
    expect(res?.body).toBe('Invalid Content-Type');
    expect((await get('bad-ct')).status).toBe(404);
  });

  it('an object name over 1024 bytes is 400', async () => {
    const res = await put('n'.repeat(1025), 'x');
    expect(res.status).toBe(400);
    expect(res.text).toBe('Object name length of 1025 longer than 1024');
  });
});
