import { createHmac } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMwApp, postAccount, putContainer, type MwApp } from '../helpers/middleware-app.js';

let app: MwApp;
const BOUNDARY = '----CairnFormBoundary7MA4YWxkTrZu0gW';

beforeAll(async () => {
  app = await makeMwApp({ only: ['formpost', 'tempurl'] });
  await putContainer(app, 'c');
  await putContainer(app, 'c2', { 'X-Container-Meta-Temp-URL-Key': 'ckey' });
  await postAccount(app, { 'X-Account-Meta-Temp-URL-Key': 'akey' });
});
afterAll(async () => { await app.close(); });

type Part = { name: string; value: string } | { name: string; filename: string; type?: string; data: string | Buffer };

function form(parts: Part[]): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${BOUNDARY}\r\n`));
    if ('value' in p) {
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`));
    } else {
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\n`
        + `Content-Type: ${p.type ?? 'text/plain'}\r\n\r\n`));
      chunks.push(Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data), Buffer.from('\r\n'));
    }
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

function signed(path: string, f: { redirect?: string; maxSize: number; maxCount: number; expires: number; key?: string;
                                   algo?: 'sha1' | 'sha256' | 'sha512' }): Part[] {
  const body = `${path}\n${f.redirect ?? ''}\n${f.maxSize}\n${f.maxCount}\n${f.expires}`;
  const sig = createHmac(f.algo ?? 'sha256', f.key ?? 'akey').update(body).digest('hex');
  return [
    ...(f.redirect !== undefined ? [{ name: 'redirect', value: f.redirect }] : []),
    { name: 'max_file_size', value: String(f.maxSize) },
    { name: 'max_file_count', value: String(f.maxCount) },
    { name: 'expires', value: String(f.expires) },
    { name: 'signature', value: sig },
  ];
}

const later = () => Math.floor(Date.now() / 1000) + 600;

async function post(a: MwApp, path: string, parts: Part[]) {
  return request(a.app).post(path).set('Content-Type', `multipart/form-data; boundary=${BOUNDARY}`).send(form(parts));
}
async function get(a: MwApp, path: string) {
  return request(a.app).get(`${a.accountPath}/${path}`).set('X-Auth-Token', a.token);
}

describe('formpost', () => {
  it('uploads every file under the form path and redirects with the status', async () => {
    const path = `${app.accountPath}/c/up_`;
    const r = await post(app, path, [
      ...signed(path, { redirect: 'https://example.com/done', maxSize: 1024, maxCount: 5, expires: later() }),
      { name: 'file1', filename: 'a.txt', type: 'application/x-thing', data: 'first file' },
      { name: 'file2', filename: 'b.bin', type: 'text/other', data: 'second' },
    ]);
    expect(r.status).toBe(303);
    expect(r.headers['location']).toBe('https://example.com/done?status=201&message=');
    expect(r.text).toContain('Click to continue...');
    const a = await get(app, 'c/up_a.txt');
    expect(a.status).toBe(200);
    expect(a.text).toBe('first file');
    expect(a.headers['content-type']).toBe('application/x-thing');
    const b = await get(app, 'c/up_b.bin');
    expect(b.text).toBe('second');
    // As in Swift, the first file's content type stays in the form's attributes for later files.
    expect(b.headers['content-type']).toBe('application/x-thing');
  });

  it('answers the status as text without a redirect, and adds a slash to a container path', async () => {
    const path = `${app.accountPath}/c`;
    const r = await post(app, path, [...signed(path, { maxSize: 100, maxCount: 1, expires: later() }),
      { name: 'f', filename: 'plain.txt', data: 'abc' }]);
    expect(r.status).toBe(201);
    expect(r.text).toBe('201 Created');
    expect((await get(app, 'c/plain.txt')).text).toBe('abc');
  });

  it('refuses a bad signature and an expired form with 401', async () => {
    const path = `${app.accountPath}/c/`;
    const fields = signed(path, { maxSize: 100, maxCount: 1, expires: later() });
    const forged = fields.map((p) => (p.name === 'max_file_size' ? { name: p.name, value: '100000' } : p));
    const r1 = await post(app, path, [...forged, { name: 'f', filename: 'x.txt', data: 'x' }]);
    expect(r1.status).toBe(401);
    expect(r1.text).toBe('FormPost: Invalid Signature');
    const old = signed(path, { maxSize: 100, maxCount: 1, expires: Math.floor(Date.now() / 1000) - 5 });
    const r2 = await post(app, path, [...old, { name: 'f', filename: 'x.txt', data: 'x' }]);
    expect(r2.status).toBe(401);
    expect(r2.text).toBe('FormPost: Form Expired');
    expect((await get(app, 'c/x.txt')).status).toBe(404);
  });

  it('stops at max_file_count', async () => {
    const path = `${app.accountPath}/c/cnt_`;
    const r = await post(app, path, [...signed(path, { maxSize: 100, maxCount: 1, expires: later() }),
      { name: 'f1', filename: '1', data: 'one' }, { name: 'f2', filename: '2', data: 'two' }]);
    expect(r.text).toBe('400 Bad Request\r\nFormPost: Max File Count Exceeded');
    expect(r.status).toBe(400);
    expect((await get(app, 'c/cnt_1')).text).toBe('one');
    expect((await get(app, 'c/cnt_2')).status).toBe(404);
  });

  it('says so when there is no file', async () => {
    const path = `${app.accountPath}/c/`;
    const r = await post(app, path, signed(path, { maxSize: 100, maxCount: 1, expires: later() }));
    expect(r.status).toBe(400);
    expect(r.text).toBe('400 Bad Request\r\nFormPost: No Files To Process');
  });

  it('applies x_delete_after and accepts container keys with sha512', async () => {
    const path = `${app.accountPath}/c2/`;
    const r = await post(app, path, [...signed(path, { maxSize: 100, maxCount: 1, expires: later(), key: 'ckey', algo: 'sha512' }),
      { name: 'x_delete_after', value: '3600' }, { name: 'f', filename: 'exp.txt', data: 'e' }]);
    expect(r.status).toBe(201);
    const got = await get(app, 'c2/exp.txt');
    expect(got.status).toBe(200);
    const at = Number(got.headers['x-delete-at']);
    expect(at).toBeGreaterThan(Date.now() / 1000 + 3500);
  });

  it('rejects non-integer limits with 400', async () => {
    const path = `${app.accountPath}/c/`;
    const fields = signed(path, { maxSize: 100, maxCount: 1, expires: later() })
      .map((p) => (p.name === 'max_file_size' ? { name: p.name, value: 'lots' } : p));
    const r = await post(app, path, [...fields, { name: 'f', filename: 'y', data: 'y' }]);
    expect(r.status).toBe(400);
    expect(r.text).toBe('FormPost: max_file_size not an integer');
  });

  it('answers a body that is not the announced multipart with 400', async () => {
    const r = await request(app.app).post(`${app.accountPath}/c/`)
      .set('Content-Type', `multipart/form-data; boundary=${BOUNDARY}`).send(Buffer.from('no boundary here at all'));
    expect(r.status).toBe(400);
    expect(r.text).toBe('FormPost: invalid starting boundary');
  });

  it('leaves other POSTs alone and is listed in /info', async () => {
    const r = await request(app.app).post(`${app.accountPath}/c/plain.txt`).set('X-Auth-Token', app.token)
      .set('X-Object-Meta-K', 'v');
    expect(r.status).toBe(202);
    const info = await request(app.app).get('/info');
    expect(info.body.formpost).toEqual({ allowed_digests: ['sha1', 'sha256', 'sha512'] });
  });
});

// Its own volume: a write the store sees fail mid-stream must not disturb the other cases.
describe('formpost max_file_size', () => {
  let big: MwApp;
  beforeAll(async () => {
    big = await makeMwApp({ only: ['formpost'] });
    await putContainer(big, 'c');
    await postAccount(big, { 'X-Account-Meta-Temp-URL-Key': 'akey' });
  });
  afterAll(async () => { await big.close(); });

  it('refuses a file over max_file_size and stores nothing', async () => {
    const path = `${big.accountPath}/c/big_`;
    const r = await post(big, path, [...signed(path, { maxSize: 10, maxCount: 1, expires: later() }),
      { name: 'f', filename: 'f.bin', data: Buffer.alloc(5000, 7) }]);
    expect(r.status).toBe(400);
    expect(r.text).toBe('FormPost: max_file_size exceeded');
    expect((await get(big, 'c/big_f.bin')).status).toBe(404);
  });

});
