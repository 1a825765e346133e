/**
 * Legacy versioned writes (Swift 2.30's versioned_writes/legacy.py): X-Versions-Location (stack) and
 * X-History-Location (history), through the whole pipeline.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeVersioningApp, req, type VApp } from '../helpers/versioning.js';

const MARKER = 'application/x-deleted;swift_versions_deleted=1';

let app: VApp;

beforeAll(async () => {
  app = await makeVersioningApp({ versioned_writes: { allow_versioned_writes: true }, });
});
afterAll(async () => { await app.close(); });

async function listing(container: string, query = ''): Promise<Array<Record<string, unknown>>> {
  const r = await req(app, 'get', `${container}?format=json${query}`);
  expect(r.status).toBe(200);
  return json(r) as Array<Record<string, unknown>>;
}

async function put(path: string, body: string, headers: Record<string, string> = {}): Promise<void> {
  const r = await req(app, 'put', path, headers).send(body);
  expect(r.status, r.text).toBe(201);
}

describe('versioned_writes: container settings', () => {
  it('stores X-Versions-Location as sysmeta and shows it back', async () => {
    expect((await req(app, 'put', 'v-arch')).status).toBe(201);
    expect((await req(app, 'put', 'v-stack', { 'X-Versions-Location': 'v-arch' })).status).toBe(201);
    const h = await req(app, 'head', 'v-stack');
    expect(h.headers['x-versions-location']).toBe('v-arch');
    expect(h.headers['x-history-location']).toBeUndefined();
    expect(Object.keys(h.headers).filter((k) => k.includes('sysmeta'))).toEqual([]);
  });

  it('shows a history location under X-History-Location', async () => {
    expect((await req(app, 'put', 'h-arch')).status).toBe(201);
    expect((await req(app, 'put', 'h-cont', { 'X-History-Location': 'h-arch' })).status).toBe(201);
    const h = await req(app, 'head', 'h-cont');
    expect(h.headers['x-history-location']).toBe('h-arch');
    expect(h.headers['x-versions-location']).toBeUndefined();
  });

  it('refuses both locations at once', async () => {
    const r = await req(app, 'put', 'both', { 'X-Versions-Location': 'a', 'X-History-Location': 'b' });
    expect(r.status).toBe(400);
    expect(r.text).toBe('Only one of x-versions-location or x-history-location may be specified');
    expect((await req(app, 'head', 'both')).status).toBe(404);
  });

  it('an empty one defers to the other', async () => {
    expect((await req(app, 'put', 'defer', { 'X-Versions-Location': 'a', 'X-History-Location': '' })).status).toBe(201);
    expect((await req(app, 'head', 'defer')).headers['x-versions-location']).toBe('a');
    expect((await req(app, 'post', 'defer', { 'X-Versions-Location': '', 'X-History-Location': 'b' })).status).toBe(204);
    const h = await req(app, 'head', 'defer');
    expect(h.headers['x-history-location']).toBe('b');
    expect(h.headers['x-versions-location']).toBeUndefined();
  });

  it('refuses a location with a slash', async () => {
    const r = await req(app, 'put', 'slashy', { 'X-Versions-Location': 'a/b' });
    expect(r.status).toBe(412);
    expect(r.text).toContain('Container name cannot contain slashes');
  });

  it('X-Remove-Versions-Location and an empty value turn versioning off', async () => {
    expect((await req(app, 'put', 'rm', { 'X-Versions-Location': 'a' })).status).toBe(201);
    expect((await req(app, 'post', 'rm', { 'X-Remove-Versions-Location': 'x' })).status).toBe(204);
    expect((await req(app, 'head', 'rm')).headers['x-versions-location']).toBeUndefined();
    expect((await req(app, 'post', 'rm', { 'X-History-Location': 'a' })).status).toBe(204);
    expect((await req(app, 'post', 'rm', { 'X-History-Location': '' })).status).toBe(204);
    const h = await req(app, 'head', 'rm');
    expect(h.headers['x-history-location']).toBeUndefined();
    expect(h.headers['x-versions-location']).toBeUndefined();
  });

  it('/info lists the allowed flags', async () => {
    const info = json(await request(app.app).get('/info')) as Record<string, unknown>;
    expect(info.versioned_writes).toEqual({ allowed_flags: ['x-versions-location', 'x-history-location'] });
    expect(info).not.toHaveProperty('object_versioning');
  });
});

describe('versioned_writes: stack mode', () => {
  beforeAll(async () => {
    expect((await req(app, 'put', 'arch')).status).toBe(201);
    expect((await req(app, 'put', 'stack', { 'X-Versions-Location': 'arch' })).status).toBe(201);
  });

  it('archives the current object on overwrite, under <len hex><name>/<timestamp>', async () => {
    await put('stack/obj', 'v1', { 'Content-Type': 'text/v1', 'X-Object-Meta-Color': 'red' });
    const first = await req(app, 'head', 'stack/obj');
    await put('stack/obj', 'v2', { 'Content-Type': 'text/v2' });
    expect((await req(app, 'get', 'stack/obj')).text).toBe('v2');
    const versions = await listing('arch', '&prefix=003obj/');
    expect(versions.map((v) => v.name)).toEqual([`003obj/${first.headers['x-timestamp'] as string}`]);
    const old = await req(app, 'get', `arch/${versions[0]!.name as string}`);
    expect(old.text).toBe('v1');
    expect(old.headers['content-type']).toBe('text/v1');
    expect(old.headers['x-object-meta-color']).toBe('red');
    await put('stack/obj', 'v3');
    expect((await listing('arch', '&prefix=003obj/')).length).toBe(2);
  });

  it('DELETE restores the previous version, one at a time, then 404s', async () => {
    expect((await req(app, 'delete', 'stack/obj')).status).toBe(204);
    expect((await req(app, 'get', 'stack/obj')).text).toBe('v2');
    expect((await listing('arch', '&prefix=003obj/')).length).toBe(1);
    expect((await req(app, 'delete', 'stack/obj')).status).toBe(204);
    const v1 = await req(app, 'get', 'stack/obj');
    expect(v1.text).toBe('v1');
    expect(v1.headers['content-type']).toBe('text/v1');
    expect((await listing('arch', '&prefix=003obj/')).length).toBe(0);
    expect((await req(app, 'delete', 'stack/obj')).status).toBe(204);
    expect((await req(app, 'get', 'stack/obj')).status).toBe(404);
    expect((await req(app, 'delete', 'stack/obj')).status).toBe(404);
  });

  it('uses the UTF-8 byte length of the name', async () => {
    await put('stack/%C3%A9t%C3%A9', 'a');
    await put('stack/%C3%A9t%C3%A9', 'b');
    const versions = await listing('arch', `&prefix=${encodeURIComponent('005été/')}`);
    expect(versions.length).toBe(1);
  });

  it('a POST does not make a version', async () => {
    await put('stack/posted', 'p');
    expect((await req(app, 'post', 'stack/posted', { 'X-Object-Meta-A': 'b' })).status).toBe(202);
    expect((await listing('arch', '&prefix=006posted/')).length).toBe(0);
  });

  it('versions a symlink as a link', async () => {
    await put('stack/target', 'target data');
    const r = await req(app, 'put', 'stack/link', { 'X-Symlink-Target': 'stack/target' });
    expect(r.status).toBe(201);
    await put('stack/link', 'plain now');
    const versions = await listing('arch', '&prefix=004link/');
    expect(versions.length).toBe(1);
    const old = await req(app, 'get', `arch/${versions[0]!.name as string}?symlink=get`);
    expect(old.headers['x-symlink-target']).toBe('stack/target');
  });

  it('needs the archive container: 412 when it is missing, and nothing is written', async () => {
    expect((await req(app, 'put', 'orphan', { 'X-Versions-Location': 'no-such-archive' })).status).toBe(201);
    await put('orphan/o', 'first');
    const r = await req(app, 'put', 'orphan/o').send('second');
    expect(r.status).toBe(412);
    expect((await req(app, 'get', 'orphan/o')).text).toBe('first');
  });

  it('checks the client may write before copying anything', async () => {
    const { token } = await (await import('../helpers/app.js')).authToken(app, 'test:tester3', 'testing3');
    await put('stack/private', 'mine');
    const r = await req(app, 'put', 'stack/private', { 'X-Auth-Token': token }).send('theirs');
    expect(r.status).toBe(403);
    expect((await listing('arch', '&prefix=007private/')).length).toBe(0);
    const d = await req(app, 'delete', 'stack/private', { 'X-Auth-Token': token });
    expect(d.status).toBe(403);
    expect((await req(app, 'get', 'stack/private')).text).toBe('mine');
  });
});

describe('versioned_writes: history mode', () => {
  beforeAll(async () => {
    expect((await req(app, 'put', 'hist-arch')).status).toBe(201);
    expect((await req(app, 'put', 'hist', { 'X-History-Location': 'hist-arch' })).status).toBe(201);
  });

  it('archives on overwrite and on DELETE writes a delete marker; the object is gone', async () => {
    await put('hist/obj', 'h1');
    await put('hist/obj', 'h2');
    expect((await req(app, 'delete', 'hist/obj')).status).toBe(204);
    expect((await req(app, 'get', 'hist/obj')).status).toBe(404);
    const versions = await listing('hist-arch', '&prefix=003obj/');
    expect(versions.map((v) => v.content_type)).toEqual(['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', MARKER]);
    expect(versions.map((v) => v.bytes)).toEqual([2, 2, 0]);
    const bodies = await Promise.all(versions.slice(0, 2).map(async (v) => (await req(app, 'get', `hist-arch/${v.name as string}`)).text));
    expect(bodies).toEqual(['h1', 'h2']);
  });

  it('COPY from the archive restores an old version', async () => {
    const versions = await listing('hist-arch', '&prefix=003obj/');
    const r = await req(app, 'copy', `hist-arch/${versions[0]!.name as string}`, { Destination: 'hist/obj' });
    expect(r.status).toBe(201);
    expect((await req(app, 'get', 'hist/obj')).text).toBe('h1');
  });
});

describe('versioned_writes: stack mode with delete markers in the archive', () => {
  it('a marker on top means the object is deleted: the version below it is restored', async () => {
    expect((await req(app, 'put', 'mix-arch')).status).toBe(201);
    expect((await req(app, 'put', 'mix', { 'X-History-Location': 'mix-arch' })).status).toBe(201);
    await put('mix/o', 'one');
    await put('mix/o', 'two');
    expect((await req(app, 'delete', 'mix/o')).status).toBe(204);
    // Switch to stack mode: DELETE now pops.
    expect((await req(app, 'post', 'mix', { 'X-Versions-Location': 'mix-arch' })).status).toBe(204);
    expect((await req(app, 'delete', 'mix/o')).status).toBe(204);
    expect((await req(app, 'get', 'mix/o')).text).toBe('two');
    const left = await listing('mix-arch', '&prefix=001o/');
    expect(left.map((v) => v.content_type)).toEqual(['application/x-www-form-urlencoded']);
  });
});

describe('versioned_writes: disabled', () => {
  it('allow_versioned_writes: false refuses the headers with 412', async () => {
    const off = await makeVersioningApp({ versioned_writes: { allow_versioned_writes: false } });
    try {
      const r = await req(off, 'put', 'c', { 'X-Versions-Location': 'a' });
      expect(r.status).toBe(412);
      expect(r.text).toBe('Versioned Writes is disabled');
      const info = json(await request(off.app).get('/info')) as Record<string, unknown>;
      expect(info).not.toHaveProperty('versioned_writes');
    } finally {
      await off.close();
    }
  });

  it('left unset, a plain X-Versions-Location still versions (Swift\'s backwards compatibility)', async () => {
    const unset = await makeVersioningApp({ versioned_writes: { allow_versioned_writes: null } });
    try {
      expect((await req(unset, 'put', 'a')).status).toBe(201);
      expect((await req(unset, 'put', 'c', { 'X-Versions-Location': 'a' })).status).toBe(201);
      expect((await req(unset, 'put', 'c/o').send('1')).status).toBe(201);
      expect((await req(unset, 'put', 'c/o').send('2')).status).toBe(201);
      const l = json(await req(unset, 'get', 'a?format=json')) as unknown[];
      expect(l.length).toBe(1);
    } finally {
      await unset.close();
    }
  });
});
