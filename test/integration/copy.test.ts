/**
 * Server-side copy against Swift 2.30's copy middleware: PUT with X-Copy-From and COPY with
 * Destination (and their -Account forms), Swift's 400/412/413 answers, metadata merging and
 * X-Fresh-Metadata, Content-Type override, the X-Copied-From* response headers, copies of large
 * objects (assembled, or the manifest with multipart-manifest=get), partial copies with Range,
 * cross-account copies and their authorization, and in-store copies of plain objects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { BASE_PIPELINE, authToken } from '../helpers/app.js';
import { api, binaryParser, md5, objectFixture, type ObjectFixture } from '../helpers/objects.js';
import type { ObjectStore } from '../../src/storage/store.js';

const USERS = [
  { account: 'test', user: 'tester', key: 'testing', groups: ['.admin'] },
  { account: 'test', user: 'tester3', key: 'testing3', groups: [] },
  { account: 'test2', user: 'tester2', key: 'testing2', groups: ['.admin'] },
  { account: 'admin', user: 'admin', key: 'admin', groups: ['.admin', '.reseller_admin'] },
];

let f: ObjectFixture;
let storeCopies = 0;

function get(path: string, headers: Record<string, string> = {}) {
  return api(f).get(path).set('X-Auth-Token', f.token).set(headers).buffer(true).parse(binaryParser);
}
/** A PUT; an empty body is not sent at all (superagent would add a form Content-Type). */
function put(path: string, body: Buffer | string, headers: Record<string, string> = {}) {
  const req = api(f).put(path).set('X-Auth-Token', f.token).set(headers);
  return body === '' ? req : req.send(body);
}
function copyReq(path: string, headers: Record<string, string>, token = f.token) {
  return api(f).copy(path).set('X-Auth-Token', token).set(headers);
}

function countCopies(store: ObjectStore): void {
  const original = store.copyObject.bind(store);
  store.copyObject = async (src, dst, opts) => { storeCopies += 1; return original(src, dst, opts); };
}

beforeAll(async () => {
  f = await objectFixture({
    pipeline: [...BASE_PIPELINE, 'copy', 'slo', 'dlo'],
    constraints: { max_file_size: 4096 },
    middleware: {
      tempauth: { users: USERS, reseller_prefix: ['AUTH_'] },
      slo: { rate_limit_segments_per_sec: 0 }, dlo: { rate_limit_segments_per_sec: 0 },
    },
  });
  countCopies(f.t.deps.store);
  expect((await put(f.path('src'), 'source body', {
    'Content-Type': 'text/x-source', 'X-Object-Meta-Color': 'blue', 'X-Object-Meta-Size': 'small',
    'Content-Disposition': 'inline',
  })).status).toBe(201);
});
afterAll(async () => { await f.close(); });

describe('PUT with X-Copy-From', () => {
  it('copies the body and metadata in the store, with X-Copied-From headers', async () => {
    const before = storeCopies;
    const res = await put(f.path('dst'), '', { 'X-Copy-From': `/${f.container}/src`, 'X-Object-Meta-Size': 'large' });
    expect(res.status).toBe(201);
    expect(storeCopies).toBe(before + 1);
    expect(res.headers['etag']).toBe(md5('source body'));
    expect(res.headers['x-copied-from']).toBe(`${f.container}/src`);
    expect(res.headers['x-copied-from-account']).toBe('AUTH_test');
    expect(res.headers['x-copied-from-last-modified']).toMatch(/GMT$/);
    expect(res.headers['x-object-meta-color']).toBe('blue');
    expect(res.headers['x-object-meta-size']).toBe('large');
    const got = await get(f.path('dst'));
    expect((got.body as Buffer).toString()).toBe('source body');
    expect(got.headers['content-type']).toBe('text/x-source');
    expect(got.headers['x-object-meta-color']).toBe('blue');
    expect(got.headers['x-object-meta-size']).toBe('large');
    expect(got.headers['content-disposition']).toBe('inline');
  });

  it('X-Fresh-Metadata drops the source metadata; Content-Type can be overridden', async () => {
    const res = await put(f.path('fresh'), '', {
      'X-Copy-From': `${f.container}/src`, 'X-Fresh-Metadata': 'true', 'X-Object-Meta-New': 'yes', 'Content-Type': 'text/plain',
    });
    expect(res.status).toBe(201);
    const got = await get(f.path('fresh'));
    expect(got.headers['x-object-meta-color']).toBeUndefined();
    expect(got.headers['x-object-meta-new']).toBe('yes');
    expect(got.headers['content-type']).toBe('text/plain');
  });

  it('refuses a body, and malformed X-Copy-From / X-Copy-From-Account', async () => {
    const body = await put(f.path('x'), 'data', { 'X-Copy-From': `/${f.container}/src` });
    expect(body.status).toBe(400);
    expect(body.text).toBe('Copy requests require a zero byte body');
    expect(body.headers['content-type']).toBe('text/plain');
    for (const bad of ['/just-container', `/${f.container}/`, '//obj']) {
      const res = await put(f.path('x'), '', { 'X-Copy-From': bad });
      expect(res.status).toBe(412);
      expect(res.text).toBe('X-Copy-From header must be of the form <container name>/<object name>');
    }
    const acct = await put(f.path('x'), '', { 'X-Copy-From': `/${f.container}/src`, 'X-Copy-From-Account': 'a/b' });
    expect(acct.status).toBe(412);
    expect(acct.text).toBe('Account name cannot contain slashes');
  });

  it('passes on the source\'s 404, and the destination\'s', async () => {
    expect((await put(f.path('x'), '', { 'X-Copy-From': `/${f.container}/no-such` })).status).toBe(404);
    expect((await put(`${f.account}/no-such-container/x`, '', { 'X-Copy-From': `/${f.container}/src` })).status).toBe(404);
  });

  it('applies Range and If-Match to the source', async () => {
    const part = await put(f.path('part'), '', { 'X-Copy-From': `/${f.container}/src`, Range: 'bytes=0-5' });
    expect(part.status).toBe(201);
    expect((await get(f.path('part'))).body.toString()).toBe('source');
    const cond = await put(f.path('cond'), '', { 'X-Copy-From': `/${f.container}/src`, 'If-Match': md5('other') });
    expect(cond.status).toBe(412);
  });

  it('percent-decodes the source name', async () => {
    expect((await put(f.path('odd name ü'), 'odd')).status).toBe(201);
    const res = await put(f.path('odd-copy'), '', { 'X-Copy-From': `/${f.container}/odd%20name%20%C3%BC` });
    expect(res.status).toBe(201);
    expect(res.headers['x-copied-from']).toBe(`${f.container}/odd%20name%20%C3%BC`);
    expect((await get(f.path('odd-copy'))).body.toString()).toBe('odd');
  });

  it('reads X-Copy-From as raw UTF-8 bytes too', async () => {
    const raw = Buffer.from(`/${f.container}/odd name ü`, 'utf8').toString('latin1');
    const res = await put(f.path('odd-copy-raw'), '', { 'X-Copy-From': raw });
    expect(res.status).toBe(201);
    expect((await get(f.path('odd-copy-raw'))).body.toString()).toBe('odd');
  });
});

