/**
 * Object versioning (Swift 2.30's versioned_writes/object_versioning.py) through the whole pipeline:
 * X-Versions-Enabled, hidden versions container, ?versions listings, ?version-id, delete markers.
 */
import { createHash } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY } from '../../src/api/middleware/registry.js';
import { authToken } from '../helpers/app.js';
import { json, makeVersioningApp, req, type VApp } from '../helpers/versioning.js';

const MARKER = 'application/x-deleted;swift_versions_deleted=1';
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

let app: VApp;
type Item = Record<string, unknown>;

beforeAll(async () => {
  app = await makeVersioningApp({ versioned_writes: { allow_versioned_writes: true, allow_object_versioning: true } });
});
afterAll(async () => { await app.close(); });

async function versions(container: string, query = ''): Promise<Item[]> {
  const r = await req(app, 'get', `${container}?versions${query}`);
  expect(r.status, r.text).toBe(200);
  return json(r) as Item[];
}

async function put(path: string, body: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await req(app, 'put', path, headers).send(body);
  expect(r.status, r.text).toBe(201);
  return r.headers['x-object-version-id'] as string;
}

async function versioned(name: string): Promise<void> {
  const r = await req(app, 'put', name, { 'X-Versions-Enabled': 'true' });
  expect([201, 202]).toContain(r.status);
}

describe('object_versioning: enabling', () => {
  it('X-Versions-Enabled is stored, shown, and can be switched off and on', async () => {
    await versioned('en');
    expect((await req(app, 'head', 'en')).headers['x-versions-enabled']).toBe('True');
    expect((await req(app, 'post', 'en', { 'X-Versions-Enabled': 'false' })).status).toBe(204);
    expect((await req(app, 'head', 'en')).headers['x-versions-enabled']).toBe('False');
    expect((await req(app, 'post', 'en', { 'X-Versions-Enabled': 'true' })).status).toBe(204);
    expect((await req(app, 'head', 'en')).headers['x-versions-enabled']).toBe('True');
  });

  it('the hidden versions container is not listed, nor reachable by clients', async () => {
    await versioned('hidden');
    const names = (json(await req(app, 'get', '?format=json')) as Item[]).map((i) => i.name);
    expect(names).toContain('hidden');
    expect(names.some((n) => String(n).includes('\u0000'))).toBe(false);
    const r = await req(app, 'get', '%00versions%00hidden');
    expect(r.status).toBe(412);
    expect(r.text).toBe('Invalid UTF8 or contains NULL');
  });

  it('refuses a container using legacy versioning', async () => {
    expect((await req(app, 'put', 'legacy', { 'X-Versions-Location': 'elsewhere' })).status).toBe(201);
    const r = await req(app, 'post', 'legacy', { 'X-Versions-Enabled': 'true' });
    expect(r.status).toBe(400);
    expect(r.text).toBe('Cannot enable object versioning on a container that is already using the legacy versioned writes feature.');
  });

  it('/info advertises object_versioning', async () => {
    const info = json(await request(app.app).get('/info')) as Record<string, unknown>;
    expect(info.object_versioning).toEqual({});
  });
});

