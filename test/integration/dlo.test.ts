/**
 * Dynamic large objects against Swift 2.30's dlo middleware: X-Object-Manifest validation on PUT,
 * GET/HEAD of the concatenated segments (length, etag of etags, ranges, conditionals), the manifest
 * itself with multipart-manifest=get, listings paged past the listing limit, and a missing segment
 * container.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_PIPELINE, authToken } from '../helpers/app.js';
import { api, binaryParser, md5, objectFixture, type ObjectFixture } from '../helpers/objects.js';

const USERS = [
  { account: 'test', user: 'tester', key: 'testing', groups: ['.admin'] },
  { account: 'test', user: 'tester3', key: 'testing3', groups: [] },
];
const PIPELINE = [...BASE_PIPELINE, 'copy', 'slo', 'dlo'];

let f: ObjectFixture;
const SEGS = 'dlo-segments';
const parts = ['one-', 'two-', 'three-', 'four-', 'five'].map((s, i) => Buffer.from(s.repeat(i + 1)));
const whole = Buffer.concat(parts);
const dloEtag = `"${md5(parts.map((p) => md5(p)).join(''))}"`;

function get(name: string, headers: Record<string, string> = {}, query = '') {
  return api(f).get(`${f.path(name)}${query ? `?${query}` : ''}`).set('X-Auth-Token', f.token).set(headers)
    .buffer(true).parse(binaryParser);
}
function head(name: string, headers: Record<string, string> = {}) {
  return api(f).head(f.path(name)).set('X-Auth-Token', f.token).set(headers);
}
function put(path: string, body: Buffer | string, headers: Record<string, string> = {}) {
  return api(f).put(path).set('X-Auth-Token', f.token).set(headers).send(body);
}

beforeAll(async () => {
  f = await objectFixture({
    pipeline: PIPELINE,
    middleware: { tempauth: { users: USERS, reseller_prefix: ['AUTH_'] }, dlo: { rate_limit_segments_per_sec: 0 } },
  });
  expect((await put(`${f.account}/${SEGS}`, '')).status).toBe(201);
  for (const [i, p] of parts.entries()) {
    expect((await put(f.path(`seg/${String(i).padStart(4, '0')}`, SEGS), p)).status).toBe(201);
  }
  expect((await put(f.path('manifest'), '', { 'X-Object-Manifest': `${SEGS}/seg/`, 'Content-Type': 'text/plain' })).status).toBe(201);
});
afterAll(async () => { await f.close(); });

describe('GET and HEAD of a manifest', () => {
  it('concatenates the segments in listing order', async () => {
    const res = await get('manifest');
    expect(res.status).toBe(200);
    expect((res.body as Buffer).equals(whole)).toBe(true);
    expect(res.headers['content-length']).toBe(String(whole.length));
    expect(res.headers['etag']).toBe(dloEtag);
    expect(res.headers['x-object-manifest']).toBe(`${SEGS}/seg/`);
    expect(res.headers['content-type']).toBe('text/plain');
  });

  it('HEAD gives the same length and etag', async () => {
    const res = await head('manifest');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(whole.length));
    expect(res.headers['etag']).toBe(dloEtag);
  });

  it('serves one range; ignores several; 416 past the end', async () => {
    const one = await get('manifest', { Range: 'bytes=5-20' });
    expect(one.status).toBe(206);
    expect(one.headers['content-range']).toBe(`bytes 5-20/${whole.length}`);
    expect((one.body as Buffer).equals(whole.subarray(5, 21))).toBe(true);
    const suffix = await get('manifest', { Range: 'bytes=-7' });
    expect(suffix.status).toBe(206);
    expect((suffix.body as Buffer).equals(whole.subarray(-7))).toBe(true);
    const several = await get('manifest', { Range: 'bytes=0-1,4-5' });
    expect(several.status).toBe(200);
    expect((several.body as Buffer).equals(whole)).toBe(true);
    const beyond = await get('manifest', { Range: `bytes=${whole.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${whole.length}`);
    expect(beyond.headers['accept-ranges']).toBe('bytes');
  });

  it('judges conditionals against the DLO etag', async () => {
    expect((await get('manifest', { 'If-Match': dloEtag })).status).toBe(200);
    expect((await get('manifest', { 'If-Match': md5('') })).status).toBe(412);
    expect((await get('manifest', { 'If-None-Match': dloEtag })).status).toBe(304);
    expect((await head('manifest', { 'If-None-Match': dloEtag })).status).toBe(304);
  });

  it('multipart-manifest=get returns the manifest object itself', async () => {
    const res = await get('manifest', {}, 'multipart-manifest=get');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('0');
    expect(res.headers['etag']).toBe(md5(''));
    expect(res.headers['x-object-manifest']).toBe(`${SEGS}/seg/`);
  });

  it('a prefix matching nothing is an empty object', async () => {
    expect((await put(f.path('nothing'), '', { 'X-Object-Manifest': `${SEGS}/none-such` })).status).toBe(201);
    const res = await get('nothing');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('0');
    expect(res.headers['etag']).toBe(`"${md5('')}"`);
  });

  it('a missing segment container answers like the listing (404)', async () => {
    expect((await put(f.path('orphan'), '', { 'X-Object-Manifest': 'no-such-container/p' })).status).toBe(201);
    expect((await get('orphan')).status).toBe(404);
    expect((await head('orphan')).status).toBe(404);
  });

  it('a manifest after POST without X-Object-Manifest is a plain object again', async () => {
    expect((await put(f.path('posted'), 'plain', { 'X-Object-Manifest': `${SEGS}/seg/` })).status).toBe(201);
    expect((await api(f).post(f.path('posted')).set('X-Auth-Token', f.token)).status).toBe(202);
    const res = await get('posted');
    expect((res.body as Buffer).toString()).toBe('plain');
  });
});

describe('names and access', () => {
  it('reads X-Object-Manifest as raw UTF-8 bytes, percent-encoded or not', async () => {
    const cont = 'segs ü 日本';
    expect((await put(`${f.account}/${encodeURIComponent(cont)}`, '')).status).toBe(201);
    expect((await put(f.path('ü/1', cont), 'AAA')).status).toBe(201);
    expect((await put(f.path('ü/2', cont), 'BBB')).status).toBe(201);
    const raw = Buffer.from(`${cont}/ü/`, 'utf8').toString('latin1');
    expect((await put(f.path('utf8-raw'), '', { 'X-Object-Manifest': raw })).status).toBe(201);
    expect((await get('utf8-raw')).body.toString()).toBe('AAABBB');
    expect((await put(f.path('utf8-quoted'), '', { 'X-Object-Manifest': `${encodeURIComponent(cont)}/%C3%BC/` })).status).toBe(201);
    expect((await get('utf8-quoted')).body.toString()).toBe('AAABBB');
  });

  it('segment listings and reads carry the client\'s Referer (.r: ACLs)', async () => {
    const acl = { 'X-Container-Read': '.r:*.example.com,.rlistings' };
    expect((await put(`${f.account}/ref-segs`, '', acl)).status).toBe(201);
    expect((await put(`${f.account}/ref-man`, '', acl)).status).toBe(201);
    expect((await put(f.path('s/1', 'ref-segs'), 'xx')).status).toBe(201);
    expect((await put(f.path('m', 'ref-man'), '', { 'X-Object-Manifest': 'ref-segs/s/' })).status).toBe(201);
    const { token } = await authToken(f.t, 'test:tester3', 'testing3');
    const withRef = await api(f).get(f.path('m', 'ref-man')).set('X-Auth-Token', token)
      .set('Referer', 'http://blah.example.com').buffer(true).parse(binaryParser);
    expect(withRef.status).toBe(200);
    expect(withRef.body.toString()).toBe('xx');
    const without = await api(f).get(f.path('m', 'ref-man')).set('X-Auth-Token', token);
    expect(without.status).toBe(403);
  });
});

describe('PUT', () => {
  it.each(['no-slash', '/prefix', 'container/', 'c/p?x=1', 'c/p&q', 'c//p', '/'])('refuses X-Object-Manifest: %s', async (value) => {
    const res = await put(f.path('bad'), '', { 'X-Object-Manifest': value });
    expect(res.status).toBe(400);
    expect(res.text).toBe('X-Object-Manifest must be in the format container/prefix');
  });
});

describe('listings past the listing limit', () => {
  let g: ObjectFixture;
  const many = Array.from({ length: 7 }, (_, i) => Buffer.from(`part${i}|`));
  beforeAll(async () => {
    g = await objectFixture({
      pipeline: PIPELINE, constraints: { container_listing_limit: 3 },
      middleware: { tempauth: { users: USERS, reseller_prefix: ['AUTH_'] }, dlo: { rate_limit_segments_per_sec: 0 } },
    });
    for (const [i, p] of many.entries()) {
      expect((await api(g).put(g.path(`p/${i}`)).set('X-Auth-Token', g.token).send(p)).status).toBe(201);
    }
    expect((await api(g).put(g.path('big')).set('X-Auth-Token', g.token)
      .set('X-Object-Manifest', `${g.container}/p/`).send('')).status).toBe(201);
  });
  afterAll(async () => { await g.close(); });

  it('streams every page, without a length or DLO etag', async () => {
    const res = await api(g).get(g.path('big')).set('X-Auth-Token', g.token).buffer(true).parse(binaryParser);
    expect(res.status).toBe(200);
    expect((res.body as Buffer).toString()).toBe(Buffer.concat(many).toString());
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['etag']).toBe(md5(''));
  });

  it('honours a range inside the first page only', async () => {
    const inFirst = await api(g).get(g.path('big')).set('X-Auth-Token', g.token).set('Range', 'bytes=2-8')
      .buffer(true).parse(binaryParser);
    expect(inFirst.status).toBe(206);
    expect((inFirst.body as Buffer).toString()).toBe(Buffer.concat(many).subarray(2, 9).toString());
    expect(inFirst.headers['content-range']).toBe('bytes 2-8/18');
    const later = await api(g).get(g.path('big')).set('X-Auth-Token', g.token).set('Range', 'bytes=30-40')
      .buffer(true).parse(binaryParser);
    expect(later.status).toBe(200);
    expect((later.body as Buffer).toString()).toBe(Buffer.concat(many).toString());
  });
});

describe('/info', () => {
  it('publishes the dlo section', async () => {
    const res = await api(f).get('/info');
    expect(res.body.dlo).toEqual({ max_get_time: 86400 });
  });
});
