/**
 * Container PUT/POST/DELETE/HEAD/GET as Swift's proxy + container server answer them.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authToken, makeApiApp, seedObject, type ApiTestApp } from '../helpers/app.js';

let app: ApiTestApp;
let token: string;
beforeAll(async () => {
  app = await makeApiApp();
  token = (await authToken(app)).token;
});
afterAll(async () => { await app.close(); });

const base = '/v1/AUTH_test';
const put = (c: string) => request(app.app).put(`${base}/${c}`).set('X-Auth-Token', token);
const post = (c: string) => request(app.app).post(`${base}/${c}`).set('X-Auth-Token', token);
const head = (c: string) => request(app.app).head(`${base}/${c}`).set('X-Auth-Token', token);
const del = (c: string) => request(app.app).delete(`${base}/${c}`).set('X-Auth-Token', token);

const ACCEPTED = '<html><h1>Accepted</h1><p>The request is accepted for processing.</p></html>';
const NOT_FOUND = '<html><h1>Not Found</h1><p>The resource could not be found.</p></html>';
const CONFLICT = '<html><h1>Conflict</h1><p>There was a conflict when trying to complete your request.</p></html>';

describe('PUT', () => {
  it('is 201 when created and 202 when it existed', async () => {
    let res = await put('created');
    expect(res.status).toBe(201);
    expect(res.text).toBe('');
    expect(res.headers['content-type']).toBe('text/html; charset=UTF-8');
    expect(res.headers['content-length']).toBe('0');
    res = await put('created');
    expect(res.status).toBe(202);
    expect(res.text).toBe(ACCEPTED);
  });

  it('checks the storage policy name (case-insensitively)', async () => {
    expect((await put('pol').set('X-Storage-Policy', 'policy-0')).status).toBe(201);
    expect((await head('pol')).headers['x-storage-policy']).toBe('Policy-0');
    const res = await put('pol2').set('X-Storage-Policy', 'gold');
    expect(res.status).toBe(400);
    expect(res.text).toBe("Invalid X-Storage-Policy 'gold'");
  });

  it('refuses names over 256 bytes', async () => {
    const res = await put('é'.repeat(128) + 'x');
    expect(res.status).toBe(400);
    expect(res.text).toBe('Container name length of 257 longer than 256');
    expect((await put('c'.repeat(256))).status).toBe(201);
  });

  it('takes Unicode and odd names', async () => {
    expect((await put(encodeURIComponent('été &+"x'))).status).toBe(201);
    const res = await request(app.app).get(`${base}?prefix=%C3%A9t`).set('X-Auth-Token', token);
    expect(res.text).toBe('été &+"x\n');
  });
});

describe('HEAD and GET', () => {
  it('a re-PUT or POST moves X-PUT-Timestamp and Last-Modified; object writes do not', async () => {
    const ts = async () => {
      const h = (await head('lm')).headers;
      return { created: h['x-timestamp'], put: Number(h['x-put-timestamp']), lm: Date.parse(h['last-modified']!) };
    };
    const pause = () => new Promise((r) => setTimeout(r, 1010));
    expect((await put('lm')).status).toBe(201);
    const t0 = await ts();
    await pause();
    expect((await post('lm').set('X-Container-Meta-Japan', 'mitaka')).status).toBe(204);
    const t1 = await ts();
    expect(t1.put).toBeGreaterThan(t0.put);
    expect(t1.lm).toBeGreaterThan(t0.lm);
    await pause();
    expect((await put('lm')).status).toBe(202);
    const t2 = await ts();
    expect(t2.put).toBeGreaterThan(t1.put);
    expect(t2.lm).toBeGreaterThan(t1.lm);
    // X-Timestamp stays the creation time (Swift's created_at).
    expect(t2.created).toBe(t0.created);
    // Last-Modified is the put timestamp rounded up to the second.
    expect(t2.lm).toBe(Math.ceil(t2.put) * 1000);
    await seedObject(app, 'AUTH_test', 'lm', 'o', 'aaaaa', 'text/plain');
    expect(await ts()).toEqual(t2);
  });

  it('HEAD shows counts, timestamps, policy and metadata', async () => {
    await put('shown').set('X-Container-Meta-Color', 'blue').expect(201);
    await seedObject(app, 'AUTH_test', 'shown', 'o1', 'abc');
    await seedObject(app, 'AUTH_test', 'shown', 'o2', 'defgh');
    const res = await head('shown');
    expect(res.status).toBe(204);
    expect(res.headers['x-container-object-count']).toBe('2');
    expect(res.headers['x-container-bytes-used']).toBe('8');
    expect(res.headers['x-timestamp']).toMatch(/^\d{10}\.\d{5}$/);
    expect(res.headers['x-put-timestamp']).toMatch(/^\d{10}\.\d{5}$/);
    const ts = Number(res.headers['x-put-timestamp']);
    expect(res.headers['last-modified']).toBe(new Date(Math.ceil(ts) * 1000).toUTCString());
    expect(res.headers['x-storage-policy']).toBe('Policy-0');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['x-container-meta-color']).toBe('blue');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['content-length']).toBe('0');
  });

  it('404s for a missing container', async () => {
    const res = await request(app.app).get(`${base}/missing`).set('X-Auth-Token', token);
    expect(res.status).toBe(404);
    expect(res.text).toBe(NOT_FOUND);
    expect((await head('missing')).status).toBe(404);
  });
});

describe('POST', () => {
  it('sets and removes metadata (204)', async () => {
    await put('meta').expect(201);
    let res = await post('meta').set('X-Container-Meta-A', '1').set('X-Container-Meta-B', '2').set('X-Container-Meta-C', '3');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    await post('meta').set('X-Remove-Container-Meta-A', 'x').set('X-Container-Meta-B', '').expect(204);
    res = await head('meta');
    expect(res.headers['x-container-meta-a']).toBeUndefined();
    expect(res.headers['x-container-meta-b']).toBeUndefined();
    expect(res.headers['x-container-meta-c']).toBe('3');
  });

  it('404s for a missing container', async () => {
    const res = await post('nope').set('X-Container-Meta-A', '1');
    expect(res.status).toBe(404);
    expect(res.text).toBe(NOT_FOUND);
  });

  it('stores ACLs cleaned, sync settings, versioning locations and temp-url keys', async () => {
    await put('settings').set('X-Container-Read', ' bob , sue,,.ref:*.example.com, .rlistings')
      .set('X-Container-Write', 'test:tester3').expect(201);
    await post('settings').set('X-Container-Sync-To', 'http://elsewhere/v1/AUTH_x/c').set('X-Container-Sync-Key', 'k')
      .set('X-Versions-Location', 'old').set('X-History-Location', 'hist').set('X-Container-Meta-Temp-URL-Key', 'tk')
      .expect(204);
    let res = await head('settings');
    expect(res.headers['x-container-read']).toBe('bob,sue,.r:.example.com,.rlistings');
    expect(res.headers['x-container-write']).toBe('test:tester3');
    expect(res.headers['x-container-sync-to']).toBe('http://elsewhere/v1/AUTH_x/c');
    expect(res.headers['x-container-sync-key']).toBe('k');
    expect(res.headers['x-versions-location']).toBe('old');
    expect(res.headers['x-history-location']).toBe('hist');
    expect(res.headers['x-container-meta-temp-url-key']).toBe('tk');
    await post('settings').set('X-Remove-Container-Read', 'x').set('X-Remove-Versions-Location', 'x').expect(204);
    res = await head('settings');
    expect(res.headers['x-container-read']).toBeUndefined();
    expect(res.headers['x-versions-location']).toBeUndefined();
    expect(res.headers['x-container-write']).toBe('test:tester3');
  });

  it('rejects bad ACLs with clean_acl\'s messages', async () => {
    await put('badacl').expect(201);
    let res = await post('badacl').set('X-Container-Write', '.r:*');
    expect(res.status).toBe(400);
    expect(res.text).toBe("Referrers not allowed in write ACL: '.r:*'");
    res = await post('badacl').set('X-Container-Read', '.r:');
    expect(res.status).toBe(400);
    expect(res.text).toBe("No host/domain value after referrer designation in ACL: '.r:'");
    res = await post('badacl').set('X-Container-Read', '.bogus:x');
    expect(res.status).toBe(400);
    expect(res.text).toBe("Unknown designator '.bogus' in ACL: '.bogus:x'");
  });

  it('ignores client-sent sysmeta and backend headers (gatekeeper)', async () => {
    await put('sys').set('X-Container-Sysmeta-Secret', 'x').set('X-Backend-Storage-Policy-Index', '7').expect(201);
    const res = await head('sys');
    expect(res.headers['x-container-sysmeta-secret']).toBeUndefined();
    expect(Object.keys(res.headers).some((h) => h.startsWith('x-backend-'))).toBe(false);
  });

  it('enforces metadata limits per request and cumulatively', async () => {
    await put('limits').expect(201);
    let res = await post('limits').set('X-Container-Meta-Long', 'v'.repeat(257));
    expect(res.status).toBe(400);
    expect(res.text).toBe('Metadata value longer than 256: x-container-meta-Long');
    res = await post('limits').set(`X-Container-Meta-${'k'.repeat(129)}`, 'v');
    expect(res.status).toBe(400);
    let r = post('limits');
    for (let i = 0; i < 16; i++) r = r.set(`X-Container-Meta-Big${i}`, 'v'.repeat(250));
    expect((await r).status).toBe(204);
    res = await post('limits').set('X-Container-Meta-Big99', 'v'.repeat(250));
    expect(res.status).toBe(400);
    expect(res.text).toBe('Total metadata too large; max 4096');
    res = await put('limits-put').set('X-Container-Meta-', 'v');
    expect(res.status).toBe(400);
    expect(res.text).toBe('Metadata name cannot be empty');
  });
});

describe('DELETE', () => {
  it('is 204 for an empty container, 409 while objects remain, 404 when missing', async () => {
    await put('full').expect(201);
    await seedObject(app, 'AUTH_test', 'full', 'o', 'x');
    let res = await del('full');
    expect(res.status).toBe(409);
    expect(res.text).toBe(CONFLICT);
    await app.store.deleteObject({ account: 'AUTH_test', container: 'full', object: 'o' },
                                 { timestamp: (await import('../../src/storage/timestamp.js')).now() });
    res = await del('full');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    res = await del('full');
    expect(res.status).toBe(404);
    expect((await head('full')).status).toBe(404);
  });
});

describe('methods', () => {
  it('405 with Allow for unknown methods; OPTIONS lists them', async () => {
    let res = await request(app.app).patch(`${base}/created`).set('X-Auth-Token', token);
    expect(res.status).toBe(405);
    expect(res.headers['allow']).toBe('DELETE, GET, HEAD, OPTIONS, POST, PUT');
    res = await request(app.app).options(`${base}/created`).set('X-Auth-Token', token);
    expect(res.status).toBe(200);
    expect(res.headers['allow']).toBe('DELETE, GET, HEAD, OPTIONS, POST, PUT');
  });

  it('a trailing slash still names the container', async () => {
    expect((await request(app.app).head(`${base}/created/`).set('X-Auth-Token', token)).status).toBe(204);
  });
});