describe('object_versioning: writes, reads and listings', () => {
  beforeAll(async () => { await versioned('objs'); });

  it('every PUT is a version; GET answers the newest with its id', async () => {
    const v1 = await put('objs/a', 'aaaaa', { 'Content-Type': 'text/jibberish01', 'Content-Disposition': 'attachment; filename=myfile' });
    const v2 = await put('objs/a', 'bbbbb', { 'Content-Type': 'text/jibberish02', 'X-Object-Meta-Foo': 'Bar' });
    expect(v1).toMatch(/^\d{10}\.\d{5}$/);
    expect(v2 > v1).toBe(true);
    const g = await req(app, 'get', 'objs/a');
    expect(g.text).toBe('bbbbb');
    expect(g.headers['x-object-version-id']).toBe(v2);
    expect(g.headers['content-type']).toBe('text/jibberish02');
    expect(g.headers['x-object-meta-foo']).toBe('Bar');
    expect(g.headers['content-location']).toBe(`/v1/${app.account}/objs/a?version-id=${v2}`);
    const old = await req(app, 'get', `objs/a?version-id=${v1}`);
    expect(old.status).toBe(200);
    expect(old.text).toBe('aaaaa');
    expect(old.headers['content-type']).toBe('text/jibberish01');
    expect(old.headers['content-disposition']).toBe('attachment; filename=myfile');
    expect(old.headers['x-object-meta-foo']).toBeUndefined();
    expect(old.headers['x-object-version-id']).toBe(v1);
    const list = await versions('objs', '&prefix=a');
    expect(list.map((i) => [i.name, i.version_id, i.is_latest, i.bytes, i.hash, i.content_type])).toEqual([
      ['a', v2, true, 5, md5('bbbbb'), 'text/jibberish02'],
      ['a', v1, false, 5, md5('aaaaa'), 'text/jibberish01'],
    ]);
  });

  it('the plain listing shows the link with its version\'s size and etag', async () => {
    const v = await put('objs/plain', 'plain data', { 'Content-Type': 'text/plain' });
    const items = json(await req(app, 'get', 'objs?format=json&prefix=plain')) as Item[];
    expect(items).toEqual([{
      bytes: 10, hash: md5('plain data'), name: 'plain', content_type: 'text/plain',
      last_modified: items[0]!.last_modified,
      symlink_path: `/v1/${app.account}/objs/plain?version-id=${v}`, version_symlink: true,
    }]);
    const text = await req(app, 'get', 'objs?format=plain&prefix=plain');
    expect(text.text).toBe('plain\n');
  });

  it('container bytes include the versions', async () => {
    await versioned('bytes');
    await put('bytes/o', '1234');
    await put('bytes/o', '12345678');
    const h = await req(app, 'head', 'bytes');
    expect(h.headers['x-container-object-count']).toBe('1');
    // The link is zero bytes; both versions count.
    expect(h.headers['x-container-bytes-used']).toBe('12');
    const acct = (json(await req(app, 'get', '?format=json&prefix=bytes')) as Item[]);
    expect(acct).toEqual([expect.objectContaining({ name: 'bytes', count: 1, bytes: 12 })]);
  });

  it('a POST updates the current version\'s metadata without a new version', async () => {
    const v = await put('objs/posted', 'p');
    expect((await req(app, 'post', 'objs/posted', { 'X-Object-Meta-Fu': 'baz' })).status).toBe(202);
    expect((await versions('objs', '&prefix=posted')).length).toBe(1);
    const g = await req(app, 'head', `objs/posted?version-id=${v}`);
    expect(g.headers['x-object-meta-fu']).toBe('baz');
  });

  it('DELETE writes a delete marker; later DELETEs 404 and add markers', async () => {
    await put('objs/d', 'one');
    const del = await req(app, 'delete', 'objs/d');
    expect(del.status).toBe(204);
    const markerId = del.headers['x-object-version-id'] as string;
    expect(markerId).toMatch(/^\d{10}\.\d{5}$/);
    expect((await req(app, 'get', 'objs/d')).status).toBe(404);
    expect((await req(app, 'delete', 'objs/d')).status).toBe(404);
    const list = await versions('objs', '&prefix=d');
    expect(list.map((i) => [i.content_type, i.is_latest])).toEqual([[MARKER, true], [MARKER, false], ['application/x-www-form-urlencoded', false]]);
    expect(list[1]!.version_id).toBe(markerId);
    const m = await req(app, 'get', `objs/d?version-id=${markerId}`);
    expect(m.status).toBe(404);
    expect(m.headers['x-object-version-id']).toBe(markerId);
    expect(m.headers['content-type']).toBe(MARKER);
  });

  it('an object written before versioning is the null version and gets versioned on overwrite', async () => {
    expect((await req(app, 'put', 'late')).status).toBe(201);
    expect((await req(app, 'put', 'late/o').send('unversioned')).status).toBe(201);
    const before = await req(app, 'get', 'late/o?version-id=null');
    expect(before.status).toBe(200);
    expect(before.headers['x-object-version-id']).toBe('null');
    await versioned('late');
    expect((await req(app, 'get', 'late/o')).headers['x-object-version-id']).toBe('null');
    expect((await versions('late')).map((i) => [i.version_id, i.is_latest])).toEqual([['null', true]]);
    const v = await put('late/o', 'versioned');
    const list = await versions('late');
    expect(list.map((i) => i.is_latest)).toEqual([true, false]);
    expect(list[0]!.version_id).toBe(v);
    const old = await req(app, 'get', `late/o?version-id=${list[1]!.version_id as string}`);
    expect(old.text).toBe('unversioned');
    // The current object is a real version now: there is no null version.
    expect((await req(app, 'get', 'late/o?version-id=null')).status).toBe(404);
  });

  it('with versioning disabled, writes are unversioned but old versions stay', async () => {
    await versioned('off');
    const v1 = await put('off/o', 'kept');
    expect((await req(app, 'post', 'off', { 'X-Versions-Enabled': 'false' })).status).toBe(204);
    const r = await req(app, 'put', 'off/o').send('overwritten');
    expect(r.status).toBe(201);
    expect(r.headers['x-object-version-id']).toBeUndefined();
    const g = await req(app, 'get', 'off/o');
    expect(g.text).toBe('overwritten');
    expect(g.headers['x-object-version-id']).toBe('null');
    expect((await req(app, 'get', `off/o?version-id=${v1}`)).text).toBe('kept');
  });
});

