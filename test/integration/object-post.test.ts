/**
 * Object POST as Swift 2.30's fast-POST: 202 with swob's Accepted page; user metadata and the
 * allowed headers are replaced wholesale; Content-Type can change; data, Etag and sysmeta stay;
 * Last-Modified/X-Timestamp move to the POST's time; 404 for missing objects and containers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, callObject, getText, md5, objectFixture, type ObjectFixture } from '../helpers/objects.js';

const ACCEPTED = '<html><h1>Accepted</h1><p>The request is accepted for processing.</p></html>';
let f: ObjectFixture;
beforeAll(async () => { f = await objectFixture(); });
afterAll(async () => { await f.close(); });

async function put(name: string, headers: Record<string, string> = {}, body = 'data') {
  const res = await api(f).put(f.path(name)).set('X-Auth-Token', f.token).set(headers).send(Buffer.from(body));
  expect(res.status).toBe(201);
  return res;
}
const head = (name: string) => api(f).head(f.path(name)).set('X-Auth-Token', f.token);
const post = (name: string, headers: Record<string, string> = {}) =>
  api(f).post(f.path(name)).set('X-Auth-Token', f.token).set(headers);

describe('object POST', () => {
  it('answers 202 with Swift\'s Accepted page', async () => {
    await put('a');
    const res = await post('a', { 'X-Object-Meta-New': 'yes' });
    expect(res.status).toBe(202);
    expect(res.text).toBe(ACCEPTED);
    expect(res.headers['content-type']).toBe('text/html; charset=UTF-8');
  });

  it('replaces user metadata and the allowed headers wholesale', async () => {
    await put('b', {
      'Content-Type': 'text/plain', 'X-Object-Meta-Old': 'gone', 'X-Object-Meta-Keep': 'old value',
      'Content-Disposition': 'inline', 'Cache-Control': 'no-store',
    });
    const res = await post('b', { 'X-Object-Meta-Keep': 'new value', 'Content-Language': 'fr' });
    expect(res.status).toBe(202);
    const h = await head('b');
    expect(h.headers['x-object-meta-keep']).toBe('new value');
    expect(h.headers['content-language']).toBe('fr');
    expect(h.headers['x-object-meta-old']).toBeUndefined();
    expect(h.headers['content-disposition']).toBeUndefined();
    expect(h.headers['cache-control']).toBeUndefined();
    expect(h.headers['content-type']).toBe('text/plain');
  });

  it('changes Content-Type when given, keeps data and Etag, moves the timestamp', async () => {
    const p = await put('c', { 'Content-Type': 'text/plain' }, 'payload');
    const before = await head('c');
    await new Promise((r) => setTimeout(r, 1100));
    const res = await post('c', { 'Content-Type': 'application/json' });
    expect(res.status).toBe(202);
    const after = await getText(f, 'c');
    expect(after.headers['content-type']).toBe('application/json');
    expect(after.headers['etag']).toBe(md5('payload'));
    expect(after.headers['etag']).toBe(p.headers['etag']);
    expect(after.text).toBe('payload');
    expect(Number(after.headers['x-timestamp'])).toBeGreaterThan(Number(before.headers['x-timestamp']));
    expect(Date.parse(after.headers['last-modified'] as string)).toBeGreaterThan(Date.parse(before.headers['last-modified'] as string));
  });

  it('404s a missing object and a missing container', async () => {
    expect((await post('nope', { 'X-Object-Meta-A': 'b' })).status).toBe(404);
    const res = await api(f).post(`${f.account}/no-container/o`).set('X-Auth-Token', f.token);
    expect(res.status).toBe(404);
    expect((await head('nope')).status).toBe(404);
  });

  it('checks metadata limits (400, plain text)', async () => {
    await put('d');
    const res = await post('d', { ['X-Object-Meta-' + 'n'.repeat(129)]: 'v' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.text).toMatch(/^Metadata name too long: x-object-meta-n{129}$/i);
  });

  it('keeps system metadata and X-Static-Large-Object (only a middleware can set them)', async () => {
    const putRes = await callObject(f, 'PUT', 'sys', {
      'Content-Length': '4', 'X-Object-Sysmeta-Test': 'kept', 'X-Static-Large-Object': 'True', 'X-Object-Meta-U': '1',
    }, 'data');
    expect(putRes.status).toBe(201);
    const postRes = await callObject(f, 'POST', 'sys', {
      'X-Object-Meta-U': '2', 'X-Object-Sysmeta-Test': 'changed?', 'X-Static-Large-Object': 'False',
    });
    expect(postRes.status).toBe(202);
    const h = await callObject(f, 'HEAD', 'sys');
    expect(h.status).toBe(200);
    expect(h.headers['x-object-sysmeta-test']).toBe('kept');
    expect(h.headers['x-static-large-object']).toBe('True');
    expect(h.headers['x-object-meta-u']).toBe('2');
    // Clients never see sysmeta (the gatekeeper strips it on the way out).
    const client = await head('sys');
    expect(client.status).toBe(200);
    expect(client.headers['x-object-sysmeta-test']).toBeUndefined();
    expect(client.headers['x-object-meta-u']).toBe('2');
  });

  it('is denied to a user without a write ACL', async () => {
    await put('e');
    const anon = await api(f).post(f.path('e')).set('X-Object-Meta-A', 'b');
    expect(anon.status).toBe(401);
  });
});
