/**
 * Conditional GET/HEAD with swob's rules and precedence: If-None-Match (304), If-Match (412),
 * If-Match: * on a missing object (412), If-Modified-Since (304), If-Unmodified-Since (412), in
 * that order; 304/412 carry the object's Etag and an empty body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, md5, objectFixture, type ObjectFixture } from '../helpers/objects.js';

const BODY = 'conditional body';
const ETAG = md5(BODY);
let f: ObjectFixture;
let lastModified: string;
let lastModifiedMs: number;

beforeAll(async () => {
  f = await objectFixture();
  const put = await api(f).put(f.path('obj')).set('X-Auth-Token', f.token).set('Content-Type', 'text/plain')
    .set('X-Object-Meta-M', 'v').send(Buffer.from(BODY));
  expect(put.status).toBe(201);
  lastModified = put.headers['last-modified'] as string;
  lastModifiedMs = Date.parse(lastModified);
});
afterAll(async () => { await f.close(); });

function req(method: 'get' | 'head', headers: Record<string, string>, name = 'obj') {
  return api(f)[method](f.path(name)).set('X-Auth-Token', f.token).set(headers);
}
const httpDate = (ms: number) => new Date(ms).toUTCString();

describe('If-Match', () => {
  for (const value of [ETAG, `"${ETAG}"`, '*', `"nope", "${ETAG}"`, `nope,${ETAG}`]) {
    it(`${value} -> 200`, async () => {
      const res = await req('get', { 'If-Match': value });
      expect(res.status).toBe(200);
      expect(res.text).toBe(BODY);
    });
  }

  for (const method of ['get', 'head'] as const) {
    it(`a mismatch -> 412 with the Etag and an empty body (${method.toUpperCase()})`, async () => {
      const res = await req(method, { 'If-Match': md5('other') });
      expect(res.status).toBe(412);
      expect(res.headers['etag']).toBe(ETAG);
      expect(res.headers['content-length']).toBe('0');
      expect(res.headers['content-type']).toBe('text/html; charset=UTF-8');
      expect(res.text ?? '').toBe('');
    });
  }

  it('* on a missing object -> 412; an etag on a missing object -> 404', async () => {
    expect((await req('get', { 'If-Match': '*' }, 'missing')).status).toBe(412);
    expect((await req('head', { 'If-Match': '*' }, 'missing')).status).toBe(412);
    expect((await req('get', { 'If-Match': ETAG }, 'missing')).status).toBe(404);
  });
});

describe('If-None-Match', () => {
  for (const value of [ETAG, `"${ETAG}"`, '*', `"x", "${ETAG}"`]) {
    it(`${value} -> 304 with the object's headers`, async () => {
      const res = await req('get', { 'If-None-Match': value });
      expect(res.status).toBe(304);
      expect(res.headers['etag']).toBe(ETAG);
      expect(res.headers['last-modified']).toBe(lastModified);
      expect(res.headers['x-object-meta-m']).toBe('v');
      expect(res.headers['content-type']).toBe('text/plain');
      expect(res.headers['accept-ranges']).toBe('bytes');
      expect(res.text ?? '').toBe('');
    });
  }

  it('another etag -> 200', async () => {
    const res = await req('get', { 'If-None-Match': md5('other') });
    expect(res.status).toBe(200);
    expect(res.text).toBe(BODY);
  });

  it('HEAD -> 304 too', async () => {
    expect((await req('head', { 'If-None-Match': ETAG })).status).toBe(304);
  });

  it('a missing object -> 404', async () => {
    expect((await req('get', { 'If-None-Match': '*' }, 'missing')).status).toBe(404);
  });
});

describe('If-Modified-Since', () => {
  it('at or after Last-Modified -> 304', async () => {
    expect((await req('get', { 'If-Modified-Since': lastModified })).status).toBe(304);
    expect((await req('head', { 'If-Modified-Since': httpDate(lastModifiedMs + 3600_000) })).status).toBe(304);
  });

  it('before Last-Modified -> 200', async () => {
    const res = await req('get', { 'If-Modified-Since': httpDate(lastModifiedMs - 1000) });
    expect(res.status).toBe(200);
    expect(res.text).toBe(BODY);
  });

  it('RFC 850 and asctime dates are understood', async () => {
    const d = new Date(lastModifiedMs + 86_400_000);
    const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
    const mon = d.toUTCString().slice(8, 11);
    const pad = (n: number) => String(n).padStart(2, '0');
    const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const rfc850 = `${days[d.getUTCDay()]}, ${pad(d.getUTCDate())}-${mon}-${String(d.getUTCFullYear()).slice(2)} ${time} GMT`;
    const asctime = `${d.toUTCString().slice(0, 3)} ${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${time} ${d.getUTCFullYear()}`;
    expect((await req('get', { 'If-Modified-Since': rfc850 })).status).toBe(304);
    expect((await req('get', { 'If-Modified-Since': asctime })).status).toBe(304);
  });

  it('an unparseable date is ignored', async () => {
    expect((await req('get', { 'If-Modified-Since': 'not a date' })).status).toBe(200);
  });
});

describe('If-Unmodified-Since', () => {
  it('before Last-Modified -> 412', async () => {
    const res = await req('get', { 'If-Unmodified-Since': httpDate(lastModifiedMs - 1000) });
    expect(res.status).toBe(412);
    expect(res.headers['etag']).toBe(ETAG);
  });

  it('at Last-Modified -> 200', async () => {
    expect((await req('get', { 'If-Unmodified-Since': lastModified })).status).toBe(200);
  });

  it('an unparseable date is ignored', async () => {
    expect((await req('get', { 'If-Unmodified-Since': 'garbage' })).status).toBe(200);
  });
});

describe('precedence (swob order)', () => {
  it('If-None-Match match beats an If-Match mismatch (304)', async () => {
    expect((await req('get', { 'If-None-Match': ETAG, 'If-Match': 'nope' })).status).toBe(304);
  });

  it('If-Match mismatch beats If-Modified-Since (412)', async () => {
    expect((await req('get', { 'If-Match': 'nope', 'If-Modified-Since': httpDate(lastModifiedMs + 3600_000) })).status).toBe(412);
  });

  it('Swift applies If-Modified-Since even when If-None-Match did not match (304)', async () => {
    expect((await req('get', { 'If-None-Match': 'nope', 'If-Modified-Since': httpDate(lastModifiedMs + 3600_000) })).status).toBe(304);
  });

  it('If-Modified-Since beats If-Unmodified-Since (304)', async () => {
    const res = await req('get', {
      'If-Modified-Since': httpDate(lastModifiedMs + 3600_000),
      'If-Unmodified-Since': httpDate(lastModifiedMs - 3600_000),
    });
    expect(res.status).toBe(304);
  });

  it('conditionals come before Range (304, not 206)', async () => {
    expect((await req('get', { 'If-None-Match': ETAG, Range: 'bytes=0-1' })).status).toBe(304);
  });

  it('a passing condition still honours Range (206)', async () => {
    const res = await req('get', { 'If-Match': ETAG, Range: 'bytes=0-1' });
    expect(res.status).toBe(206);
    expect(res.text).toBe('co');
  });
});
