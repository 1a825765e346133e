import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMwApp, putContainer, putObject, type MwApp } from '../helpers/middleware-app.js';
import { makeTar } from '../helpers/tar.js';

let app: MwApp;
beforeAll(async () => {
  app = await makeMwApp({ only: ['bulk'], middleware: { bulk: { max_deletes_per_request: 50 } } });
});
afterAll(async () => { await app.close(); });

/** GET with the body as text whatever its content type. */
const get = (path: string) => request(app.app).get(`${app.accountPath}/${path}`).set('X-Auth-Token', app.token)
  .buffer(true).parse((res, cb) => {
    let s = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => { s += c; });
    res.on('end', () => cb(null, s));
  }).then((r) => Object.assign(r, { text: r.body as string }));
/** Bulk delete requires a text/plain list (supertest would send a form content type). */
const bulkDelete = (a: MwApp, method: 'post' | 'delete', accept: string, body: string) =>
  request(a.app)[method](`${a.accountPath}?bulk-delete`).set('X-Auth-Token', a.token)
    .set('Accept', accept).set('Content-Type', 'text/plain').send(body);

function extract(path: string, kind: string, body: Buffer, accept = 'application/json') {
  return request(app.app).put(`${app.accountPath}${path}?extract-archive=${kind}`)
    .set('X-Auth-Token', app.token).set('Accept', accept).send(body);
}

describe('bulk extract-archive', () => {
  it('creates containers and objects from a tar and reports in JSON', async () => {
    const tar = makeTar([
      { name: 'x1/', type: '5' },
      { name: 'x1/a.txt', data: 'alpha' },
      { name: './x1/dir/b.txt', data: 'beta' },
      { name: 'x2/c', data: Buffer.alloc(70000, 3) },
      { name: 'top-level-file', data: 'ignored' },
    ]);
    const r = await extract('', 'tar', tar);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(r.text)).toEqual({
      'Response Status': '201 Created', 'Response Body': '', 'Number Files Created': 3, Errors: [],
    });
    expect((await get('x1/a.txt')).text).toBe('alpha');
    expect((await get('x1/dir/b.txt')).text).toBe('beta');
    const c = await get('x2/c');
    expect(c.headers['content-length']).toBe('70000');
    expect((await get('x1/top-level-file')).status).toBe(404);
  });

  it('extracts a tar.gz under a container path, with the request\'s metadata', async () => {
    await putContainer(app, 'gz');
    const r = await request(app.app).put(`${app.accountPath}/gz/sub?extract-archive=tar.gz`)
      .set('X-Auth-Token', app.token).set('Accept', 'application/json').set('X-Object-Meta-Batch', '7')
      .send(gzipSync(makeTar([{ name: 'f1', data: 'one' }, { name: 'd/f2', data: 'two' }])));
    expect(JSON.parse(r.text)['Number Files Created']).toBe(2);
    const f1 = await get('gz/sub/f1');
    expect(f1.text).toBe('one');
    expect(f1.headers['x-object-meta-batch']).toBe('7');
    expect((await get('gz/sub/d/f2')).text).toBe('two');
  });

  it('extracts a tar.bz2 with GNU long names and pax metadata', async () => {
    const long = `bz/${'n'.repeat(150)}`;
    const tar = makeTar([
      { name: long, data: 'long name', gnuLongName: true },
      { name: 'ignored-name', data: 'pax named', pax: { path: 'bz/pax-name', 'SCHILY.xattr.user.meta.color': 'blue',
        'SCHILY.xattr.user.mime_type': 'text/x-pax' } },
    ]);
    const bz = execFileSync('bzip2', ['-c'], { input: tar });
    const r = await extract('', 'tar.bz2', bz);
    expect(JSON.parse(r.text)).toEqual({ 'Number Files Created': 2, 'Response Status': '201 Created',
      'Response Body': '', Errors: [] });
    expect((await get(long)).text).toBe('long name');
    const pax = await get('bz/pax-name');
    expect(pax.text).toBe('pax named');
    expect(pax.headers['x-object-meta-color']).toBe('blue');
    expect(pax.headers['content-type']).toMatch(/^text\/x-pax/);
  });

  it('answers in plain text and XML by Accept', async () => {
    const tar = makeTar([{ name: 'fmt/a', data: 'a' }]);
    const plain = await extract('', 'tar', tar, 'text/plain');
    expect(plain.text).toBe('Number Files Created: 1\nResponse Body: \nResponse Status: 201 Created\nErrors:\n');
    const xml = await extract('', 'tar', tar, 'application/xml');
    expect(xml.text).toBe('<extract>\n<number_files_created>1</number_files_created>\n<response_body></response_body>\n'
      + '<response_status>201 Created</response_status>\n<errors>\n</errors>\n</extract>\n');
  });

  it('reports an invalid archive and an unknown format', async () => {
    const r = await extract('', 'tar', Buffer.alloc(2048, 'x'));
    expect(JSON.parse(r.text)).toMatchObject({ 'Response Status': '400 Bad Request', 'Response Body': 'Invalid Tar File: invalid header' });
    const gz = await extract('', 'tar.gz', Buffer.from('definitely not gzip'));
    expect(JSON.parse(gz.text)['Response Status']).toBe('400 Bad Request');
    expect(JSON.parse(gz.text)['Response Body']).toMatch(/^Invalid Tar File: /);
    const empty = await extract('', 'tar', makeTar([{ name: 'only-top', data: 'x' }]));
    expect(JSON.parse(empty.text)).toMatchObject({ 'Response Status': '400 Bad Request',
      'Response Body': 'Invalid Tar File: No Valid Files' });
    const bad = await extract('', 'zip', Buffer.from('x'));
    expect(bad.status).toBe(400);
    expect(bad.text).toBe('Unsupported archive format');
  });

  it('reports 401 for a caller without a token', async () => {
    const r = await request(app.app).put(`${app.accountPath}?extract-archive=tar`).set('Accept', 'application/json')
      .send(makeTar([{ name: 'noauth/a', data: 'a' }]));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)['Response Status']).toBe('401 Unauthorized');
    expect((await get('noauth/a')).status).toBe(404);
  });
});

