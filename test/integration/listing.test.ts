/**
 * Container and account listings: formats byte-for-byte as Swift renders them, content negotiation,
 * and every query parameter.
 */
import { createHash } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authToken, makeApiApp, seedObject, type ApiTestApp } from '../helpers/app.js';

let app: ApiTestApp;
let token: string;
const C = '/v1/AUTH_test/lc';
const NAMES = ['a', 'b/c', 'b/d', 'b/e/f', 'c d', 'x<y>&"z', 'zz', 'é"&+'];

beforeAll(async () => {
  app = await makeApiApp();
  token = (await authToken(app)).token;
  await request(app.app).put(C).set('X-Auth-Token', token).expect(201);
  await request(app.app).put('/v1/AUTH_test/empty').set('X-Auth-Token', token).expect(201);
  for (const n of NAMES) await seedObject(app, 'AUTH_test', 'lc', n, `data:${n}`, 'text/plain');
});
afterAll(async () => { await app.close(); });

const get = (q: string, path = C) => request(app.app).get(path + q).set('X-Auth-Token', token);

/** The listing's last_modified, formatted independently: ISO seconds + the 5 stored decimals + '0'. */
async function lastModified(name: string): Promise<string> {
  const info = await app.store.headObject({ account: 'AUTH_test', container: 'lc', object: name });
  const [secs, frac] = info.timestamp.slice(0, 16).split('.');
  return `${new Date(Number(secs) * 1000).toISOString().slice(0, 19)}.${frac}0`;
}

function md5(s: string): string { return createHash('md5').update(s).digest('hex'); }

/** Python's json.dumps escaping for the names used here. */
function pyStr(s: string): string {
  return JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

describe('formats', () => {
  it('plain text: one name per line, text/plain; charset=utf-8', async () => {
    const res = await get('');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe(NAMES.map((n) => `${n}\n`).join(''));
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.text)));
  });

  it('json: exactly json.dumps of Swift\'s records (key order, separators, \\u escapes)', async () => {
    const res = await get('?format=json&prefix=%C3%A9');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const n = 'é"&+';
    const expected = `[{"bytes": ${Buffer.byteLength(`data:${n}`)}, "hash": "${md5(`data:${n}`)}", "name": ${pyStr(n)}, `
      + `"content_type": "text/plain", "last_modified": "${await lastModified(n)}"}]`;
    expect(res.text).toBe(expected);
    expect(res.text).toContain('"name": "\\u00e9\\"&+"');
  });

  it('json with subdirs', async () => {
    const res = await get('?format=json&delimiter=/&prefix=b/');
    const recs = JSON.parse(res.text);
    expect(recs.map((r: Record<string, string>) => r.name ?? r.subdir)).toEqual(['b/c', 'b/d', 'b/e/']);
    expect(res.text).toContain('{"subdir": "b/e/"}');
  });

  it('xml: ElementTree\'s document, escaped', async () => {
    const res = await get('?format=xml&prefix=x');
    expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
    const n = 'x<y>&"z';
    expect(res.text).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<container name="lc"><object>'
      + `<name>x&lt;y&gt;&amp;"z</name><hash>${md5(`data:${n}`)}</hash><bytes>${Buffer.byteLength(`data:${n}`)}</bytes>`
      + `<content_type>text/plain</content_type><last_modified>${await lastModified(n)}</last_modified></object></container>`);
  });

  it('xml subdirs carry a name attribute and element', async () => {
    const res = await get('?format=xml&delimiter=/&prefix=b/e');
    expect(res.text).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<container name="lc">'
      + '<subdir name="b/e/"><name>b/e/</name></subdir></container>');
  });

  it('empty container: 204 plain, [] json, self-closed xml', async () => {
    let res = await get('', '/v1/AUTH_test/empty');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    res = await get('?format=json', '/v1/AUTH_test/empty');
    expect(res.status).toBe(200);
    expect(res.text).toBe('[]');
    res = await get('?format=xml', '/v1/AUTH_test/empty');
    expect(res.status).toBe(200);
    expect(res.text).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<container name="empty" />');
  });

  it('HEAD carries the negotiated content type', async () => {
    const res = await request(app.app).head(`${C}?format=json`).set('X-Auth-Token', token);
    expect(res.status).toBe(204);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['vary']).toBeUndefined();
  });
});