describe('object_versioning: version-id operations', () => {
  beforeAll(async () => { await versioned('vid'); });

  it('DELETE of an old version removes only it', async () => {
    const v1 = await put('vid/a', '1');
    const v2 = await put('vid/a', '2');
    const r = await req(app, 'delete', `vid/a?version-id=${v1}`);
    expect(r.status).toBe(204);
    expect(r.headers['x-object-version-id']).toBe(v1);
    expect(r.headers['x-object-current-version-id']).toBe(v2);
    expect((await req(app, 'get', 'vid/a')).text).toBe('2');
    expect((await versions('vid', '&prefix=a')).map((i) => i.version_id)).toEqual([v2]);
    expect((await req(app, 'get', `vid/a?version-id=${v1}`)).status).toBe(404);
  });

  it('DELETE of the current version removes the link and its data', async () => {
    const v1 = await put('vid/b', '1');
    const v2 = await put('vid/b', '2');
    const r = await req(app, 'delete', `vid/b?version-id=${v2}`);
    expect(r.status).toBe(204);
    expect(r.headers['x-object-current-version-id']).toBe('null');
    expect((await req(app, 'get', 'vid/b')).status).toBe(404);
    expect((await versions('vid', '&prefix=b')).map((i) => i.version_id)).toEqual([v1]);
  });

  it('PUT ?version-id makes an old version current again', async () => {
    const v1 = await put('vid/c', 'aaaaa', { 'Content-Type': 'text/one' });
    const v2 = await put('vid/c', 'bbbbbb', { 'Content-Type': 'text/two' });
    const r = await req(app, 'put', `vid/c?version-id=${v1}`).send('');
    expect(r.status).toBe(201);
    expect(r.headers['x-object-version-id']).toBe(v1);
    const g = await req(app, 'get', 'vid/c');
    expect(g.text).toBe('aaaaa');
    expect(g.headers['content-type']).toBe('text/one');
    const list = await versions('vid', '&prefix=c');
    expect(list.map((i) => [i.version_id, i.is_latest])).toEqual([[v2, false], [v1, true]]);
    const body = await req(app, 'put', `vid/c?version-id=${v1}`).send('x');
    expect(body.status).toBe(400);
    expect(body.text).toBe('PUT version-id requests require a zero byte body');
    const missing = await req(app, 'put', 'vid/c?version-id=1234567890.12345').send('');
    expect(missing.status).toBe(404);
    expect(missing.text).toBe('The specified version does not exist');
  });

  it('refuses bad version requests', async () => {
    await put('vid/e', 'e');
    const post = await req(app, 'post', 'vid/e?version-id=1234567890.12345');
    expect(post.status).toBe(400);
    expect(post.text).toBe('POST to a specific version is not allowed');
    const bad = await req(app, 'get', 'vid/e?version-id=nope');
    expect(bad.status).toBe(400);
    expect(bad.text).toBe('Invalid version parameter');
    expect((await req(app, 'put', 'plain-cont')).status).toBe(201);
    expect((await req(app, 'put', 'plain-cont/o').send('x')).status).toBe(201);
    const unversioned = await req(app, 'get', 'plain-cont/o?version-id=1234567890.12345');
    expect(unversioned.status).toBe(400);
    expect(unversioned.text).toBe('version-aware operations require that the container is versioned');
    expect((await req(app, 'get', 'plain-cont/o?version-id=null')).status).toBe(200);
  });

  it('reading a version needs the account owner, not just a read ACL', async () => {
    const v = await put('vid/acl', 'data');
    expect((await req(app, 'post', 'vid', { 'X-Container-Read': 'test:tester3' })).status).toBe(204);
    const { token } = await authToken(app, 'test:tester3', 'testing3');
    expect((await req(app, 'get', 'vid/acl', { 'X-Auth-Token': token })).text).toBe('data');
    expect((await req(app, 'get', `vid/acl?version-id=${v}`, { 'X-Auth-Token': token })).status).toBe(403);
  });
});

