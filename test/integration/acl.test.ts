/**
 * Container ACLs (read/write, referrers, .rlistings) and account ACLs (X-Account-Access-Control),
 * as TempAuth's authorize applies them.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authToken, makeApiApp, type ApiTestApp } from '../helpers/app.js';

let app: ApiTestApp;
let owner: string;
let other: string;
let foreign: string;
const A = '/v1/AUTH_test';

beforeAll(async () => {
  app = await makeApiApp();
  owner = (await authToken(app)).token;
  other = (await authToken(app, 'test:tester3', 'testing3')).token;
  foreign = (await authToken(app, 'test2:tester2', 'testing2')).token;
});
afterAll(async () => { await app.close(); });

const as = (token: string | undefined, method: 'get' | 'head' | 'put' | 'post' | 'delete', path: string) => {
  const r = request(app.app)[method](path);
  return token ? r.set('X-Auth-Token', token) : r;
};

describe('container read ACL', () => {
  it('a listed user may list; others may not; owners always', async () => {
    await as(owner, 'put', `${A}/shared`).set('X-Container-Read', 'test:tester3').expect(201);
    expect((await as(other, 'get', `${A}/shared`)).status).toBe(204);
    expect((await as(foreign, 'get', `${A}/shared`)).status).toBe(403);
    await as(owner, 'put', `${A}/private`).expect(201);
    expect((await as(other, 'get', `${A}/private`)).status).toBe(403);
    expect((await as(owner, 'get', `${A}/private`)).status).toBe(204);
  });

  it('an account name in the ACL grants every user of that account', async () => {
    await as(owner, 'put', `${A}/to-test2`).set('X-Container-Read', 'test2').expect(201);
    expect((await as(foreign, 'head', `${A}/to-test2`)).status).toBe(204);
  });

  it('non-owners do not see the ACL headers (swift_owner_headers)', async () => {
    await as(owner, 'post', `${A}/shared`).set('X-Container-Meta-Public', 'yes').set('X-Container-Sync-Key', 'k').expect(204);
    const mine = await as(owner, 'head', `${A}/shared`);
    expect(mine.headers['x-container-read']).toBe('test:tester3');
    expect(mine.headers['x-container-sync-key']).toBe('k');
    const theirs = await as(other, 'head', `${A}/shared`);
    expect(theirs.status).toBe(204);
    expect(theirs.headers['x-container-read']).toBeUndefined();
    expect(theirs.headers['x-container-sync-key']).toBeUndefined();
    expect(theirs.headers['x-container-meta-public']).toBe('yes');
  });

  it('a denied user learns nothing about existence: 403 for missing containers too', async () => {
    expect((await as(other, 'head', `${A}/never-made`)).status).toBe(403);
    expect((await as(owner, 'head', `${A}/never-made`)).status).toBe(404);
  });

  it('a read ACL does not allow container writes', async () => {
    expect((await as(other, 'post', `${A}/shared`).set('X-Container-Meta-X', '1')).status).toBe(403);
    expect((await as(other, 'delete', `${A}/shared`)).status).toBe(403);
  });
});

describe('container write ACL', () => {
  it('does not grant container POST/PUT/DELETE (object writes only)', async () => {
    await as(owner, 'put', `${A}/dropbox`).set('X-Container-Write', 'test:tester3').expect(201);
    expect((await as(other, 'post', `${A}/dropbox`)).status).toBe(403);
    expect((await as(other, 'put', `${A}/dropbox`)).status).toBe(403);
    expect((await as(other, 'get', `${A}/dropbox`)).status).toBe(403);
  });
});

describe('referrer ACLs', () => {
  it('.r:* without .rlistings does not allow anonymous listings', async () => {
    await as(owner, 'put', `${A}/pub`).set('X-Container-Read', '.r:*').expect(201);
    const res = await as(undefined, 'get', `${A}/pub`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Swift realm="AUTH_test"');
    // An authenticated stranger is refused with 403.
    expect((await as(foreign, 'get', `${A}/pub`)).status).toBe(403);
  });

  it('.r:*,.rlistings lets anyone list, without the owner headers', async () => {
    await as(owner, 'put', `${A}/listable`).set('X-Container-Read', '.r:*,.rlistings').expect(201);
    const res = await as(undefined, 'get', `${A}/listable`);
    expect(res.status).toBe(204);
    expect(res.headers['x-container-read']).toBeUndefined();
    expect((await as(foreign, 'get', `${A}/listable?format=json`)).text).toBe('[]');
  });

  it('domain referrers, with negation applied in order', async () => {
    await as(owner, 'put', `${A}/byref`).set('X-Container-Read', '.r:.example.com,.r:-bad.example.com,.rlistings').expect(201);
    const get = (referer?: string) => {
      const r = as(undefined, 'get', `${A}/byref`);
      return referer ? r.set('Referer', referer) : r;
    };
    expect((await get('http://www.example.com/page')).status).toBe(204);
    expect((await get('https://a.b.example.com:8443/x')).status).toBe(204);
    expect((await get('http://bad.example.com/')).status).toBe(401);
    expect((await get('http://example.org/')).status).toBe(401);
    expect((await get()).status).toBe(401);
  });

  it('anonymous access to account listings is refused', async () => {
    expect((await as(undefined, 'get', A)).status).toBe(401);
  });
});

describe('account ACLs (X-Account-Access-Control)', () => {
  const B = '/v1/AUTH_test2';

  it('only valid ACLs are accepted, with TempAuth\'s messages', async () => {
    let res = await as(foreign, 'post', B).set('X-Account-Access-Control', 'not json');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('text/plain; charset=UTF-8');
    expect(res.text).toBe("X-Account-Access-Control invalid: Syntax error in input ('not json')\n\nInput: not json\n");
    res = await as(foreign, 'post', B).set('X-Account-Access-Control', '{"bogus":[]}');
    expect(res.text).toBe('X-Account-Access-Control invalid: Key "bogus" not recognized\n\nInput: {"bogus":[]}\n');
    res = await as(foreign, 'post', B).set('X-Account-Access-Control', '{"admin":"x"}');
    expect(res.text).toBe('X-Account-Access-Control invalid: Value for key "admin" must be a list\n\nInput: {"admin":"x"}\n');
    res = await as(foreign, 'post', B).set('X-Account-Access-Control', '{"admin":[1]}');
    expect(res.text).toBe('X-Account-Access-Control invalid: Elements of "admin" list must be strings\n\nInput: {"admin":[1]}\n');
  });

  it('read-only: list and read, no writes, no ACL headers', async () => {
    await as(foreign, 'put', `${B}/ro`).set('X-Container-Read', 'someone').expect(201);
    await as(foreign, 'post', B).set('X-Account-Access-Control', '{"read-only": ["test:tester3"]}').expect(204);
    const mine = await as(foreign, 'head', B);
    expect(mine.headers['x-account-access-control']).toBe('{"read-only":["test:tester3"]}');
    const acct = await as(other, 'get', B);
    expect(acct.status).toBe(200);
    expect(acct.text).toContain('ro\n');
    expect(acct.headers['x-account-access-control']).toBeUndefined();
    const cont = await as(other, 'head', `${B}/ro`);
    expect(cont.status).toBe(204);
    expect(cont.headers['x-container-read']).toBeUndefined();
    expect((await as(other, 'put', `${B}/nope`)).status).toBe(403);
    expect((await as(other, 'post', B).set('X-Account-Meta-X', '1')).status).toBe(403);
    expect((await as(other, 'post', `${B}/ro`)).status).toBe(403);
  });

  it('read-write: containers may be created and changed, account stays read-only', async () => {
    await as(foreign, 'post', B).set('X-Account-Access-Control', '{"read-write": ["test:tester3"]}').expect(204);
    expect((await as(other, 'put', `${B}/rw`).set('X-Container-Read', 'evil')).status).toBe(201);
    // Not an owner: the ACL header was dropped.
    expect((await as(foreign, 'head', `${B}/rw`)).headers['x-container-read']).toBeUndefined();
    expect((await as(other, 'post', `${B}/rw`).set('X-Container-Meta-Ok', '1')).status).toBe(204);
    expect((await as(other, 'get', B)).status).toBe(200);
    expect((await as(other, 'post', B).set('X-Account-Meta-X', '1')).status).toBe(403);
    expect((await as(other, 'delete', `${B}/rw`)).status).toBe(204);
  });

  it('admin: a swift_owner, may see and change the ACL', async () => {
    await as(foreign, 'post', B).set('X-Account-Access-Control', '{"admin": ["test:tester3"]}').expect(204);
    const res = await as(other, 'head', B);
    expect(res.status).toBe(204);
    expect(res.headers['x-account-access-control']).toBe('{"admin":["test:tester3"]}');
    expect((await as(other, 'post', B).set('X-Account-Access-Control', '{"read-only":["test:tester3"]}')).status).toBe(204);
    expect((await as(foreign, 'head', B)).headers['x-account-access-control']).toBe('{"read-only":["test:tester3"]}');
  });

  it('an empty ACL removes it; strangers cannot set one', async () => {
    await as(foreign, 'post', B).set('X-Account-Access-Control', '').expect(204);
    expect((await as(foreign, 'head', B)).headers['x-account-access-control']).toBeUndefined();
    expect((await as(other, 'get', B)).status).toBe(403);
    expect((await as(owner, 'post', B).set('X-Account-Access-Control', '{"admin":["test:tester"]}')).status).toBe(403);
  });
});