describe('negotiation', () => {
  it('follows Accept, varies on it, and lets format= win', async () => {
    let res = await get('').set('Accept', 'application/json');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['vary']).toBe('Accept');
    res = await get('').set('Accept', 'text/xml');
    expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(res.text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    res = await get('').set('Accept', 'application/xml;q=0.5, application/json;q=0.9');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    res = await get('').set('Accept', '*/*');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    res = await get('?format=xml').set('Accept', 'application/json');
    expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(res.headers['vary']).toBeUndefined();
    res = await get('?format=bogus');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    res = await get('?format=JSON');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('406 when nothing acceptable, 400 for a malformed Accept', async () => {
    let res = await get('').set('Accept', 'image/png');
    expect(res.status).toBe(406);
    expect(res.text).toBe('<html><h1>Not Acceptable</h1><p>The resource is not available in a format acceptable to your browser.</p></html>');
    res = await get('').set('Accept', 'garbage');
    expect(res.status).toBe(400);
    expect(res.text).toBe('Invalid Accept header');
    res = await get('').set('Accept', 'application/json;q=0');
    expect(res.status).toBe(406);
  });
});

describe('query parameters', () => {
  it('limit', async () => {
    expect((await get('?limit=2')).text).toBe('a\nb/c\n');
    expect((await get('?limit=0')).status).toBe(204);
    expect((await get('?limit=abc')).text).toBe(NAMES.map((n) => `${n}\n`).join(''));
    const res = await get('?limit=10001');
    expect(res.status).toBe(412);
    expect(res.text).toBe('Maximum limit is 10000');
    expect((await get('?limit=10000')).status).toBe(200);
  });

  it('marker and end_marker', async () => {
    expect((await get('?marker=b/d')).text).toBe('b/e/f\nc d\nx<y>&"z\nzz\né"&+\n');
    expect((await get('?end_marker=b/d')).text).toBe('a\nb/c\n');
    expect((await get('?marker=a&end_marker=c%20d')).text).toBe('b/c\nb/d\nb/e/f\n');
  });

  it('prefix and delimiter', async () => {
    expect((await get('?prefix=b/')).text).toBe('b/c\nb/d\nb/e/f\n');
    expect((await get('?delimiter=/')).text).toBe('a\nb/\nc d\nx<y>&"z\nzz\né"&+\n');
    expect((await get('?prefix=b/&delimiter=/')).text).toBe('b/c\nb/d\nb/e/\n');
  });

  it('reverse', async () => {
    expect((await get('?reverse=true')).text).toBe([...NAMES].reverse().map((n) => `${n}\n`).join(''));
    expect((await get('?reverse=on&marker=b/d&limit=2')).text).toBe('b/c\na\n');
    expect((await get('?reverse=yes&delimiter=/&end_marker=a')).text).toBe('é"&+\nzz\nx<y>&"z\nc d\nb/\n');
    expect((await get('?reverse=false&limit=1')).text).toBe('a\n');
  });

  it('path lists one pseudo-directory level, without subdirs', async () => {
    expect((await get('?path=b')).text).toBe('b/c\nb/d\n');
    expect((await get('?path=b/')).text).toBe('b/c\nb/d\n');
    expect((await get('?path=b/e')).text).toBe('b/e/f\n');
    expect((await get('?path=')).text).toBe('a\nc d\nx<y>&"z\nzz\né"&+\n');
    expect((await get('?path=b&limit=1')).text).toBe('b/c\n');
  });

  it('multi-character delimiters roll up like single ones, forwards and reversed', async () => {
    // Swift's functional testListMultiCharDelimiter: '&' (0x26) sorts just before "'" (0x27).
    await request(app.app).put('/v1/AUTH_test/md').set('X-Auth-Token', token).expect(201);
    for (const n of ['test', 'test-&bar', 'test-&foo', "test-'baz"]) await seedObject(app, 'AUTH_test', 'md', n, n, 'text/plain');
    const md = (q: string) => get(q, '/v1/AUTH_test/md');
    expect((await md('?delimiter=-%26')).text).toBe("test\ntest-&\ntest-'baz\n");
    expect((await md('?delimiter=-%26&reverse=yes')).text).toBe("test-'baz\ntest-&\ntest\n");
    expect(JSON.parse((await md('?delimiter=-%26&format=json')).text)[1]).toEqual({ subdir: 'test-&' });
    // Characters above U+00FF are fine as well.
    expect((await get('?delimiter=%C3%A9%22')).text).toBe('a\nb/c\nb/d\nb/e/f\nc d\nx<y>&"z\nzz\né"\n');
    // Leave the account as the account-listing tests below expect it.
    for (const n of ['test', 'test-&bar', 'test-&foo', "test-'baz"]) {
      await request(app.app).delete(`/v1/AUTH_test/md/${encodeURIComponent(n)}`).set('X-Auth-Token', token).expect(204);
    }
    await request(app.app).delete('/v1/AUTH_test/md').set('X-Auth-Token', token).expect(204);
  });

  it('400 for parameters that are not UTF-8', async () => {
    for (const p of ['marker', 'prefix', 'end_marker', 'delimiter', 'path', 'format']) {
      const res = await get(`?${p}=%FF`);
      expect(res.status).toBe(400);
      expect(res.text).toBe(`"${p}" parameter not valid UTF-8`);
    }
  });

  it('unicode markers and prefixes, percent-encoded', async () => {
    expect((await get('?prefix=%C3%A9')).text).toBe('é"&+\n');
    expect((await get('?marker=zz')).text).toBe('é"&+\n');
    expect((await get('?end_marker=%C3%A9%22%26%2B&marker=x')).text).toBe('x<y>&"z\nzz\n');
    expect((await get('?prefix=c+d')).text).toBe('c d\n');
  });
});

describe('account listings', () => {
  it('json records are name, count, bytes, last_modified', async () => {
    const res = await get('?format=json&prefix=lc', '/v1/AUTH_test');
    const info = await app.store.getContainer({ account: 'AUTH_test', container: 'lc' });
    const recs = JSON.parse(res.text);
    expect(recs).toHaveLength(1);
    expect(Object.keys(recs[0])).toEqual(['name', 'count', 'bytes', 'last_modified']);
    expect(recs[0].name).toBe('lc');
    expect(recs[0].count).toBe(NAMES.length);
    expect(recs[0].bytes).toBe(info.bytesUsed);
    expect(recs[0].last_modified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(res.text).toBe(`[{"name": "lc", "count": ${NAMES.length}, "bytes": ${info.bytesUsed}, "last_modified": "${recs[0].last_modified}"}]`);
  });

  it('xml has a newline after the root and each entry', async () => {
    const res = await get('?format=xml&prefix=empty', '/v1/AUTH_test');
    const lm = JSON.parse((await get('?format=json&prefix=empty', '/v1/AUTH_test')).text)[0].last_modified;
    expect(res.text).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<account name="AUTH_test">\n'
      + `<container><name>empty</name><count>0</count><bytes>0</bytes><last_modified>${lm}</last_modified></container>\n</account>`);
  });

  it('marker, end_marker, prefix, delimiter, reverse, limit', async () => {
    for (const c of ['d-1', 'd-2', 'e-1', 'e-2']) await request(app.app).put(`/v1/AUTH_test/${c}`).set('X-Auth-Token', token).expect(201);
    expect((await get('', '/v1/AUTH_test')).text).toBe('d-1\nd-2\ne-1\ne-2\nempty\nlc\n');
    expect((await get('?delimiter=-', '/v1/AUTH_test')).text).toBe('d-\ne-\nempty\nlc\n');
    expect((await get('?delimiter=-&prefix=d-', '/v1/AUTH_test')).text).toBe('d-1\nd-2\n');
    expect((await get('?marker=d-2&end_marker=lc', '/v1/AUTH_test')).text).toBe('e-1\ne-2\nempty\n');
    expect((await get('?prefix=d-&reverse=1', '/v1/AUTH_test')).text).toBe('d-2\nd-1\n');
    expect((await get('?limit=1', '/v1/AUTH_test')).text).toBe('d-1\n');
    const xml = await get('?format=xml&delimiter=-&prefix=d', '/v1/AUTH_test');
    expect(xml.text).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<account name="AUTH_test">\n<subdir name="d-" />\n</account>');
    expect((await get('?limit=10001', '/v1/AUTH_test')).status).toBe(412);
    // Multi-character delimiters are accepted (Swift 2.24+), also by the account server.
    const multi = JSON.parse((await get('?format=json&prefix=d&delimiter=-2', '/v1/AUTH_test')).text);
    expect(multi.map((r: Record<string, unknown>) => r.name ?? r.subdir)).toEqual(['d-1', 'd-2']);
    expect(multi[1]).toEqual({ subdir: 'd-2' });
    expect((await get('?prefix=d&delimiter=-2&reverse=yes', '/v1/AUTH_test')).text).toBe('d-2\nd-1\n');
    expect((await get('?prefix=%FF', '/v1/AUTH_test')).status).toBe(400);
  });
});

describe('path= listings with directory markers (Swift\'s TestContainerPaths)', () => {
  const P = '/v1/AUTH_test/paths';
  const FILES = [
    '/file1', '/file A', '/dir1/', '/dir2/', '/dir1/file2', '/dir1/subdir1/', '/dir1/subdir1/file2',
    'file1', 'dir1/', 'dir2/', 'dir1/file2', 'dir1/subdir1/', 'dir1/subdir2/', 'dir1/subdir1/file2',
    'dir1/subdir1/file3', 'dir1/subdir1/subsubdir1/', 'dir1/subdir1/subsubdir1/file5', 'dir10',
  ];
  beforeAll(async () => {
    await request(app.app).put(P).set('X-Auth-Token', token).expect(201);
    for (const n of FILES) await seedObject(app, 'AUTH_test', 'paths', n, 'x', n.endsWith('/') ? 'application/directory' : 'text/plain');
  });
  const list = async (q: string) => (await get(q, P)).text.split('\n').filter(Boolean);

  it('lists the next level\'s directory markers as objects, never the path\'s own marker', async () => {
    expect(await list('?path=')).toEqual(['dir1/', 'dir2/', 'file1']);
    expect(await list('?path=/')).toEqual(['/dir1/', '/dir2/', '/file A', '/file1']);
    expect(await list('?path=dir1')).toEqual(['dir1/file2', 'dir1/subdir1/', 'dir1/subdir2/']);
    expect(await list('?path=dir1/')).toEqual(['dir1/file2', 'dir1/subdir1/', 'dir1/subdir2/']);
    expect(await list('?path=dir1/subdir1')).toEqual(['dir1/subdir1/file2', 'dir1/subdir1/file3', 'dir1/subdir1/subsubdir1/']);
    expect(await list('?path=dir1/subdir2')).toEqual([]);
  });

  it('pages with limit and marker, and skips as Swift does (past "dir1" + "0")', async () => {
    expect(await list('?path=&limit=1')).toEqual(['dir1/']);
    expect(await list('?path=&marker=dir1/&limit=1')).toEqual(['dir2/']);
    // Swift's skip marker after a deeper name in dir1/ is 'dir10' (exclusive), so 'dir10' never shows.
    expect(await list('?path=&marker=dir1/')).toEqual(['dir2/', 'file1']);
    const json = JSON.parse((await get('?path=&format=json', P)).text);
    expect(json[0]).toMatchObject({ name: 'dir1/', content_type: 'application/directory' });
  });

  it('reversed: deeper names end the pseudo-directory before its marker, as in Swift', async () => {
    expect(await list('?path=dir1&reverse=yes')).toEqual(['dir1/subdir2/', 'dir1/file2']);
  });
});