describe('object_versioning: listing parameters', () => {
  beforeAll(async () => {
    await versioned('pages');
    for (const n of ['x', 'y']) for (const b of ['1', '2']) await put(`pages/${n}`, b);
  });

  it('marker and version_marker page through versions', async () => {
    const all = await versions('pages');
    expect(all.map((i) => i.name)).toEqual(['x', 'x', 'y', 'y']);
    const afterX = await versions('pages', '&marker=x');
    expect(afterX.map((i) => i.name)).toEqual(['y', 'y']);
    const afterFirst = await versions('pages', `&marker=x&version_marker=${all[0]!.version_id as string}`);
    expect(afterFirst.map((i) => [i.name, i.version_id])).toEqual(
      [['x', all[1]!.version_id], ['y', all[2]!.version_id], ['y', all[3]!.version_id]]);
    const limited = await versions('pages', '&limit=3');
    expect(limited.length).toBe(3);
    const reversed = await versions('pages', '&reverse=on');
    expect(reversed.map((i) => i.name)).toEqual(['y', 'y', 'x', 'x']);
  });

  it('pages through versions with marker/version_marker, a null version included', async () => {
    await versioned('nullpages');
    const a1 = await put('nullpages/a', 'v1');
    const b1 = await put('nullpages/b', 'v1');
    const b2 = await put('nullpages/b', 'v2');
    expect((await req(app, 'post', 'nullpages', { 'X-Versions-Enabled': 'false' })).status).toBe(204);
    const r = await req(app, 'put', 'nullpages/b').send('vnull');
    expect(r.headers['x-object-version-id']).toBeUndefined();
    expect((await req(app, 'post', 'nullpages', { 'X-Versions-Enabled': 'true' })).status).toBe(204);
    const c1 = await put('nullpages/c', 'v1');
    const triple = (l: Item[]) => l.map((i) => [i.name, i.version_id, i.is_latest]);
    const all = [['a', a1, true], ['b', 'null', true], ['b', b2, false], ['b', b1, false], ['c', c1, true]];
    expect(triple(await versions('nullpages'))).toEqual(all);
    expect(triple(await versions('nullpages', '&limit=2'))).toEqual(all.slice(0, 2));
    expect(triple(await versions('nullpages', `&limit=2&marker=b&version_marker=${b2}`))).toEqual(all.slice(3));
    expect(triple(await versions('nullpages', `&limit=2&marker=b&version_marker=${b1}`))).toEqual(all.slice(4));
    // Swift 2.30: after the null version the page goes on with the next name, not b's versions.
    expect(triple(await versions('nullpages', '&limit=2&marker=b&version_marker=null'))).toEqual(all.slice(4));
    // The null version's listing entry has exactly Swift's keys.
    const nullItem = (await versions('nullpages', '&prefix=b'))[0]!;
    expect(Object.keys(nullItem).sort()).toEqual(['bytes', 'content_type', 'hash', 'is_latest', 'last_modified', 'name', 'version_id']);
  });

  it('delimiter rolls versions up into subdirs', async () => {
    await versioned('dirs');
    await put('dirs/d/one', '1');
    await put('dirs/d/one', '2');
    await put('dirs/top', 't');
    const list = await versions('dirs', '&delimiter=/');
    expect(list.map((i) => i.subdir ?? i.name)).toEqual(['d/', 'top']);
  });

  it('answers only JSON: 406 for other formats, 400 for bad params', async () => {
    const j = await req(app, 'get', 'pages?versions&format=json');
    expect(j.status).toBe(200);
    expect(j.headers['content-type']).toMatch(/^application\/json/);
    const noFormat = await req(app, 'get', 'pages?versions');
    expect(noFormat.headers['content-type']).toMatch(/^application\/json/);
    expect(Array.isArray(json(noFormat))).toBe(true);
    for (const format of ['plain', 'xml']) {
      expect((await req(app, 'get', `pages?versions&format=${format}`)).status, format).toBe(406);
    }
    for (const accept of ['text/plain', 'text/xml', 'application/xml', 'foo/bar']) {
      expect((await req(app, 'get', 'pages?versions', { Accept: accept })).status, accept).toBe(406);
    }
    const vm = await req(app, 'get', 'pages?versions&version_marker=1234567890.12345');
    expect(vm.status).toBe(400);
    expect(vm.text).toBe('version_marker param requires marker');
    const bad = await req(app, 'get', 'pages?versions&marker=x&version_marker=nope');
    expect(bad.status).toBe(400);
    expect(bad.text).toBe('invalid version_marker param');
    const delim = await req(app, 'get', 'pages?versions&delimiter=.');
    expect(delim.status).toBe(400);
    expect(delim.text).toBe('invalid delimiter param');
  });
});

