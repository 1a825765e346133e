/**
 * Static large objects against Swift 2.30's slo middleware: manifest PUT validation (bodies and
 * statuses), segment checks, ranges in segments, inline data, nested manifests and the depth
 * limit, GET/HEAD of the assembled object (etag, length, ranges, conditionals), the manifest
 * itself (multipart-manifest=get, format=raw), heartbeat PUTs, multipart-manifest=delete, listings,
 * and broken segments (409 before the first byte, a cut connection after it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_PIPELINE } from '../helpers/app.js';
import { api, binaryParser, md5, objectFixture, trackReaders, eventually, type ObjectFixture, type ReaderStats } from '../helpers/objects.js';

const MiB = 1024 * 1024;
let f: ObjectFixture;
let readers: ReaderStats;

function seg(ch: string, n: number): Buffer { return Buffer.alloc(n, ch); }

async function put(name: string, body: Buffer | string, headers: Record<string, string> = {}, container?: string) {
  const res = await api(f).put(f.path(name, container)).set('X-Auth-Token', f.token).set(headers).send(body);
  return res;
}

function manifestPut(name: string, manifest: unknown, query = 'multipart-manifest=put', headers: Record<string, string> = {}) {
  return api(f).put(`${f.path(name)}?${query}`).set('X-Auth-Token', f.token).set(headers)
    .buffer(true).parse(binaryParser).send(typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
}

function get(name: string, headers: Record<string, string> = {}, query = '') {
  return api(f).get(`${f.path(name)}${query ? `?${query}` : ''}`).set('X-Auth-Token', f.token).set(headers)
    .buffer(true).parse(binaryParser);
}

function head(name: string, headers: Record<string, string> = {}) {
  return api(f).head(f.path(name)).set('X-Auth-Token', f.token).set(headers);
}

const A = seg('a', 1024);
const B = seg('b', 1024);
const C = seg('c', 1024);
const D = seg('d', 10);

beforeAll(async () => {
  f = await objectFixture({
    pipeline: [...BASE_PIPELINE, 'copy', 'slo', 'dlo'],
    middleware: {
      tempauth: { users: [{ account: 'test', user: 'tester', key: 'testing', groups: ['.admin'] }], reseller_prefix: ['AUTH_'] },
      slo: { rate_limit_segments_per_sec: 0 },
    },
  });
  readers = trackReaders(f.t.deps.store);
  for (const [n, b] of [['seg_a', A], ['seg_b', B], ['seg_c', C], ['seg_d', D]] as const) {
    expect((await put(n, b)).status).toBe(201);
  }
  const res = await manifestPut('manifest-abcd', [
    { path: `/${f.container}/seg_a`, etag: md5(A), size_bytes: 1024 },
    { path: `/${f.container}/seg_b`, etag: md5(B), size_bytes: 1024 },
    { path: `/${f.container}/seg_c`, etag: md5(C), size_bytes: 1024 },
    { path: `/${f.container}/seg_d`, etag: md5(D), size_bytes: 10 },
  ], 'multipart-manifest=put', { 'Content-Type': 'text/plain' });
  expect(res.status).toBe(201);
});
afterAll(async () => { await f.close(); });

const ABCD = () => Buffer.concat([A, B, C, D]);
const sloEtag = (...etags: string[]) => md5(etags.join(''));

describe('GET and HEAD of a manifest', () => {
  it('streams the segments in order with the SLO etag and total length', async () => {
    const res = await get('manifest-abcd');
    expect(res.status).toBe(200);
    expect((res.body as Buffer).equals(ABCD())).toBe(true);
    expect(res.headers['content-length']).toBe(String(3 * 1024 + 10));
    expect(res.headers['etag']).toBe(`"${sloEtag(md5(A), md5(B), md5(C), md5(D))}"`);
    expect(res.headers['x-static-large-object']).toBe('True');
    expect(res.headers['x-manifest-etag']).toMatch(/^[0-9a-f]{32}$/);
    expect(res.headers['x-object-sysmeta-slo-etag']).toBeUndefined();
  });

  it('HEAD answers from the manifest headers', async () => {
    const res = await head('manifest-abcd');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(3 * 1024 + 10));
    expect(res.headers['etag']).toBe(`"${sloEtag(md5(A), md5(B), md5(C), md5(D))}"`);
  });

  it('serves single ranges across segment boundaries', async () => {
    const res = await get('manifest-abcd', { Range: 'bytes=1000-2100' });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 1000-2100/${3 * 1024 + 10}`);
    expect((res.body as Buffer).equals(ABCD().subarray(1000, 2101))).toBe(true);
    const suffix = await get('manifest-abcd', { Range: 'bytes=-15' });
    expect(suffix.status).toBe(206);
    expect((suffix.body as Buffer).equals(ABCD().subarray(-15))).toBe(true);
  });

  it('serves several ranges as multipart/byteranges', async () => {
    const res = await get('manifest-abcd', { Range: 'bytes=0-1,1023-1025,-2' });
    expect(res.status).toBe(206);
    const m = /^multipart\/byteranges;boundary=([0-9a-f]{32})$/.exec(res.headers['content-type'] as string);
    expect(m).not.toBeNull();
    const b = m![1]!;
    const total = 3 * 1024 + 10;
    const all = ABCD();
    const expected = [
      `--${b}\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/${total}\r\n\r\n${all.subarray(0, 2).toString()}\r\n`,
      `--${b}\r\nContent-Type: text/plain\r\nContent-Range: bytes 1023-1025/${total}\r\n\r\n${all.subarray(1023, 1026).toString()}\r\n`,
      `--${b}\r\nContent-Type: text/plain\r\nContent-Range: bytes ${total - 2}-${total - 1}/${total}\r\n\r\n${all.subarray(-2).toString()}\r\n`,
      `--${b}--`,
    ].join('');
    expect((res.body as Buffer).toString()).toBe(expected);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(expected)));
  });

  it('answers 416 for an unsatisfiable range', async () => {
    const res = await get('manifest-abcd', { Range: 'bytes=5000-6000' });
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${3 * 1024 + 10}`);
  });

  it('judges conditionals against the SLO etag', async () => {
    const etag = sloEtag(md5(A), md5(B), md5(C), md5(D));
    expect((await get('manifest-abcd', { 'If-Match': `"${etag}"` })).status).toBe(200);
    expect((await get('manifest-abcd', { 'If-Match': 'nope' })).status).toBe(412);
    expect((await get('manifest-abcd', { 'If-None-Match': etag })).status).toBe(304);
    const manifestEtag = (await head('manifest-abcd')).headers['x-manifest-etag'] as string;
    expect((await get('manifest-abcd', { 'If-None-Match': manifestEtag })).status).toBe(200);
    expect((await head('manifest-abcd', { 'If-Match': etag })).status).toBe(200);
    expect((await head('manifest-abcd', { 'If-None-Match': etag })).status).toBe(304);
  });

  it('closes every store reader', async () => {
    await get('manifest-abcd');
    expect(await eventually(() => readers.opened === readers.closed)).toBe(true);
    expect(readers.doubleClosed).toBe(0);
  });
});

describe('manifest PUT validation', () => {
  it('refuses a body that is not JSON, or not a list', async () => {
    let res = await manifestPut('bad', '{not json');
    expect(res.status).toBe(400);
    expect((res.body as Buffer).toString()).toBe('Manifest must be valid JSON.\n');
    res = await manifestPut('bad', { path: 'x' });
    expect(res.status).toBe(400);
    expect((res.body as Buffer).toString()).toBe('Manifest must be a list.\n');
  });

  it('lists every bad entry with its index, as text/plain', async () => {
    const c = f.container;
    const res = await manifestPut('bad', [
      1,
      {},
      { path: 5 },
      { path: '/just-a-container' },
      { path: `/${c}/seg_a`, foo: 1, bar: 2 },
      { path: `/${c}/seg_a`, size_bytes: 'big' },
      { path: `/${c}/seg_a`, range: 'x' },
      { path: `/${c}/seg_a`, range: '1-2,5-6' },
      { path: `/${c}/seg_a`, size_bytes: 10, range: '20-30' },
      { path: `/${c}/seg_a`, etag: 5 },
      { data: 'not base64!' },
      { data: '' },
      { path: `/${c}/seg_a`, size_bytes: 0 },
      { path: `/${c}/bad` },
      { data: 'aGVsbG8=', path: `/${c}/seg_a` },
    ]);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('text/plain');
    expect((res.body as Buffer).toString()).toBe([
      'Index 0: not a JSON object',
      "Index 1: expected keys to include one of 'data' or 'path'",
      'Index 2: "path" must be a string',
      'Index 3: path does not refer to an object. Path must be of the form /container/object.',
      'Index 4: extraneous keys "bar", "foo"',
      'Index 5: invalid size_bytes',
      'Index 6: invalid range',
      'Index 7: multiple ranges (only one allowed)',
      'Index 8: unsatisfiable range',
      'Index 9: "etag" must be a string or null (if provided)',
      'Index 10: data must be valid base64',
      'Index 11: too small; each segment must be at least 1 byte.',
      'Index 12: too small; each segment must be at least 1 byte.',
      'Index 13: manifest must not include itself as a segment',
      'Index 14: extraneous keys "path"',
      '',
    ].join('\n'));
  });

  it('needs at least one object-backed segment', async () => {
    const res = await manifestPut('bad', [{ data: 'aGVsbG8=' }]);
    expect(res.status).toBe(400);
    expect((res.body as Buffer).toString()).toBe('Inline data segments require at least one object-backed segment.\n');
  });

  it('limits the number of object-backed segments', async () => {
    const entries = Array.from({ length: 1001 }, () => ({ path: `/${f.container}/seg_a` }));
    const res = await manifestPut('bad', entries);
    expect(res.status).toBe(413);
    expect((res.body as Buffer).toString()).toBe('Number of object-backed segments must be <= 1000');
  });

  it('limits the manifest size', async () => {
    const res = await manifestPut('bad', `[${' '.repeat(8 * MiB)}]`);
    expect(res.status).toBe(413);
    expect((res.body as Buffer).toString()).toBe('Manifest File > 8388608 bytes');
  });

  it('reports missing segments and size/etag mismatches after HEADing them', async () => {
    const c = f.container;
    const res = await manifestPut('bad', [
      { path: `/${c}/missing seg`, etag: null, size_bytes: null },
      { path: `${c}/seg_a`, etag: md5(B) },
      { path: `/${c}/seg_b`, size_bytes: 1000 },
      { path: `/${c}/seg_d`, range: '100-200' },
    ]);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('text/plain');
    expect((res.body as Buffer).toString()).toBe([
      'Errors:',
      `/${c}/missing%20seg, 404 Not Found`,
      `${c}/seg_a, Etag Mismatch`,
      `/${c}/seg_b, Size Mismatch`,
      `/${c}/seg_d, Unsatisfiable Range`,
      '',
    ].join('\n'));
    expect((await head('bad')).status).toBe(404);
  });

  it('answers problems in JSON or XML when asked', async () => {
    const c = f.container;
    const json = await manifestPut('bad', [{ path: `/${c}/missing` }], 'multipart-manifest=put', { Accept: 'application/json' });
    expect(json.status).toBe(400);
    expect(json.headers['content-type']).toBe('application/json');
    expect((json.body as Buffer).toString()).toBe(`{"Errors": [["/${c}/missing", "404 Not Found"]]}`);
    const xml = await manifestPut('bad', [{ path: `/${c}/missing` }], 'multipart-manifest=put', { Accept: 'application/xml' });
    expect((xml.body as Buffer).toString()).toBe(
      `<upload>\n<errors>\n<object><name>/${c}/missing</name><status>404 Not Found</status></object>\n</errors>\n</upload>\n`);
  });

  it('refuses a zero-byte segment unless it is the last one', async () => {
    expect((await put('empty', '')).status).toBe(201);
    const c = f.container;
    const bad = await manifestPut('bad', [{ path: `/${c}/empty` }, { path: `/${c}/seg_a` }]);
    expect(bad.status).toBe(400);
    expect((bad.body as Buffer).toString()).toBe(`Errors:\n/${c}/empty, Too small; each segment must be at least 1 byte.\n`);
    const ok = await manifestPut('ends-empty', [{ path: `/${c}/seg_a` }, { path: `/${c}/empty` }]);
    expect(ok.status).toBe(201);
    expect((await get('ends-empty')).body).toEqual(A);
  });

  it('checks the client Etag against the SLO etag (422 on mismatch)', async () => {
    const c = f.container;
    const bad = await manifestPut('etagged', [{ path: `/${c}/seg_a` }], 'multipart-manifest=put', { Etag: md5('nope') });
    expect(bad.status).toBe(422);
    const good = await manifestPut('etagged', [{ path: `/${c}/seg_a` }], 'multipart-manifest=put', { Etag: `"${sloEtag(md5(A))}"` });
    expect(good.status).toBe(201);
    expect(good.headers['etag']).toBe(`"${sloEtag(md5(A))}"`);
  });

  it('refuses X-Static-Large-Object on other requests', async () => {
    const res = await api(f).post(f.path('seg_a')).set('X-Auth-Token', f.token).set('X-Static-Large-Object', 'True');
    expect(res.status).toBe(400);
    expect(res.text).toBe('X-Static-Large-Object is a reserved header. To create a static large object add query param multipart-manifest=put.');
  });
});

describe('segment ranges, inline data, nesting', () => {
  it('uses ranges of segments and inline data, and computes the etag as Swift does', async () => {
    const c = f.container;
    const res = await manifestPut('ranged', [
      { path: `/${c}/seg_a`, range: '0-9' },
      { path: `/${c}/seg_b`, range: '-5' },
      { data: Buffer.from('hello').toString('base64') },
      { path: `/${c}/seg_d`, range: '0-' },
    ]);
    expect(res.status).toBe(201);
    const etag = md5(`${md5(A)}:0-9;${md5(B)}:1019-1023;${md5('hello')}${md5(D)}`);
    expect(res.headers['etag']).toBe(`"${etag}"`);
    const body = await get('ranged');
    expect((body.body as Buffer).toString()).toBe(`${'a'.repeat(10)}${'b'.repeat(5)}hello${'d'.repeat(10)}`);
    expect(body.headers['etag']).toBe(`"${etag}"`);
    const part = await get('ranged', { Range: 'bytes=8-16' });
    expect((part.body as Buffer).toString()).toBe('aabbbbbhe');
    const manifest = JSON.parse((await get('ranged', {}, 'multipart-manifest=get')).body.toString());
    expect(manifest.map((s: Record<string, unknown>) => s['range'] ?? s['data'])).toEqual(['0-9', '1019-1023', 'aGVsbG8=', undefined]);
  });

  it('nests manifests: a sub-SLO counts with its own size and etag', async () => {
    const c = f.container;
    const inner = sloEtag(md5(A), md5(B), md5(C), md5(D));
    const res = await manifestPut('outer', [{ path: `/${c}/manifest-abcd` }, { path: `/${c}/seg_a` }]);
    expect(res.status).toBe(201);
    expect(res.headers['etag']).toBe(`"${sloEtag(inner, md5(A))}"`);
    const body = await get('outer');
    expect((body.body as Buffer).equals(Buffer.concat([ABCD(), A]))).toBe(true);
    const stored = JSON.parse((await get('outer', {}, 'multipart-manifest=get')).body.toString());
    expect(stored[0]).toMatchObject({ name: `/${c}/manifest-abcd`, bytes: 3082, hash: inner, sub_slo: true });
    const part = await get('outer', { Range: 'bytes=3070-3090' });
    expect((part.body as Buffer).equals(Buffer.concat([ABCD(), A]).subarray(3070, 3091))).toBe(true);
  });

  it('stops at 10 levels of nesting (409)', async () => {
    const c = f.container;
    let prev = 'seg_d';
    for (let i = 1; i <= 11; i++) {
      expect((await manifestPut(`deep-${i}`, [{ path: `/${c}/${prev}` }])).status).toBe(201);
      prev = `deep-${i}`;
    }
    const ok = await get('deep-10');
    expect(ok.status).toBe(200);
    expect((ok.body as Buffer).equals(D)).toBe(true);
    expect((await get('deep-11')).status).toBe(409);
    expect((await head('deep-11')).status).toBe(200);
  });
});

describe('the manifest itself', () => {
  it('multipart-manifest=get returns the stored JSON', async () => {
    const res = await get('manifest-abcd', {}, 'multipart-manifest=get');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['etag']).toBe(md5(res.body as Buffer));
    const manifest = JSON.parse((res.body as Buffer).toString());
    expect(manifest).toHaveLength(4);
    expect(Object.keys(manifest[0])).toEqual(['name', 'bytes', 'hash', 'content_type', 'last_modified']);
    expect(manifest[0]).toMatchObject({ name: `/${f.container}/seg_a`, bytes: 1024, hash: md5(A) });
    expect(manifest[0].last_modified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000$/);
    expect((res.body as Buffer).toString()).toMatch(/^\[\{"name": "/);
  });

  it('format=raw returns what can be PUT back', async () => {
    const res = await get('manifest-abcd', {}, 'multipart-manifest=get&format=raw');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain');
    const text = (res.body as Buffer).toString();
    expect(text).toBe(`[${[[A, 'seg_a'], [B, 'seg_b'], [C, 'seg_c'], [D, 'seg_d']].map(([b, n]) =>
      `{"etag": "${md5(b as Buffer)}", "path": "/${f.container}/${n as string}", "size_bytes": ${(b as Buffer).length}}`).join(', ')}]`);
    expect(res.headers['etag']).toBe(md5(text));
    const again = await manifestPut('copy-of-abcd', text);
    expect(again.status).toBe(201);
    expect((await head('copy-of-abcd')).headers['etag']).toBe((await head('manifest-abcd')).headers['etag']);
  });
});

describe('heartbeat', () => {
  it('answers 202 at once and the outcome in the body', async () => {
    const c = f.container;
    const res = await manifestPut('hb', [{ path: `/${c}/seg_a` }], 'multipart-manifest=put&heartbeat=on');
    expect(res.status).toBe(202);
    const text = (res.body as Buffer).toString();
    expect(text.startsWith(' ')).toBe(true);
    const [, result] = text.split('\r\n\r\n');
    expect(result).toMatch(new RegExp(`^Etag: "${sloEtag(md5(A))}"\nLast Modified: .+ GMT\nResponse Body: \nResponse Status: 201 Created\nErrors:\n$`));
    expect((await head('hb')).status).toBe(200);
  });

  it('reports problems with status 202 and the error in the body (JSON)', async () => {
    const c = f.container;
    const res = await manifestPut('hb-bad', [{ path: `/${c}/missing` }], 'multipart-manifest=put&heartbeat=on',
      { Accept: 'application/json' });
    expect(res.status).toBe(202);
    expect(res.headers['content-type']).toBe('application/json');
    const result = JSON.parse((res.body as Buffer).toString().split('\r\n\r\n')[1]!);
    expect(result).toEqual({
      'Response Status': '400 Bad Request',
      'Response Body': 'Bad Request\nThe server could not comply with the request since it is either malformed or otherwise incorrect.',
      Errors: [[`/${c}/missing`, '404 Not Found']],
    });
  });
});

describe('listings', () => {
  it('list a manifest with the total size, the manifest etag and slo_etag', async () => {
    const res = await api(f).get(`${f.account}/${f.container}?format=json&prefix=manifest-abcd`).set('X-Auth-Token', f.token);
    expect(res.status).toBe(200);
    const manifestEtag = (await head('manifest-abcd')).headers['x-manifest-etag'];
    expect(res.body).toEqual([expect.objectContaining({
      name: 'manifest-abcd', bytes: 3082, hash: manifestEtag,
      slo_etag: `"${sloEtag(md5(A), md5(B), md5(C), md5(D))}"`, content_type: 'text/plain',
    })]);
  });
});

describe('POST to a manifest', () => {
  it('keeps it a large object, with its listing values', async () => {
    const c = f.container;
    expect((await manifestPut('posted', [{ path: `/${c}/seg_a` }, { path: `/${c}/seg_b` }])).status).toBe(201);
    const post = await api(f).post(f.path('posted')).set('X-Auth-Token', f.token).set('X-Object-Meta-Color', 'red');
    expect(post.status).toBe(202);
    const res = await get('posted');
    expect((res.body as Buffer).equals(Buffer.concat([A, B]))).toBe(true);
    expect(res.headers['x-object-meta-color']).toBe('red');
    expect(res.headers['etag']).toBe(`"${sloEtag(md5(A), md5(B))}"`);
    const listing = await api(f).get(`${f.account}/${c}?format=json&prefix=posted`).set('X-Auth-Token', f.token);
    expect(listing.body[0]).toMatchObject({ name: 'posted', bytes: 2048, slo_etag: `"${sloEtag(md5(A), md5(B))}"` });
  });
});

describe('broken segments', () => {
  beforeAll(async () => {
    for (const n of ['brk_1', 'brk_2']) expect((await put(n, seg('x', 2000))).status).toBe(201);
    const c = f.container;
    expect((await manifestPut('broken-first', [{ path: `/${c}/brk_1` }, { path: `/${c}/seg_a` }])).status).toBe(201);
    expect((await manifestPut('broken-later', [{ path: `/${c}/seg_a` }, { path: `/${c}/brk_2` }])).status).toBe(201);
    expect((await api(f).delete(f.path('brk_1')).set('X-Auth-Token', f.token)).status).toBe(204);
    expect((await put('brk_2', seg('y', 2000))).status).toBe(201);
  });

  it('a missing first segment is a 409', async () => {
    const res = await get('broken-first');
    expect(res.status).toBe(409);
  });

  it('a changed later segment cuts the connection short of Content-Length', async () => {
    const { listen, rawRequest } = await import('../helpers/objects.js');
    const srv = await listen(f);
    try {
      const res = await rawRequest(srv.port, [
        `GET ${f.path('broken-later')} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${f.token}\r\nConnection: close\r\n\r\n`]);
      expect(res!.status).toBe(200);
      expect(res!.head).toMatch(/Content-Length: 3024/i);
      expect(Buffer.byteLength(res!.body, 'latin1')).toBeLessThan(3024);
    } finally {
      await srv.close();
    }
    expect(await eventually(() => readers.opened === readers.closed)).toBe(true);
  });
});

describe('multipart-manifest=delete', () => {
  it('deletes the segments (nested too), then the manifests', async () => {
    const c = f.container;
    for (const n of ['del_1', 'del_2', 'del_3']) expect((await put(n, seg('z', 100))).status).toBe(201);
    expect((await manifestPut('del-inner', [{ path: `/${c}/del_1` }, { path: `/${c}/del_2` }])).status).toBe(201);
    expect((await manifestPut('del-outer', [{ path: `/${c}/del-inner` }, { path: `/${c}/del_3` },
      { data: 'aGVsbG8=' }])).status).toBe(201);
    const res = await api(f).delete(`${f.path('del-outer')}?multipart-manifest=delete`).set('X-Auth-Token', f.token)
      .buffer(true).parse(binaryParser);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain');
    expect((res.body as Buffer).toString()).toBe(
      'Number Deleted: 5\nNumber Not Found: 0\nResponse Body: \nResponse Status: 200 OK\nErrors:\n');
    for (const n of ['del_1', 'del_2', 'del_3', 'del-inner', 'del-outer']) expect((await head(n)).status).toBe(404);
  });

  it('answers in JSON, counting missing segments as not found', async () => {
    const c = f.container;
    expect((await put('del_4', seg('z', 100))).status).toBe(201);
    expect((await put('del_5', seg('z', 100))).status).toBe(201);
    expect((await manifestPut('del-json', [{ path: `/${c}/del_4` }, { path: `/${c}/del_5` }])).status).toBe(201);
    await api(f).delete(f.path('del_5')).set('X-Auth-Token', f.token);
    const res = await api(f).delete(`${f.path('del-json')}?multipart-manifest=delete`).set('X-Auth-Token', f.token)
      .set('Accept', 'application/json').buffer(true).parse(binaryParser);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect((res.body as Buffer).toString()).toBe(
      '{"Response Status": "200 OK", "Response Body": "", "Number Deleted": 2, "Number Not Found": 1, "Errors": []}');
  });

  it('reports a plain object as not a manifest and leaves it', async () => {
    const res = await api(f).delete(`${f.path('seg_c')}?multipart-manifest=delete`).set('X-Auth-Token', f.token)
      .buffer(true).parse(binaryParser);
    expect(res.status).toBe(200);
    expect((res.body as Buffer).toString()).toBe(
      `Number Deleted: 0\nNumber Not Found: 0\nResponse Body: \nResponse Status: 400 Bad Request\nErrors:\n/${f.container}/seg_c, Not an SLO manifest\n`);
    expect((await head('seg_c')).status).toBe(200);
  });

  it('a plain DELETE removes only the manifest', async () => {
    const c = f.container;
    expect((await manifestPut('plain-del', [{ path: `/${c}/seg_c` }])).status).toBe(201);
    expect((await api(f).delete(f.path('plain-del')).set('X-Auth-Token', f.token)).status).toBe(204);
    expect((await head('seg_c')).status).toBe(200);
  });
});

describe('/info', () => {
  it('publishes the slo section', async () => {
    const res = await api(f).get('/info');
    expect(res.body.slo).toEqual({
      max_manifest_segments: 1000, max_manifest_size: 8 * MiB, yield_frequency: 10, min_segment_size: 1,
      allow_async_delete: false,
    });
  });
});
