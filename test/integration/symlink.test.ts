/**
 * The symlink middleware (Swift 2.30's symlink.py) through the whole pipeline: links are plain
 * zero-byte objects with sysmeta; every answer below is one Swift gives.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY } from '../../src/api/middleware/registry.js';
import { json, makeVersioningApp, req, type VApp } from '../helpers/versioning.js';

const TARGET_BODY = 'target body';
const MD5_EMPTY = 'd41d8cd98f00b204e9800998ecf8427e';
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

let app: VApp;
let tgtEtag: string;

beforeAll(async () => {
  app = await makeVersioningApp();
  for (const c of ['tgt', 'links']) expect((await req(app, 'put', c)).status).toBe(201);
  const r = await req(app, 'put', 'tgt/obj', { 'Content-Type': 'application/target' }).send(TARGET_BODY);
  expect(r.status).toBe(201);
  tgtEtag = r.headers['etag'] as string;
});
afterAll(async () => { await app.close(); });

const location = (obj = 'obj', container = 'tgt'): string => `/v1/${app.account}/${container}/${obj}`;

async function link(name: string, target: string, headers: Record<string, string> = {}): Promise<void> {
  const r = await req(app, 'put', `links/${name}`, { 'X-Symlink-Target': target, ...headers });
  expect(r.status, r.text).toBe(201);
}

describe('symlink: create and follow', () => {
  it('GET and HEAD a link answer with the target and say where it is', async () => {
    await link('l1', 'tgt/obj');
    const g = await req(app, 'get', 'links/l1');
    expect(g.status).toBe(200);
    expect(g.text).toBe(TARGET_BODY);
    expect(g.headers['etag']).toBe(tgtEtag);
    expect(g.headers['content-type']).toBe('application/target');
    expect(g.headers['content-location']).toBe(location());
    const h = await req(app, 'head', 'links/l1');
    expect(h.status).toBe(200);
    expect(h.headers['content-length']).toBe(String(TARGET_BODY.length));
    // Sysmeta never reaches the client.
    expect(Object.keys(g.headers).filter((k) => k.includes('sysmeta'))).toEqual([]);
  });

  it('symlink=get answers with the link itself', async () => {
    await link('l2', 'tgt/obj');
    const r = await req(app, 'get', 'links/l2?symlink=get');
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    expect(r.headers['content-length']).toBe('0');
    expect(r.headers['x-symlink-target']).toBe('tgt/obj');
    expect(r.headers['content-type']).toBe('application/symlink');
    expect(r.headers['etag']).toBe(MD5_EMPTY);
    expect(r.headers['content-location']).toBeUndefined();
    const h = await req(app, 'head', 'links/l2?symlink=get');
    expect(h.headers['x-symlink-target']).toBe('tgt/obj');
  });

  it('normalizes the target quoting and follows percent-encoded names', async () => {
    const r = await req(app, 'put', 'tgt/a%20b%2Fc').send('encoded');
    expect(r.status).toBe(201);
    await link('enc', 'tgt/a b%2Fc');
    const g = await req(app, 'get', 'links/enc');
    expect(g.text).toBe('encoded');
    expect(g.headers['content-location']).toBe(location('a%20b/c'));
    const s = await req(app, 'head', 'links/enc?symlink=get');
    expect(s.headers['x-symlink-target']).toBe('tgt/a%20b/c');
  });

  it('keeps the client Content-Type of a link', async () => {
    await link('typed', 'tgt/obj', { 'Content-Type': 'text/x-mine' });
    const s = await req(app, 'head', 'links/typed?symlink=get');
    expect(s.headers['content-type']).toBe('text/x-mine');
  });

  it('a link to a missing object is 404 with Content-Location, and works once the target exists', async () => {
    await link('early', 'tgt/later');
    const g = await req(app, 'get', 'links/early');
    expect(g.status).toBe(404);
    expect(g.headers['content-location']).toBe(location('later'));
    expect((await req(app, 'put', 'tgt/later').send('now here')).status).toBe(201);
    expect((await req(app, 'get', 'links/early')).text).toBe('now here');
  });

  it('passes Range to the target', async () => {
    await link('ranged', 'tgt/obj');
    const r = await req(app, 'get', 'links/ranged', { Range: 'bytes=7-10' });
    expect(r.status).toBe(206);
    expect(r.text).toBe('body');
  });

  it('evaluates If-Match / If-None-Match against the target', async () => {
    await link('cond', 'tgt/obj');
    const ok = await req(app, 'get', 'links/cond', { 'If-Match': tgtEtag });
    expect(ok.status).toBe(200);
    const bad = await req(app, 'get', 'links/cond', { 'If-Match': 'not-the-etag' });
    expect(bad.status).toBe(412);
    expect(bad.headers['content-location']).toBe(location());
    const nm = await req(app, 'get', 'links/cond', { 'If-None-Match': tgtEtag });
    expect(nm.status).toBe(304);
  });

  it('follows a cross-account link to an account the user may read', async () => {
    await link('xacct', 'tgt/obj', { 'X-Symlink-Target-Account': app.account });
    const s = await req(app, 'head', 'links/xacct?symlink=get');
    expect(s.headers['x-symlink-target-account']).toBe(app.account);
    expect((await req(app, 'get', 'links/xacct')).text).toBe(TARGET_BODY);
  });

  it('DELETE removes the link, not the target', async () => {
    await link('gone', 'tgt/obj');
    expect((await req(app, 'delete', 'links/gone')).status).toBe(204);
    expect((await req(app, 'get', 'links/gone')).status).toBe(404);
    expect((await req(app, 'get', 'tgt/obj')).status).toBe(200);
  });
});

describe('symlink: chains', () => {
  it('follows symloop_max (2) links and refuses the next with 409', async () => {
    await link('c1', 'tgt/obj');
    await link('c2', 'links/c1');
    const ok = await req(app, 'get', 'links/c2');
    expect(ok.status).toBe(200);
    expect(ok.text).toBe(TARGET_BODY);
    expect(ok.headers['content-location']).toBe(location());
    await link('c3', 'links/c2');
    const g = await req(app, 'get', 'links/c3');
    expect(g.status).toBe(409);
    expect(g.text).toBe('Too many levels of symbolic links, maximum allowed is 2');
    const h = await req(app, 'head', 'links/c3');
    expect(h.status).toBe(409);
    // The link itself is still readable.
    expect((await req(app, 'get', 'links/c3?symlink=get')).headers['x-symlink-target']).toBe('links/c2');
  });

  it('a loop is cut at the limit too', async () => {
    await link('loop-a', 'links/loop-b');
    await link('loop-b', 'links/loop-a');
    expect((await req(app, 'get', 'links/loop-a')).status).toBe(409);
  });
});

describe('symlink: static links (X-Symlink-Target-Etag)', () => {
  it('checks the etag at PUT and records target size and type', async () => {
    await link('st', 'tgt/obj', { 'X-Symlink-Target-Etag': tgtEtag });
    const s = await req(app, 'head', 'links/st?symlink=get');
    expect(s.headers['x-symlink-target-etag']).toBe(tgtEtag);
    expect(s.headers['x-symlink-target-bytes']).toBe(String(TARGET_BODY.length));
    // Without a Content-Type of its own the static link takes the target's.
    expect(s.headers['content-type']).toBe('application/target');
    expect((await req(app, 'get', 'links/st')).text).toBe(TARGET_BODY);
  });

  it('accepts a quoted etag', async () => {
    await link('stq', 'tgt/obj', { 'X-Symlink-Target-Etag': `"${tgtEtag}"` });
    expect((await req(app, 'head', 'links/stq?symlink=get')).headers['x-symlink-target-etag']).toBe(tgtEtag);
  });

  it('refuses a wrong etag with 409 naming both', async () => {
    const r = await req(app, 'put', 'links/stbad', { 'X-Symlink-Target': 'tgt/obj', 'X-Symlink-Target-Etag': 'not-the-etag' });
    expect(r.status).toBe(409);
    expect(r.text).toBe(`Object Etag '${tgtEtag}' does not match X-Symlink-Target-Etag header 'not-the-etag'`);
    expect(r.headers['content-location']).toBe(`/v1/${app.account}/tgt/obj`);
    expect((await req(app, 'get', 'links/stbad')).status).toBe(404);
  });

  it('refuses a missing target with 409', async () => {
    const r = await req(app, 'put', 'links/stmiss', { 'X-Symlink-Target': 'tgt/nothing', 'X-Symlink-Target-Etag': MD5_EMPTY });
    expect(r.status).toBe(409);
    expect(r.text).toBe('X-Symlink-Target does not exist');
  });

  it('refuses an etag with ; " or \\ with 400', async () => {
    const r = await req(app, 'put', 'links/stfmt', { 'X-Symlink-Target': 'tgt/obj', 'X-Symlink-Target-Etag': 'a;b' });
    expect(r.status).toBe(400);
    expect(r.text).toBe('Bad X-Symlink-Target-Etag format');
  });

  it('answers 409 on GET and HEAD once the target changed, with Content-Location', async () => {
    expect((await req(app, 'put', 'tgt/changing').send('v1')).status).toBe(201);
    await link('stc', 'tgt/changing', { 'X-Symlink-Target-Etag': md5('v1') });
    expect((await req(app, 'put', 'tgt/changing').send('v2')).status).toBe(201);
    const g = await req(app, 'get', 'links/stc');
    expect(g.status).toBe(409);
    expect(g.text).toBe(`Object Etag '${md5('v2')}' does not match X-Symlink-Target-Etag header '${md5('v1')}'`);
    expect(g.headers['content-location']).toBe(location('changing'));
    expect((await req(app, 'head', 'links/stc')).status).toBe(409);
    // Not-found wins over etag checks.
    expect((await req(app, 'delete', 'tgt/changing')).status).toBe(204);
    const n = await req(app, 'get', 'links/stc');
    expect(n.status).toBe(404);
    expect(n.headers['content-location']).toBe(location('changing'));
  });

  it('a static link to a dynamic link must name the empty etag', async () => {
    await link('dyn', 'tgt/obj');
    const bad = await req(app, 'put', 'links/st2dyn-bad', { 'X-Symlink-Target': 'links/dyn', 'X-Symlink-Target-Etag': tgtEtag });
    expect(bad.status).toBe(409);
    await link('st2dyn', 'links/dyn', { 'X-Symlink-Target-Etag': MD5_EMPTY });
    expect((await req(app, 'get', 'links/st2dyn')).text).toBe(TARGET_BODY);
  });

  it('a dynamic link to a static link is followed through both', async () => {
    await link('st-mid', 'tgt/obj', { 'X-Symlink-Target-Etag': tgtEtag });
    await link('dyn2st', 'links/st-mid');
    const g = await req(app, 'get', 'links/dyn2st');
    expect(g.text).toBe(TARGET_BODY);
    expect(g.headers['content-location']).toBe(location());
  });
});

describe('symlink: bad requests', () => {
  it('a link must have an empty body', async () => {
    const r = await req(app, 'put', 'links/body', { 'X-Symlink-Target': 'tgt/obj' }).send('x');
    expect(r.status).toBe(400);
    expect(r.text).toBe('Symlink requests require a zero byte body');
  });

  it('the target must be <container>/<object>', async () => {
    for (const bad of ['/tgt/obj', 'tgt', 'tgt/', '']) {
      const r = await req(app, 'put', 'links/badtgt', { 'X-Symlink-Target': bad });
      expect(r.status, bad).toBe(412);
      expect(r.text).toBe('X-Symlink-Target header must be of the form <container name>/<object name>');
    }
  });

  it('the target account must be a valid name', async () => {
    const empty = await req(app, 'put', 'links/badacct', { 'X-Symlink-Target': 'tgt/obj', 'X-Symlink-Target-Account': '' });
    expect(empty.status).toBe(412);
    expect(empty.text).toBe('Account name cannot be empty');
    const slash = await req(app, 'put', 'links/badacct', { 'X-Symlink-Target': 'tgt/obj', 'X-Symlink-Target-Account': 'a/b' });
    expect(slash.status).toBe(412);
    expect(slash.text).toBe('Account name cannot contain slashes');
  });

  it('a link cannot point at itself', async () => {
    const r = await req(app, 'put', 'links/self', { 'X-Symlink-Target': 'links/self' });
    expect(r.status).toBe(400);
    expect(r.text).toBe('Symlink cannot target itself');
  });

  it('POST cannot set a target', async () => {
    expect((await req(app, 'put', 'tgt/plain').send('p')).status).toBe(201);
    const r = await req(app, 'post', 'tgt/plain', { 'X-Symlink-Target': 'tgt/obj' });
    expect(r.status).toBe(400);
    expect(r.text).toBe('A PUT request is required to set a symlink target');
  });

  it('clients cannot fake symlink sysmeta', async () => {
    const r = await req(app, 'put', 'links/fake', { 'X-Object-Sysmeta-Symlink-Target': 'tgt/obj' }).send('real data');
    expect(r.status).toBe(201);
    const g = await req(app, 'get', 'links/fake');
    expect(g.text).toBe('real data');
    expect(g.headers['content-location']).toBeUndefined();
  });
});

describe('symlink: POST', () => {
  it('a POST to a link is applied to the link and answered 307 to the target', async () => {
    await link('posted', 'tgt/obj');
    const r = await req(app, 'post', 'links/posted', { 'X-Object-Meta-Color': 'blue' });
    expect(r.status).toBe(307);
    expect(r.headers['location']).toBe(location());
    expect(r.text).toBe('The requested POST was applied to a symlink. POST directly to the target to apply requested metadata.');
    const s = await req(app, 'head', 'links/posted?symlink=get');
    expect(s.headers['x-object-meta-color']).toBe('blue');
    expect((await req(app, 'head', 'tgt/obj')).headers['x-object-meta-color']).toBeUndefined();
  });

  it('a POST to a static link names the target etag', async () => {
    await link('posted-st', 'tgt/obj', { 'X-Symlink-Target-Etag': tgtEtag });
    const r = await req(app, 'post', 'links/posted-st', { 'X-Object-Meta-A': 'b' });
    expect(r.status).toBe(307);
    expect(r.headers['x-symlink-target-etag']).toBe(tgtEtag);
  });

  it('a POST to a plain object is untouched', async () => {
    expect((await req(app, 'post', 'tgt/plain', { 'X-Object-Meta-A': 'b' })).status).toBe(202);
  });
});

describe('symlink: listings and /info', () => {
  it('JSON listings show symlink_path, and symlink_etag/symlink_bytes for static links', async () => {
    expect((await req(app, 'put', 'lst')).status).toBe(201);
    expect((await req(app, 'put', 'lst/dyn', { 'X-Symlink-Target': 'tgt/obj' })).status).toBe(201);
    expect((await req(app, 'put', 'lst/static', { 'X-Symlink-Target': 'tgt/obj', 'X-Symlink-Target-Etag': tgtEtag })).status).toBe(201);
    expect((await req(app, 'put', 'lst/xacct', { 'X-Symlink-Target': 'tgt/obj', 'X-Symlink-Target-Account': 'AUTH_other' })).status).toBe(201);
    const r = await req(app, 'get', 'lst?format=json');
    const items = json(r) as Array<Record<string, unknown>>;
    const byName = Object.fromEntries(items.map((i) => [i.name, i]));
    expect(byName.dyn).toMatchObject({ bytes: 0, hash: MD5_EMPTY, content_type: 'application/symlink', symlink_path: location() });
    expect(byName.dyn).not.toHaveProperty('symlink_etag');
    expect(byName.static).toMatchObject({
      hash: MD5_EMPTY, content_type: 'application/target', symlink_path: location(),
      symlink_etag: tgtEtag, symlink_bytes: TARGET_BODY.length,
    });
    expect(byName.xacct).toMatchObject({ symlink_path: '/v1/AUTH_other/tgt/obj' });
    // Swift's key order: the symlink keys come after the usual ones.
    expect(Object.keys(byName.static!)).toEqual(['bytes', 'hash', 'name', 'content_type', 'last_modified', 'symlink_etag', 'symlink_bytes', 'symlink_path']);
    const plain = await req(app, 'get', 'lst?format=plain');
    expect(plain.text).toBe('dyn\nstatic\nxacct\n');
  });

  it('/info publishes symlink_max and static links', async () => {
    const info = await (await import('supertest')).default(app.app).get('/info');
    expect((json(info) as Record<string, unknown>).symlink).toEqual({ symloop_max: 2, static_links: true });
  });
});

describe('symlink: COPY', () => {
  it.skipIf(!REGISTRY.has('copy'))('COPY of a link copies the target; with symlink=get it copies the link', async () => {
    await link('tocopy', 'tgt/obj');
    const data = await req(app, 'copy', 'links/tocopy', { Destination: 'tgt/copied-data' });
    expect(data.status).toBe(201);
    const d = await req(app, 'get', 'tgt/copied-data?symlink=get');
    expect(d.text).toBe(TARGET_BODY);
    expect(d.headers['x-symlink-target']).toBeUndefined();
    const asLink = await req(app, 'copy', 'links/tocopy?symlink=get', { Destination: 'links/copied-link' });
    expect(asLink.status).toBe(201);
    const l = await req(app, 'get', 'links/copied-link?symlink=get');
    expect(l.headers['x-symlink-target']).toBe('tgt/obj');
    expect((await req(app, 'get', 'links/copied-link')).text).toBe(TARGET_BODY);
  });
});

describe('symlink: links to static large objects', () => {
  it.skipIf(!REGISTRY.has('slo'))('a link to a manifest serves the large object; a static link records its size and slo_etag', async () => {
    expect((await req(app, 'put', 'segs')).status).toBe(201);
    expect((await req(app, 'put', 'segs/a').send('a'.repeat(10))).status).toBe(201);
    expect((await req(app, 'put', 'segs/b').send('b'.repeat(10))).status).toBe(201);
    const manifest = JSON.stringify([{ path: '/segs/a' }, { path: '/segs/b' }]);
    expect((await req(app, 'put', 'segs/man?multipart-manifest=put').send(manifest)).status).toBe(201);
    await link('to-slo', 'segs/man');
    const g = await req(app, 'get', 'links/to-slo');
    expect(g.status).toBe(200);
    expect(g.text).toBe('a'.repeat(10) + 'b'.repeat(10));
    const raw = await req(app, 'get', 'segs/man?multipart-manifest=get');
    const manifestEtag = raw.headers['etag'] as string;
    const sloEtag = (await req(app, 'head', 'segs/man')).headers['etag'] as string;
    // The etag a static link names is the manifest's, not the large object's.
    const wrong = await req(app, 'put', 'links/slo-static-bad', { 'X-Symlink-Target': 'segs/man', 'X-Symlink-Target-Etag': sloEtag });
    expect(wrong.status).toBe(409);
    await link('slo-static', 'segs/man', { 'X-Symlink-Target-Etag': manifestEtag });
    expect((await req(app, 'get', 'links/slo-static')).text).toBe('a'.repeat(10) + 'b'.repeat(10));
    const items = json(await req(app, 'get', 'links?format=json&prefix=slo-static')) as Array<Record<string, unknown>>;
    expect(items[0]).toMatchObject({ symlink_bytes: 20, symlink_etag: manifestEtag, slo_etag: sloEtag, hash: MD5_EMPTY });
  });
});

describe('symlink: options', () => {
  it('symloop_max is configurable (values below 1 mean the default)', async () => {
    const one = await makeVersioningApp({ symlink: { symloop_max: 1 } });
    try {
      expect((await req(one, 'put', 'c')).status).toBe(201);
      expect((await req(one, 'put', 'c/t').send('t')).status).toBe(201);
      expect((await req(one, 'put', 'c/a', { 'X-Symlink-Target': 'c/t' })).status).toBe(201);
      expect((await req(one, 'put', 'c/b', { 'X-Symlink-Target': 'c/a' })).status).toBe(201);
      expect((await req(one, 'get', 'c/a')).status).toBe(200);
      const r = await req(one, 'get', 'c/b');
      expect(r.status).toBe(409);
      expect(r.text).toBe('Too many levels of symbolic links, maximum allowed is 1');
    } finally {
      await one.close();
    }
    const zero = await makeVersioningApp({ symlink: { symloop_max: 0 } });
    try {
      const info = await (await import('supertest')).default(zero.app).get('/info');
      expect(((json(info) as Record<string, Record<string, unknown>>).symlink!).symloop_max).toBe(2);
    } finally {
      await zero.close();
    }
  });
});