describe('object_versioning: container DELETE', () => {
  it('is refused while versions remain, and removes the hidden container with it', async () => {
    await versioned('todelete');
    const v = await put('todelete/o', 'x');
    expect((await req(app, 'delete', 'todelete/o')).status).toBe(204);
    const r = await req(app, 'delete', 'todelete');
    expect(r.status).toBe(409);
    expect(r.text).toBe('Delete all versions before deleting container.');
    for (const i of await versions('todelete')) {
      expect((await req(app, 'delete', `todelete/o?version-id=${i.version_id as string}`)).status).toBe(204);
    }
    expect(v).toBeTruthy();
    expect((await req(app, 'delete', 'todelete')).status).toBe(204);
    expect((await req(app, 'head', 'todelete')).status).toBe(404);
    // Recreating it starts from scratch.
    await versioned('todelete');
    expect(await versions('todelete')).toEqual([]);
  });
});

describe('object_versioning: symlinks', () => {
  it('a symlink written to a versioned container is versioned as a link', async () => {
    await versioned('syms');
    await put('syms/ta', 'aaaaa', { 'Content-Type': 'text/a' });
    await put('syms/tb', 'bbbbb');
    const v1 = await put('syms/link', '', { 'X-Symlink-Target': 'syms/ta', 'Content-Type': 'application/symlink' });
    expect((await req(app, 'get', 'syms/link')).text).toBe('aaaaa');
    await put('syms/link', '', { 'X-Symlink-Target': 'syms/tb' });
    expect((await req(app, 'get', 'syms/link')).text).toBe('bbbbb');
    const old = await req(app, 'get', `syms/link?version-id=${v1}`);
    expect(old.text).toBe('aaaaa');
    const asLink = await req(app, 'head', `syms/link?version-id=${v1}&symlink=get`);
    expect(asLink.headers['content-type']).toBe('application/symlink');
    expect(asLink.headers['x-symlink-target']).toBe('syms/ta');
  });

  it('symlink=get on a versioned object shows the version as a ?version-id target', async () => {
    const v = await put('syms/plain', 'p');
    const r = await req(app, 'head', 'syms/plain?symlink=get');
    expect(r.headers['x-symlink-target']).toBe(`syms/plain?version-id=${v}`);
    expect(r.headers['x-object-version-id']).toBe(v);
  });
});