describe('bulk delete', () => {
  it('deletes objects, then containers, counting the ones not found', async () => {
    await putContainer(app, 'del');
    for (const n of ['a', 'b c', 'ü']) await putObject(app, `del/${n}`, n);
    const list = ['/del/a', 'del/b%20c', `/del/${encodeURIComponent('ü')}`, '/del/missing', '/del', ''].join('\n');
    const r = await bulkDelete(app, 'post', 'application/json', list);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({
      'Response Status': '200 OK', 'Response Body': '', 'Number Deleted': 4, 'Number Not Found': 1, Errors: [],
    });
    expect((await request(app.app).head(`${app.accountPath}/del`).set('X-Auth-Token', app.token)).status).toBe(404);
  });

  it('reports failures (a non-empty container) as 400 with the errors listed', async () => {
    await putContainer(app, 'full');
    await putObject(app, 'full/keep', 'k');
    const r = await bulkDelete(app, 'delete', 'application/json', 'full\n');
    expect(JSON.parse(r.text)).toEqual({
      'Response Status': '400 Bad Request', 'Response Body': '', 'Number Deleted': 0, 'Number Not Found': 0,
      Errors: [['full', '409 Conflict']],
    });
  });

  it('refuses more than max_deletes_per_request names and a non-text body', async () => {
    const many = Array.from({ length: 51 }, (_, i) => `/c/o${i}`).join('\n');
    const r = await bulkDelete(app, 'post', 'application/json', many);
    expect(JSON.parse(r.text)).toMatchObject({ 'Response Status': '413 Request Entity Too Large',
      'Response Body': 'Maximum Bulk Deletes: 50 per request' });
    const j = await request(app.app).post(`${app.accountPath}?bulk-delete`).set('X-Auth-Token', app.token)
      .set('Accept', 'application/json').set('Content-Type', 'application/json').send('["x"]');
    expect(JSON.parse(j.text)['Response Status']).toBe('406 Not Acceptable');
    const none = await bulkDelete(app, 'post', 'text/plain', '\n');
    expect(none.text).toBe('Number Deleted: 0\nNumber Not Found: 0\nResponse Body: Invalid bulk delete.\n'
      + 'Response Status: 400 Bad Request\nErrors:\n');
  });

  it('publishes bulk_delete and bulk_upload in /info', async () => {
    const info = await request(app.app).get('/info');
    expect(info.body.bulk_delete).toEqual({ max_deletes_per_request: 50, max_failed_deletes: 1000 });
    expect(info.body.bulk_upload).toEqual({ max_containers_per_extraction: 10000, max_failed_extractions: 1000 });
  });
});
