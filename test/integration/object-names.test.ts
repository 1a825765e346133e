/**
 * Object names are opaque bytes: spaces, Unicode, characters that need escaping, '//' and a
 * trailing '/', names of exactly 1024 bytes (ASCII and multi-byte), all round-trip through PUT,
 * GET, HEAD, POST, DELETE and the container listing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, getText, md5, objectFixture, type ObjectFixture } from '../helpers/objects.js';

let f: ObjectFixture;
beforeAll(async () => { f = await objectFixture(); });
afterAll(async () => { await f.close(); });

const NAMES = [
  'with space',
  'ünïcødé/日本語/файл',
  '&+é"',
  "quote'?#%;=@[]",
  'a//b',
  'trailing/',
  '/leading',
  'dir/sub/file.txt',
  '%25already-encoded',
  'emoji 🎉 name',
  'n'.repeat(1024),
  'é'.repeat(512),
  'x' + '日'.repeat(341),
];

describe('object names', () => {
  for (const name of NAMES) {
    const label = name.length > 40 ? `${name.slice(0, 12)}… (${Buffer.byteLength(name)} bytes)` : JSON.stringify(name);
    it(`round-trips ${label}`, async () => {
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(1024);
      const body = `body of ${name}`;
      const put = await api(f).put(f.path(name)).set('X-Auth-Token', f.token).send(Buffer.from(body));
      expect(put.status).toBe(201);
      expect(put.headers['etag']).toBe(md5(body));
      const get = await getText(f, name);
      expect(get.status).toBe(200);
      expect(get.text).toBe(body);
      const post = await api(f).post(f.path(name)).set('X-Auth-Token', f.token).set('X-Object-Meta-N', '1');
      expect(post.status).toBe(202);
      const head = await api(f).head(f.path(name)).set('X-Auth-Token', f.token);
      expect(head.headers['x-object-meta-n']).toBe('1');
    });
  }

  it('lists every name exactly as stored', async () => {
    const res = await api(f).get(`${f.account}/${f.container}?format=json`).set('X-Auth-Token', f.token);
    expect(res.status).toBe(200);
    const listed = (res.body as Array<{ name: string }>).map((e) => e.name);
    expect([...listed].sort()).toEqual([...NAMES].sort());
  });

  it('names differing only by a slash are different objects', async () => {
    await api(f).put(f.path('slash/x')).set('X-Auth-Token', f.token).send(Buffer.from('one'));
    await api(f).put(f.path('slash//x')).set('X-Auth-Token', f.token).send(Buffer.from('two'));
    expect((await getText(f, 'slash/x')).text).toBe('one');
    expect((await getText(f, 'slash//x')).text).toBe('two');
    for (const n of ['slash/x', 'slash//x']) {
      expect((await api(f).delete(f.path(n)).set('X-Auth-Token', f.token)).status).toBe(204);
    }
  });

  it('1025 bytes is too long (ASCII and multi-byte)', async () => {
    for (const name of ['n'.repeat(1025), 'é'.repeat(512) + 'x']) {
      const res = await api(f).put(f.path(name)).set('X-Auth-Token', f.token).send(Buffer.from('x'));
      expect(res.status).toBe(400);
      expect(res.text).toBe('Object name length of 1025 longer than 1024');
      expect(res.headers['content-type']).toBe('text/plain');
    }
  });

  it('guesses Content-Type from a Unicode name', async () => {
    await api(f).put(f.path('ドキュメント.html')).set('X-Auth-Token', f.token).send(Buffer.from('<p>'));
    const head = await api(f).head(f.path('ドキュメント.html')).set('X-Auth-Token', f.token);
    expect(head.headers['content-type']).toBe('text/html');
    await api(f).delete(f.path('ドキュメント.html')).set('X-Auth-Token', f.token);
  });

  it('DELETE works on odd names', async () => {
    const name = '&+é" del';
    await api(f).put(f.path(name)).set('X-Auth-Token', f.token).send(Buffer.from('x'));
    expect((await api(f).delete(f.path(name)).set('X-Auth-Token', f.token)).status).toBe(204);
    expect((await api(f).get(f.path(name)).set('X-Auth-Token', f.token)).status).toBe(404);
  });
});
