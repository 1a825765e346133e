import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMwApp, postAccount, putContainer, putObject, tempUrlSig, type MwApp } from '../helpers/middleware-app.js';

let app: MwApp;
const future = () => Math.floor(Date.now() / 1000) + 3600;

beforeAll(async () => {
  app = await makeMwApp({ only: ['tempurl'] });
  await putContainer(app, 'c');
  await putContainer(app, 'other');
  await putObject(app, 'c/o', 'hello', { 'X-Object-Meta-Secret': 's', 'X-Object-Meta-Public-Color': 'red' });
  await putObject(app, 'c/dir/a', 'in dir');
  await putObject(app, 'other/o', 'elsewhere');
  await postAccount(app, { 'X-Account-Meta-Temp-URL-Key': 'akey' });
});
afterAll(async () => { await app.close(); });

function url(obj: string, method: string, key: string, opts: { expires?: number | string; algo?: 'sha1' | 'sha256' | 'sha512' } = {}): string {
  const expires = opts.expires ?? future();
  const path = `${app.accountPath}/${obj}`;
  return `${path}?temp_url_sig=${tempUrlSig(method, expires, path, key, opts.algo)}&temp_url_expires=${expires}`;
}

describe('tempurl', () => {
  it('GETs an object with a valid sha256 signature and no token', async () => {
    const r = await request(app.app).get(url('c/o', 'GET', 'akey'));
    expect(r.status).toBe(200);
    expect(r.text).toBe('hello');
    expect(r.headers['content-disposition']).toBe('attachment; filename="o"; filename*=UTF-8\'\'o');
    expect(r.headers['expires']).toMatch(/GMT$/);
    // Private metadata is hidden, public metadata kept.
    expect(r.headers['x-object-meta-secret']).toBeUndefined();
    expect(r.headers['x-object-meta-public-color']).toBe('red');
  });

  it('accepts sha1 hex and sha512 in the <algo>:<base64url> form', async () => {
    expect((await request(app.app).get(url('c/o', 'GET', 'akey', { algo: 'sha1' }))).status).toBe(200);
    const expires = future();
    const path = `${app.accountPath}/c/o`;
    const b64 = Buffer.from(tempUrlSig('GET', expires, path, 'akey', 'sha512'), 'hex').toString('base64url');
    const r = await request(app.app).get(`${path}?temp_url_sig=sha512:${b64}&temp_url_expires=${expires}`);
    expect(r.status).toBe(200);
  });

  it('refuses an expired URL with Swift\'s 401 body', async () => {
    const r = await request(app.app).get(url('c/o', 'GET', 'akey', { expires: Math.floor(Date.now() / 1000) - 10 }));
    expect(r.status).toBe(401);
    expect(r.text).toBe('401 Unauthorized: Temp URL invalid\n');
    expect(r.headers['www-authenticate']).toBe(`Swift realm="${app.account}"`);
  });

  it('refuses a forged signature, a wrong key and another path', async () => {
    const good = url('c/o', 'GET', 'akey');
    const forged = good.replace(/temp_url_sig=(.)/, (_m, c: string) => `temp_url_sig=${c === 'a' ? 'b' : 'a'}`);
    expect((await request(app.app).get(forged)).status).toBe(401);
    expect((await request(app.app).get(url('c/o', 'GET', 'wrong'))).status).toBe(401);
    const moved = good.replace('/c/o?', '/other/o?');
    expect((await request(app.app).get(moved)).status).toBe(401);
  });

  it('ties the signature to the method, but lets HEAD use a GET signature', async () => {
    expect((await request(app.app).get(url('c/o', 'PUT', 'akey'))).status).toBe(401);
    const head = await request(app.app).head(url('c/o', 'GET', 'akey'));
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('5');
  });

  it('accepts an ISO 8601 expiry signed over its unix time', async () => {
    const expires = future();
    const iso = new Date(expires * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const path = `${app.accountPath}/c/o`;
    const r = await request(app.app).get(`${path}?temp_url_sig=${tempUrlSig('GET', expires, path, 'akey')}&temp_url_expires=${iso}`);
    expect(r.status).toBe(200);
  });

  it('honours filename and inline', async () => {
    const r = await request(app.app).get(`${url('c/o', 'GET', 'akey')}&filename=my%20file.txt&inline`);
    expect(r.headers['content-disposition']).toBe('inline; filename="my file.txt"; filename*=UTF-8\'\'my%20file.txt');
  });

  it('uses container keys (Temp-URL-Key-2) scoped to that container', async () => {
    const r0 = await request(app.app).post(`${app.accountPath}/other`).set('X-Auth-Token', app.token)
      .set('X-Container-Meta-Temp-URL-Key-2', 'ckey');
    expect(r0.status).toBe(204);
    expect((await request(app.app).get(url('other/o', 'GET', 'ckey'))).text).toBe('elsewhere');
    expect((await request(app.app).get(url('c/o', 'GET', 'ckey'))).status).toBe(401);
  });

  it('supports prefix-based URLs', async () => {
    const expires = future();
    const signed = `prefix:${app.accountPath}/c/dir/`;
    const sig = tempUrlSig('GET', expires, signed, 'akey');
    const q = `temp_url_sig=${sig}&temp_url_expires=${expires}&temp_url_prefix=dir/`;
    const ok = await request(app.app).get(`${app.accountPath}/c/dir/a?${q}`);
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('in dir');
    expect((await request(app.app).get(`${app.accountPath}/c/o?${q}`)).status).toBe(401);
  });

  it('PUTs through a temp URL but refuses X-Object-Manifest', async () => {
    const put = await request(app.app).put(url('c/up', 'PUT', 'akey')).send('uploaded');
    expect(put.status).toBe(201);
    const got = await request(app.app).get(`${app.accountPath}/c/up`).set('X-Auth-Token', app.token);
    expect(got.text).toBe('uploaded');
    const bad = await request(app.app).put(url('c/up2', 'PUT', 'akey')).set('X-Object-Manifest', 'c/seg').send('');
    expect(bad.status).toBe(400);
    expect(bad.text).toBe("The header 'X-Object-Manifest' is not allowed in this tempurl");
  });

  it('checks temp_url_ip_range against the client address', async () => {
    const expires = future();
    const path = `${app.accountPath}/c/o`;
    const mk = (range: string) => `${path}?temp_url_sig=${tempUrlSig('GET', expires, path, 'akey', 'sha256', range)}`
      + `&temp_url_expires=${expires}&temp_url_ip_range=${encodeURIComponent(range)}`;
    expect((await request(app.app).get(mk('127.0.0.0/8'))).status).toBe(200);
    expect((await request(app.app).get(mk('10.0.0.0/8'))).status).toBe(401);
  });

  it('still requires a token without temp URL parameters, and a sig with expires', async () => {
    expect((await request(app.app).get(`${app.accountPath}/c/o`)).status).toBe(401);
    expect((await request(app.app).get(`${app.accountPath}/c/o?temp_url_sig=abc`)).status).toBe(401);
  });
});

describe('tempurl options', () => {
  it('limits digests to allowed_digests and publishes them in /info', async () => {
    const a = await makeMwApp({ only: ['tempurl'], middleware: { tempurl: { allowed_digests: 'sha256 sha512' } } });
    try {
      await putContainer(a, 'c');
      await putObject(a, 'c/o', 'x');
      await postAccount(a, { 'X-Account-Meta-Temp-URL-Key': 'k' });
      const expires = future();
      const path = `${a.accountPath}/c/o`;
      const sha1 = await request(a.app).get(`${path}?temp_url_sig=${tempUrlSig('GET', expires, path, 'k', 'sha1')}&temp_url_expires=${expires}`);
      expect(sha1.status).toBe(401);
      const sha256 = await request(a.app).get(`${path}?temp_url_sig=${tempUrlSig('GET', expires, path, 'k')}&temp_url_expires=${expires}`);
      expect(sha256.status).toBe(200);
      const info = await request(a.app).get('/info');
      expect(info.body.tempurl.allowed_digests).toEqual(['sha256', 'sha512']);
      expect(info.body.tempurl.methods).toEqual(['GET', 'HEAD', 'PUT', 'POST', 'DELETE']);
    } finally {
      await a.close();
    }
  });
});

describe('tempurl subrequest scope', () => {
  it('holds subrequests made for a container-scoped URL to that container (Swift\'s authorize_same_container)', async () => {
    const { tempurl } = await import('../../src/api/middleware/tempurl/index.js');
    const { subrequest } = await import('../../src/api/http.js');
    const { authorize } = await import('../../src/api/authorize.js');
    const { createContext } = await import('../../src/api/context.js');
    const pino = (await import('pino')).default;
    const { PassThrough } = await import('node:stream');
    const verdicts: Record<string, number | undefined> = {};
    const mw = tempurl.create({ ...tempurl.defaults }, app.deps)(async (req) => {
      expect(req.ctx.preAuthorized).toBe(true);
      const sameContainer = subrequest(req, { method: 'GET', path: `${app.accountPath}/other/seg`, source: 'DLO' });
      const elsewhere = subrequest(req, { method: 'GET', path: `${app.accountPath}/c/seg`, source: 'DLO' });
      const preAuthed = subrequest(req, { method: 'GET', path: `${app.accountPath}/c/seg`, source: 'SLO', preAuthorized: true });
      const nested = subrequest(elsewhere, { method: 'GET', path: `${app.accountPath}/c/x`, source: 'DLO' });
      verdicts['same'] = (await authorize(sameContainer, { account: app.account, container: 'other' }))?.status;
      verdicts['elsewhere'] = (await authorize(elsewhere, { account: app.account, container: 'c' }))?.status;
      verdicts['preAuthed'] = (await authorize(preAuthed, { account: app.account, container: 'c' }))?.status;
      verdicts['nested'] = (await authorize(nested, { account: app.account, container: 'c' }))?.status;
      return { status: 200, headers: {}, body: '' };
    });
    const expires = future();
    const path = `${app.accountPath}/other/o`;
    const q = `temp_url_sig=${tempUrlSig('GET', expires, path, 'ckey')}&temp_url_expires=${expires}`;
    const ctx = createContext({ txnId: 'tx1', log: pino({ level: 'silent' }), signal: new AbortController().signal });
    const res = await mw({ method: 'GET', rawPath: path, path, pathIsUtf8: true, rawQuery: q, query: new URLSearchParams(q),
      headers: {}, body: new PassThrough().end(), ctx });
    expect(res.status).toBe(200);
    expect(verdicts).toEqual({ same: undefined, elsewhere: 401, preAuthed: undefined, nested: 401 });
  });
});