describe('object_versioning: static links and quotas', () => {
  it('a static link written to a versioned container is versioned and still checked', async () => {
    await versioned('stl');
    const t = await req(app, 'put', 'stl/target').set('Content-Type', 'text/jibberish01').send('target object data');
    const etag = t.headers['etag'] as string;
    const r = await req(app, 'put', 'stl/link', { 'X-Symlink-Target': 'stl/target', 'X-Symlink-Target-Etag': etag });
    expect(r.status, r.text).toBe(201);
    expect((await req(app, 'get', 'stl/link')).text).toBe('target object data');
    const list = await versions('stl', '&prefix=link');
    expect(list.map((i) => [i.bytes, i.content_type, i.is_latest])).toEqual([[0, 'text/jibberish01', true]]);
    await put('stl/target', 'updated target data', { 'Content-Type': 'text/jibberish02' });
    expect((await req(app, 'get', 'stl/link')).status).toBe(409);
  });

  it.skipIf(!REGISTRY.has('container-quotas'))('versions count against the container\'s byte quota', async () => {
    await versioned('quota');
    await put('quota/o', 'aaaaa');
    await put('quota/o', 'bbbbb');
    expect((await req(app, 'post', 'quota', { 'X-Container-Meta-Quota-Bytes': '10' })).status).toBe(204);
    const r = await req(app, 'put', 'quota/o').send('ccccc');
    expect(r.status).toBe(413);
    expect(r.text).toBe('Upload exceeds quota.');
    expect((await req(app, 'get', 'quota/o')).text).toBe('bbbbb');
  });
});

describe('object_versioning: COPY', () => {
  it('a COPY onto a versioned object is a new version with the source\'s size and type', async () => {
    await versioned('cp');
    expect((await req(app, 'put', 'cp-src')).status).toBe(201);
    await put('cp-src/s', 'ddddddd', { 'Content-Type': 'text/jibberish04' });
    const v1 = await put('cp/o', 'ccc', { 'Content-Type': 'text/jibberish02' });
    const r = await req(app, 'copy', 'cp-src/s', { Destination: 'cp/o' });
    expect(r.status).toBe(201);
    const g = await req(app, 'get', 'cp/o');
    expect(g.text).toBe('ddddddd');
    expect(g.headers['content-type']).toBe('text/jibberish04');
    const list = await versions('cp');
    expect(list.map((i) => [i.is_latest, i.bytes, i.content_type])).toEqual(
      [[true, 7, 'text/jibberish04'], [false, 3, 'text/jibberish02']]);
    expect(list[1]!.version_id).toBe(v1);
    const plain = json(await req(app, 'get', 'cp?format=json')) as Item[];
    expect(plain.map((i) => [i.name, i.bytes, i.hash])).toEqual([['o', 7, md5('ddddddd')]]);
  });

  it('COPY of an old version with symlink=get restores a versioned link', async () => {
    await versioned('cpl');
    await put('cpl/target', 'target object data', { 'Content-Type': 'text/jibberish01' });
    const v = await put('cpl/symlink', '', { 'Content-Type': 'application/symlink', 'X-Symlink-Target': 'cpl/target' });
    await put('cpl/symlink', 'this is not a symlink');
    const r = await req(app, 'copy', `cpl/symlink?version-id=${v}&symlink=get`, { Destination: 'cpl/symlink' });
    expect(r.status).toBe(201);
    expect((await req(app, 'get', 'cpl/symlink')).text).toBe('target object data');
    expect((await versions('cpl', '&prefix=symlink')).length).toBe(3);
  });
});

