/**
 * Object PUT against Swift 2.30's answers: 201 with an unquoted Etag, Last-Modified and an empty
 * text/html body; Content-Type defaulting and guessing; stored metadata; ETag and If-None-Match
 * preconditions; X-Timestamp; constraint errors with Swift's plain-text bodies; ACLs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, callObject, listen, md5, objectFixture, rawHeader, rawRequest, type ObjectFixture } from '../helpers/objects.js';
import { authToken } from '../helpers/app.js';

let f: ObjectFixture;
beforeAll(async () => { f = await objectFixture({ constraints: { max_file_size: 1000 } }); });
afterAll(async () => { await f.close(); });

const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

describe('object PUT', () => {
  it('stores the body and answers 201 as Swift does', async () => {
    const res = await api(f).put(f.path('hello.bin')).set('X-Auth-Token', f.token)
      .set('Content-Type', 'application/x-test').send(Buffer.from('hello world'));
    expect(res.status).toBe(201);
    expect(res.headers['etag']).toBe(md5('hello world'));
    expect(res.headers['content-length']).toBe('0');
    expect(res.headers['content-type']).toBe('text/html; charset=UTF-8');
    expect(res.headers['last-modified']).toMatch(HTTP_DATE);
    expect(res.text).toBe('');
    const get = await api(f).get(f.path('hello.bin')).set('X-Auth-Token', f.token).buffer(true)
      .parse((r, cb) => { const c: Buffer[] = []; r.on('data', (d: Buffer) => c.push(d)); r.on('end', () => cb(null, Buffer.concat(c))); });
    expect(get.status).toBe(200);
    expect((get.body as Buffer).toString()).toBe('hello world');
    expect(get.headers['content-type']).toBe('application/x-test');
    expect(get.headers['last-modified']).toBe(res.headers['last-modified']);
  });

  it('overwrites an existing object', async () => {
    await api(f).put(f.path('over')).set('X-Auth-Token', f.token).send('first');
    const res = await api(f).put(f.path('over')).set('X-Auth-Token', f.token).send('second!');
    expect(res.status).toBe(201);
    const get = await api(f).get(f.path('over')).set('X-Auth-Token', f.token);
    expect(get.text).toBe('second!');
    expect(get.headers['content-length']).toBe('7');
  });

  it('stores a zero-byte object', async () => {
    const res = await api(f).put(f.path('empty')).set('X-Auth-Token', f.token).set('Content-Length', '0');
    expect(res.status).toBe(201);
    expect(res.headers['etag']).toBe('d41d8cd98f00b204e9800998ecf8427e');
    const head = await api(f).head(f.path('empty')).set('X-Auth-Token', f.token);
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('0');
  });

  it('404s when the container does not exist', async () => {
    const res = await api(f).put(`${f.account}/no-such-container/o`).set('X-Auth-Token', f.token).send('x');
    expect(res.status).toBe(404);
  });

  it('needs a token (401) and, for a non-owner, a write ACL (403)', async () => {
    const anon = await api(f).put(f.path('acl-o')).send('x');
    expect(anon.status).toBe(401);
    const { token: t3 } = await authToken(f.t, 'test:tester3', 'testing3');
    const denied = await api(f).put(f.path('acl-o')).set('X-Auth-Token', t3).send('x');
    expect(denied.status).toBe(403);
    const c = 'acl-container';
    await api(f).put(`${f.account}/${c}`).set('X-Auth-Token', f.token).set('X-Container-Write', 'test:tester3');
    const allowed = await api(f).put(f.path('acl-o', c)).set('X-Auth-Token', t3).send('x');
    expect(allowed.status).toBe(201);
  });
});

describe('Content-Type', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['page.html', {}, 'text/html'],
    ['sound.wav', {}, 'audio/x-wav'],
    ['data.xml', {}, 'text/xml'],
    ['code.c', {}, 'text/plain'],
    ['bundle.zip', {}, 'application/zip'],
    ['font.woff2', {}, 'font/woff2'],
    ['photo.JPG', {}, 'image/jpeg'],
    ['notes.txt.gz', {}, 'text/plain'],
    ['archive.tgz', {}, 'application/x-tar'],
    ['no-extension', {}, 'application/octet-stream'],
    ['dir.d/.hidden', {}, 'application/octet-stream'],
    ['given.txt', { 'Content-Type': 'application/x-given; charset=latin1' }, 'application/x-given; charset=latin1'],
    ['detect.txt', { 'Content-Type': 'application/x-given', 'X-Detect-Content-Type': 'true' }, 'text/plain'],
    ['detect-none', { 'Content-Type': 'image/png', 'X-Detect-Content-Type': 'yes' }, 'application/octet-stream'],
    ['nodetect.txt', { 'Content-Type': 'image/png', 'X-Detect-Content-Type': 'false' }, 'image/png'],
  ];
  for (const [name, headers, expected] of cases) {
    it(`${name} -> ${expected}`, async () => {
      // superagent sends no Content-Type for a Buffer body unless told to.
      const put = await api(f).put(f.path(name)).set('X-Auth-Token', f.token).set(headers).send(Buffer.from('x'));
      expect(put.status).toBe(201);
      const head = await api(f).head(f.path(name)).set('X-Auth-Token', f.token);
      expect(head.headers['content-type']).toBe(expected);
    });
  }

  it('shows guessed types in the container listing (Swift\'s functional testContentTypeGuessing)', async () => {
    const c = 'guessing';
    await api(f).put(`${f.account}/${c}`).set('X-Auth-Token', f.token);
    const types: Record<string, string> = { wav: 'audio/x-wav', txt: 'text/plain', zip: 'application/zip' };
    for (const ext of Object.keys(types)) {
      const res = await api(f).put(f.path(`file.${ext}`, c)).set('X-Auth-Token', f.token).send(Buffer.alloc(0));
      expect(res.status).toBe(201);
    }
    const listing = await api(f).get(`${f.account}/${c}?format=json`).set('X-Auth-Token', f.token);
    const seen = Object.fromEntries((listing.body as Array<{ name: string; content_type: string }>)
      .map((e) => [e.name.split('.')[1], e.content_type]));
    expect(seen).toEqual(types);
  });

  it('refuses swift_* Content-Type parameters with 400', async () => {
    const res = await api(f).put(f.path('ct-bad')).set('X-Auth-Token', f.token)
      .set('Content-Type', 'text/plain; swift_bytes=10').send('x');
    expect(res.status).toBe(400);
    expect(res.text).toBe('Invalid Content-Type, swift_* is not a valid parameter name.');
  });
});

describe('stored metadata', () => {
  it('keeps X-Object-Meta-* and the allowed headers, and shows them on HEAD and GET', async () => {
    const headers = {
      'X-Object-Meta-Color': 'blue',
      'X-Object-Meta-Empty-Ish': 'a b  c',
      'Content-Disposition': 'attachment; filename="x.bin"',
      'Content-Encoding': 'x-custom',
      'Cache-Control': 'no-cache',
      'Content-Language': 'en',
      'Expires': 'Wed, 21 Oct 2099 07:28:00 GMT',
      'X-Robots-Tag': 'noindex',
      'X-Unknown-Header': 'dropped',
    };
    const put = await api(f).put(f.path('meta')).set('X-Auth-Token', f.token).set(headers).send(Buffer.from('data'));
    expect(put.status).toBe(201);
    for (const method of ['head', 'get'] as const) {
      const res = await api(f)[method](f.path('meta')).set('X-Auth-Token', f.token).buffer(true).parse((r, cb) => {
        r.on('data', () => undefined); r.on('end', () => cb(null, null));
      });
      expect(res.status).toBe(200);
      for (const [k, v] of Object.entries(headers)) {
        if (k === 'X-Unknown-Header') continue;
        expect(res.headers[k.toLowerCase()]).toBe(v);
      }
      expect(res.headers['x-unknown-header']).toBeUndefined();
    }
  });

  it('keeps X-Object-Manifest (read below the DLO middleware, which acts on it)', async () => {
    const put = await callObject(f, 'PUT', 'manifest', { 'Content-Length': '0', 'X-Object-Manifest': 'segs/prefix' }, '');
    expect(put.status).toBe(201);
    const head = await callObject(f, 'HEAD', 'manifest');
    expect(head.headers['x-object-manifest']).toBe('segs/prefix');
  });

  it('round-trips UTF-8 metadata values byte for byte', async () => {
    // Raw sockets: Node's HTTP client would re-encode non-ASCII header values.
    const server = await listen(f);
    try {
      const put = await rawRequest(server.port, [Buffer.concat([
        Buffer.from(`PUT ${f.path('meta-utf8')} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Auth-Token: ${f.token}\r\n`),
        Buffer.from('Content-Length: 1\r\nX-Object-Meta-Drink: caf\u00e9 \u2615\r\n\r\nx', 'utf8'),
      ])]);
      expect(put?.status).toBe(201);
      const head = await rawRequest(server.port, [
        `HEAD ${f.path('meta-utf8')} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Auth-Token: ${f.token}\r\n\r\n`,
      ]);
      const value = rawHeader(head!.head, 'X-Object-Meta-Drink');
      expect(Buffer.from(value!, 'latin1').toString('utf8')).toBe('caf\u00e9 \u2615');
    } finally {
      await server.close();
    }
  });
});

describe('ETag and If-None-Match', () => {
  it('accepts a matching ETag, quoted or not, in any case', async () => {
    const body = 'checked body';
    const a = await api(f).put(f.path('etag-a')).set('X-Auth-Token', f.token).set('ETag', md5(body)).send(body);
    expect(a.status).toBe(201);
    const b = await api(f).put(f.path('etag-b')).set('X-Auth-Token', f.token)
      .set('ETag', `"${md5(body).toUpperCase()}"`).send(body);
    expect(b.status).toBe(201);
    expect(b.headers['etag']).toBe(md5(body));
  });

  it('answers 422 for a mismatched ETag and keeps the old version', async () => {
    await api(f).put(f.path('etag-bad')).set('X-Auth-Token', f.token).send('old');
    const res = await api(f).put(f.path('etag-bad')).set('X-Auth-Token', f.token).set('ETag', md5('other')).send('new');
    expect(res.status).toBe(422);
    expect(res.text).toBe('<html><h1>Unprocessable Entity</h1><p>Unable to process the contained instructions</p></html>');
    const get = await api(f).get(f.path('etag-bad')).set('X-Auth-Token', f.token);
    expect(get.text).toBe('old');
  });

  it('If-None-Match: * creates a new object but 412s on an existing one', async () => {
    const first = await api(f).put(f.path('inm')).set('X-Auth-Token', f.token).set('If-None-Match', '*').send('one');
    expect(first.status).toBe(201);
    const second = await api(f).put(f.path('inm')).set('X-Auth-Token', f.token).set('If-None-Match', '*').send('two');
    expect(second.status).toBe(412);
    expect(second.text).toBe('<html><h1>Precondition Failed</h1><p>A precondition for this request was not met.</p></html>');
    const get = await api(f).get(f.path('inm')).set('X-Auth-Token', f.token);
    expect(get.text).toBe('one');
  });

  it('If-None-Match with an etag is a 400', async () => {
    const res = await api(f).put(f.path('inm-etag')).set('X-Auth-Token', f.token).set('If-None-Match', md5('x')).send('x');
    expect(res.status).toBe(400);
    expect(res.text).toBe('If-None-Match only supports *');
    expect(res.headers['content-type']).toBe('text/plain');
    const head = await api(f).head(f.path('inm-etag')).set('X-Auth-Token', f.token);
    expect(head.status).toBe(404);
  });
});

describe('X-Timestamp', () => {
  it('from a client is ignored by default (the gatekeeper shunts it, as Swift\'s does)', async () => {
    const res = await api(f).put(f.path('ts-shunted')).set('X-Auth-Token', f.token).set('X-Timestamp', 'yesterday').send('x');
    expect(res.status).toBe(201);
  });

  it('is honoured from middlewares: an older write is accepted (202) but does not win', async () => {
    const newer = await callObject(f, 'PUT', 'ts', { 'X-Timestamp': '2000000000.00000', 'Content-Length': '5', 'Content-Type': 'text/plain' }, 'newer');
    expect(newer.status).toBe(201);
    expect(newer.headers['last-modified']).toBe(new Date(2000000000 * 1000).toUTCString());
    const head = await api(f).head(f.path('ts')).set('X-Auth-Token', f.token);
    expect(head.headers['x-timestamp']).toBe('2000000000.00000');
    const older = await callObject(f, 'PUT', 'ts', { 'X-Timestamp': '1900000000.5', 'Content-Length': '5' }, 'older');
    expect(older.status).toBe(202);
    const get = await api(f).get(f.path('ts')).set('X-Auth-Token', f.token);
    expect(get.text).toBe('newer');
  });

  it('rounds Last-Modified up to the next second', async () => {
    const res = await callObject(f, 'PUT', 'ts-frac', { 'X-Timestamp': '2000000000.00001', 'Content-Length': '1' }, 'x');
    expect(res.status).toBe(201);
    expect(res.headers['last-modified']).toBe(new Date(2000000001 * 1000).toUTCString());
  });

  it('rejects a malformed X-Timestamp with 400', async () => {
    const res = await callObject(f, 'PUT', 'ts-bad', { 'X-Timestamp': 'yesterday', 'Content-Length': '1' }, 'x');
    expect(res.status).toBe(400);
    expect(res.body).toBe("X-Timestamp should be a UNIX timestamp float value; was 'yesterday'");
    expect(res.headers['content-type']).toBe('text/plain');
  });
});

describe('size limits', () => {
  it('413s a declared length over max_file_size, with Swift plain-text body', async () => {
    const res = await api(f).put(f.path('big')).set('X-Auth-Token', f.token).send(Buffer.alloc(1001));
    expect(res.status).toBe(413);
    expect(res.text).toBe('Your request is too large.');
    expect(res.headers['content-type']).toBe('text/plain');
  });

  it('accepts exactly max_file_size', async () => {
    const res = await api(f).put(f.path('max')).set('X-Auth-Token', f.token).send(Buffer.alloc(1000, 7));
    expect(res.status).toBe(201);
  });
});