describe('COPY', () => {
  it('copies to Destination', async () => {
    const res = await copyReq(f.path('src'), { Destination: `/${f.container}/by-copy` });
    expect(res.status).toBe(201);
    expect(res.headers['x-copied-from']).toBe(`${f.container}/src`);
    expect((await get(f.path('by-copy'))).body.toString()).toBe('source body');
  });

  it('needs a well-formed Destination', async () => {
    const none = await copyReq(f.path('src'), {});
    expect(none.status).toBe(412);
    expect(none.text).toBe('Destination header required');
    const bad = await copyReq(f.path('src'), { Destination: 'no-object' });
    expect(bad.status).toBe(412);
    expect(bad.text).toBe('Destination header must be of the form <container name>/<object name>');
    const acct = await copyReq(f.path('src'), { Destination: `/${f.container}/x`, 'Destination-Account': '' });
    expect(acct.status).toBe(412);
    expect(acct.text).toBe('Account name cannot be empty');
  });

  it('copies an object onto itself with new metadata', async () => {
    expect((await put(f.path('self'), 'same', { 'X-Object-Meta-A': '1' })).status).toBe(201);
    const res = await copyReq(f.path('self'), { Destination: `/${f.container}/self`, 'X-Object-Meta-B': '2' });
    expect(res.status).toBe(201);
    const got = await get(f.path('self'));
    expect(got.body.toString()).toBe('same');
    expect(got.headers['x-object-meta-a']).toBe('1');
    expect(got.headers['x-object-meta-b']).toBe('2');
  });

  it('OPTIONS on an object allows COPY', async () => {
    const res = await api(f).options(f.path('src')).set('X-Auth-Token', f.token);
    expect(res.status).toBe(200);
    expect(res.headers['allow']).toBe('DELETE, GET, HEAD, OPTIONS, POST, PUT, COPY');
  });

  it('a copy of a missing object is 404 and creates nothing', async () => {
    expect((await copyReq(f.path('absent'), { Destination: `/${f.container}/absent-copy` })).status).toBe(404);
    expect((await get(f.path('absent-copy'))).status).toBe(404);
  });
});