describe('object_versioning: large objects', () => {
  it.skipIf(!REGISTRY.has('slo'))('a manifest PUT is versioned as a manifest and listed with the large object\'s size', async () => {
    await versioned('slov');
    expect((await req(app, 'put', 'slo-segs')).status).toBe(201);
    await put('slo-segs/a', 'a'.repeat(10));
    await put('slo-segs/b', 'b'.repeat(10));
    const manifest = JSON.stringify([{ path: '/slo-segs/a' }, { path: '/slo-segs/b' }]);
    const r = await req(app, 'put', 'slov/big?multipart-manifest=put').send(manifest);
    expect(r.status).toBe(201);
    const v = r.headers['x-object-version-id'] as string;
    expect(v).toMatch(/^\d{10}\.\d{5}$/);
    const g = await req(app, 'get', 'slov/big');
    expect(g.text).toBe('a'.repeat(10) + 'b'.repeat(10));
    expect(g.headers['x-object-version-id']).toBe(v);
    await put('slov/big', 'small now');
    const old = await req(app, 'get', `slov/big?version-id=${v}`);
    expect(old.text).toBe('a'.repeat(10) + 'b'.repeat(10));
    const list = await versions('slov');
    expect(list.map((i) => [i.bytes, i.is_latest])).toEqual([[9, true], [20, false]]);
    expect(list[1]).toHaveProperty('slo_etag');
  });
});

describe('object_versioning: deleting an old manifest version', () => {
  it.skipIf(!REGISTRY.has('slo'))('DELETE ?multipart-manifest=delete&version-id= reads and deletes that version and its segments', async () => {
    await versioned('slovd');
    expect((await req(app, 'put', 'slovd-segs')).status).toBe(201);
    await put('slovd-segs/a', 'a'.repeat(5));
    await put('slovd-segs/b', 'b'.repeat(5));
    const v1 = (await req(app, 'put', 'slovd/m?multipart-manifest=put').send(JSON.stringify([{ path: '/slovd-segs/a' }])))
      .headers['x-object-version-id'] as string;
    const v2 = (await req(app, 'put', 'slovd/m?multipart-manifest=put').send(JSON.stringify([{ path: '/slovd-segs/b' }])))
      .headers['x-object-version-id'] as string;
    expect(v1).not.toBe(v2);
    const r = await req(app, 'delete', `slovd/m?multipart-manifest=delete&version-id=${v1}`, { Accept: 'application/json' });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text) as Record<string, unknown>;
    expect(body['Number Deleted']).toBe(2);
    expect(body['Errors']).toEqual([]);
    // Version 1 and its segment are gone; version 2 is still current, with no delete marker added.
    expect((await versions('slovd')).map((i) => i.version_id)).toEqual([v2]);
    expect((await req(app, 'head', 'slovd-segs/a')).status).toBe(404);
    expect((await req(app, 'get', 'slovd/m')).text).toBe('b'.repeat(5));
  });
});

describe('object_versioning: needs symlink', () => {
  it('refuses to build without the symlink middleware', async () => {
    const { makeApiApp } = await import('../helpers/app.js');
    await expect(makeApiApp({
      pipeline: ['catch_errors', 'gatekeeper', 'proxy-logging', 'listing_formats', 'versioned_writes'],
      middleware: { versioned_writes: { allow_object_versioning: true } },
    })).rejects.toThrow('object versioning requires symlinks');
  });
});
