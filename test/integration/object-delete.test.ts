/**
 * Object DELETE: 204 (empty body) when something was deleted, 404 when not, X-If-Delete-At as the
 * object server checks it, 404 for a missing container, auth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, getText, objectFixture, type ObjectFixture } from '../helpers/objects.js';
import { authToken } from '../helpers/app.js';

let f: ObjectFixture;
beforeAll(async () => { f = await objectFixture(); });
afterAll(async () => { await f.close(); });

async function put(name: string, headers: Record<string, string> = {}) {
  const res = await api(f).put(f.path(name)).set('X-Auth-Token', f.token).set(headers).send(Buffer.from('x'));
  expect(res.status).toBe(201);
}
const del = (name: string, headers: Record<string, string> = {}) =>
  api(f).delete(f.path(name)).set('X-Auth-Token', f.token).set(headers);

describe('object DELETE', () => {
  it('204 with no body, then the object is gone; a second DELETE is 404', async () => {
    await put('a');
    const res = await del('a');
    expect(res.status).toBe(204);
    expect(res.text ?? '').toBe('');
    expect((await api(f).get(f.path('a')).set('X-Auth-Token', f.token)).status).toBe(404);
    expect((await api(f).head(f.path('a')).set('X-Auth-Token', f.token)).status).toBe(404);
    const again = await del('a');
    expect(again.status).toBe(404);
    expect(again.text).toBe('<html><h1>Not Found</h1><p>The resource could not be found.</p></html>');
  });

  it('a deleted object can be written again', async () => {
    await put('b');
    expect((await del('b')).status).toBe(204);
    await put('b');
    expect((await getText(f, 'b')).text).toBe('x');
  });

  it('404s in a missing container', async () => {
    expect((await api(f).delete(`${f.account}/no-container/o`).set('X-Auth-Token', f.token)).status).toBe(404);
  });

  it('needs auth: 401 anonymous, 403 without a write ACL', async () => {
    await put('c');
    expect((await api(f).delete(f.path('c'))).status).toBe(401);
    const { token: t3 } = await authToken(f.t, 'test:tester3', 'testing3');
    expect((await api(f).delete(f.path('c')).set('X-Auth-Token', t3)).status).toBe(403);
    expect((await api(f).head(f.path('c')).set('X-Auth-Token', f.token)).status).toBe(200);
  });
});

describe('X-If-Delete-At', () => {
  const at = String(Math.floor(Date.now() / 1000) + 3600);

  it('deletes when it matches X-Delete-At', async () => {
    await put('d', { 'X-Delete-At': at });
    expect((await del('d', { 'X-If-Delete-At': at })).status).toBe(204);
  });

  it('412s when it does not match, and keeps the object', async () => {
    await put('e', { 'X-Delete-At': at });
    const res = await del('e', { 'X-If-Delete-At': String(Number(at) + 1) });
    expect(res.status).toBe(412);
    expect(res.text).toBe('X-If-Delete-At and X-Delete-At do not match');
    expect((await api(f).head(f.path('e')).set('X-Auth-Token', f.token)).status).toBe(200);
  });

  it('412s for an object without X-Delete-At or a deleted one', async () => {
    await put('g');
    expect((await del('g', { 'X-If-Delete-At': at })).status).toBe(412);
    expect((await del('g')).status).toBe(204);
    const res = await del('g', { 'X-If-Delete-At': at });
    expect(res.status).toBe(412);
    expect(res.text).toBe('X-If-Delete-At and X-Delete-At do not match');
  });

  it('404s when there is no object at all (and writes nothing)', async () => {
    expect((await del('never', { 'X-If-Delete-At': at })).status).toBe(404);
    await put('never');
    expect((await api(f).head(f.path('never')).set('X-Auth-Token', f.token)).status).toBe(200);
  });

  it('deletes an expired object the way the expirer asks (204, and it is no longer listed as expired)', async () => {
    const soon = Math.floor(Date.now() / 1000) + 1;
    await put('x', { 'X-Delete-At': String(soon) });
    while (Date.now() / 1000 < soon + 0.05) await new Promise((r) => setTimeout(r, 50));
    const listed = async () => (await f.t.deps.store.listExpired(Math.floor(Date.now() / 1000), 100))
      .filter((o) => o.object === 'x').length;
    expect(await listed()).toBe(1);
    const res = await del('x', { 'X-If-Delete-At': String(soon) });
    expect(res.status).toBe(204);
    expect(await listed()).toBe(0);
  });

  it('400s a non-integer value', async () => {
    await put('h', { 'X-Delete-At': at });
    const res = await del('h', { 'X-If-Delete-At': 'soon' });
    expect(res.status).toBe(400);
    expect(res.text).toBe('Bad X-If-Delete-At header value');
  });
});