describe('large objects', () => {
  beforeAll(async () => {
    for (const n of ['s1', 's2']) expect((await put(f.path(`part-${n}`), n.repeat(1000))).status).toBe(201);
    const manifest = JSON.stringify([{ path: `/${f.container}/part-s1` }, { path: `/${f.container}/part-s2` }]);
    expect((await api(f).put(`${f.path('slo')}?multipart-manifest=put`).set('X-Auth-Token', f.token).send(manifest)).status).toBe(201);
    expect((await put(f.path('dlo'), '', { 'X-Object-Manifest': `${f.container}/part-` })).status).toBe(201);
  });

  it('copies an SLO as the assembled object', async () => {
    const before = storeCopies;
    const res = await put(f.path('slo-copy'), '', { 'X-Copy-From': `/${f.container}/slo` });
    expect(res.status).toBe(201);
    expect(storeCopies).toBe(before);
    const got = await get(f.path('slo-copy'));
    expect(got.body.toString()).toBe('s1'.repeat(1000) + 's2'.repeat(1000));
    expect(got.headers['x-static-large-object']).toBeUndefined();
    expect(got.headers['etag']).toBe(md5('s1'.repeat(1000) + 's2'.repeat(1000)));
  });

  it('copies the SLO manifest itself with multipart-manifest=get', async () => {
    const res = await api(f).put(`${f.path('slo-manifest-copy')}?multipart-manifest=get`).set('X-Auth-Token', f.token)
      .set('X-Copy-From', `/${f.container}/slo`);
    expect(res.status).toBe(201);
    const orig = await api(f).head(f.path('slo')).set('X-Auth-Token', f.token);
    const copied = await api(f).head(f.path('slo-manifest-copy')).set('X-Auth-Token', f.token);
    expect(copied.headers['x-static-large-object']).toBe('True');
    expect(copied.headers['etag']).toBe(orig.headers['etag']);
    expect(copied.headers['content-length']).toBe('4000');
  });

  it('copies a DLO assembled, or its manifest with multipart-manifest=get', async () => {
    const res = await put(f.path('dlo-copy'), '', { 'X-Copy-From': `/${f.container}/dlo` });
    expect(res.status).toBe(201);
    const got = await get(f.path('dlo-copy'));
    expect(got.body.toString()).toBe('s1'.repeat(1000) + 's2'.repeat(1000));
    expect(got.headers['x-object-manifest']).toBeUndefined();
    const manifest = await api(f).put(`${f.path('dlo-manifest-copy')}?multipart-manifest=get`).set('X-Auth-Token', f.token)
      .set('X-Copy-From', `/${f.container}/dlo`);
    expect(manifest.status).toBe(201);
    const m = await get(f.path('dlo-manifest-copy'));
    expect(m.headers['x-object-manifest']).toBe(`${f.container}/part-`);
    expect(m.body.toString()).toBe('s1'.repeat(1000) + 's2'.repeat(1000));
  });

  it('413 when the source is larger than max_file_size', async () => {
    for (const n of ['big1', 'big2']) expect((await put(f.path(n), 'x'.repeat(3000))).status).toBe(201);
    const manifest = JSON.stringify([{ path: `/${f.container}/big1` }, { path: `/${f.container}/big2` }]);
    expect((await api(f).put(`${f.path('big')}?multipart-manifest=put`).set('X-Auth-Token', f.token).send(manifest)).status).toBe(201);
    const res = await put(f.path('big-copy'), '', { 'X-Copy-From': `/${f.container}/big` });
    expect(res.status).toBe(413);
    expect((await get(f.path('big-copy'))).status).toBe(404);
  });
});

describe('across accounts', () => {
  let token2: string;
  let account2: string;
  beforeAll(async () => {
    const t2 = await authToken(f.t, 'test2:tester2', 'testing2');
    token2 = t2.token;
    account2 = new URL(t2.url).pathname;
    expect((await request(f.t.app).put(`${account2}/shared`).set('X-Auth-Token', token2)
      .set('X-Container-Write', 'test:tester').set('X-Container-Read', 'test:tester')).status).toBe(201);
    expect((await request(f.t.app).put(`${account2}/private`).set('X-Auth-Token', token2)).status).toBe(201);
    expect((await request(f.t.app).put(`${account2}/shared/theirs`).set('X-Auth-Token', token2).send('theirs')).status).toBe(201);
  });

  it('COPY with Destination-Account writes where the ACL allows', async () => {
    const res = await copyReq(f.path('src'), { Destination: '/shared/from-test', 'Destination-Account': 'AUTH_test2' });
    expect(res.status).toBe(201);
    expect(res.headers['x-copied-from-account']).toBe('AUTH_test');
    const got = await request(f.t.app).get(`${account2}/shared/from-test`).set('X-Auth-Token', token2);
    expect(got.text).toBe('source body');
  });

  it('X-Copy-From-Account reads where the ACL allows', async () => {
    const res = await put(f.path('from-test2'), '', { 'X-Copy-From': '/shared/theirs', 'X-Copy-From-Account': 'AUTH_test2' });
    expect(res.status).toBe(201);
    expect(res.headers['x-copied-from-account']).toBe('AUTH_test2');
    expect((await get(f.path('from-test2'))).body.toString()).toBe('theirs');
  });

  it('is refused without permission on the other account', async () => {
    const res = await copyReq(f.path('src'), { Destination: '/private/nope', 'Destination-Account': 'AUTH_test2' });
    expect(res.status).toBe(403);
    const read = await put(f.path('nope'), '', { 'X-Copy-From': '/private/anything', 'X-Copy-From-Account': 'AUTH_test2' });
    expect(read.status).toBe(403);
  });

  it('a reseller admin may copy anywhere', async () => {
    const admin = await authToken(f.t, 'admin:admin', 'admin');
    const res = await copyReq(f.path('src'), { Destination: '/private/by-admin', 'Destination-Account': 'AUTH_test2' }, admin.token);
    expect(res.status).toBe(201);
  });
});
