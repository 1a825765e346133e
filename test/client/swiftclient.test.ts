/**
 * python-swiftclient (the library: Connection and SwiftService, as applications and CI suites use it)
 * against a real `cairn serve`. Each step is a `python3 -c` script that asserts what it can and prints
 * one JSON line for the rest. Skipped with a message when swiftclient is missing, failed under CI=true.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findClients, KEY, shouldSkip, suiteServer, USER } from './server.js';

const clients = findClients();
const skip = shouldSkip(clients.python !== undefined, 'python-swiftclient (python3 -c "import swiftclient")');

const ODD_CONTAINER = 'py odd é&+"';
const ODD_OBJECT = 'sub dir/naïve &+é" 日本.txt';

/** Every script starts connected: `conn` (Connection, v1.0 auth) and `out(value)` to print the JSON result. */
const PRELUDE = `
import hashlib, json, os, sys
from swiftclient.client import Connection, ClientException
conn = Connection(authurl=os.environ['AUTH_URL'], user=os.environ['ST_USER_'], key=os.environ['ST_KEY_'], auth_version='1', retries=0)
def out(v): print(json.dumps(v))
`;

describe.skipIf(skip)('python-swiftclient against cairn serve', () => {
  const suite = suiteServer({ path: clients.python, what: 'python-swiftclient' }, 'cairn-swiftclient-');

  /** Run a script; resolves with its JSON output (the last line of stdout). */
  const py = <T = unknown>(script: string, env: Record<string, string> = {}): Promise<T> => new Promise((resolve, reject) => {
    execFile(clients.python!, ['-c', PRELUDE + script], {
      cwd: suite.work,
      env: { ...process.env, AUTH_URL: suite.server.authUrl, ST_USER_: USER, ST_KEY_: KEY, PYTHONIOENCODING: 'utf-8', ...env },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 120_000,
    }, (err, stdout, stderr) => {
      if (err) { reject(new Error(`python failed (${err.code ?? err.signal}):\n${stderr}${stdout}\n--- server ---\n${suite.server.output().slice(-4000)}`)); return; }
      const last = stdout.trim().split('\n').pop() ?? '';
      resolve((last ? JSON.parse(last) : undefined) as T);
    });
  });

  it('stats the account (head_account)', async () => {
    const h = await py<Record<string, string>>(`out(conn.head_account())`);
    expect(h['x-account-container-count']).toBe('0');
    expect(h['x-trans-id']).toMatch(/^tx/);
  });

  it('posts account and container metadata', async () => {
    const r = await py<{ account: string; container: string }>(`
conn.post_account({'X-Account-Meta-Color': 'Blue'})
conn.put_container('pc')
conn.post_container('pc', {'X-Container-Meta-Owner': 'ops'})
out({'account': conn.head_account().get('x-account-meta-color'), 'container': conn.head_container('pc').get('x-container-meta-owner')})
`);
    expect(r).toEqual({ account: 'Blue', container: 'ops' });
  });

  it('uploads a file (put_object) and reads it back with its ETag', async () => {
    const r = await py<{ etag: string; body: string; type: string }>(`
etag = conn.put_object('pc', 'hello.txt', contents=b'hello, cairn\\n', content_type='text/plain')
h, body = conn.get_object('pc', 'hello.txt')
assert h['etag'] == etag, (h['etag'], etag)
out({'etag': etag, 'body': body.decode(), 'type': h['content-type']})
`);
    expect(r.etag).toBe(createHash('md5').update('hello, cairn\n').digest('hex'));
    expect(r.body).toBe('hello, cairn\n');
    expect(r.type).toMatch(/^text\/plain/);
  });

  it('uploads a directory tree with SwiftService and lists it with prefix and delimiter', async () => {
    mkdirSync(join(suite.work, 'tree/sub/deep'), { recursive: true });
    writeFileSync(join(suite.work, 'tree/a.txt'), 'a');
    writeFileSync(join(suite.work, 'tree/sub/b.txt'), 'b');
    writeFileSync(join(suite.work, 'tree/sub/deep/c.txt'), 'c');
    const r = await py<{ failed: string[]; all: string[]; top: string[]; sub: string[] }>(`
from swiftclient.service import SwiftService, SwiftUploadObject
opts = {'auth': os.environ['AUTH_URL'], 'user': os.environ['ST_USER_'], 'key': os.environ['ST_KEY_'], 'auth_version': '1.0'}
objs = [SwiftUploadObject(os.path.join(d, f), object_name=os.path.join(d, f)) for d, _, fs in os.walk('tree') for f in fs]
with SwiftService(options=opts) as svc:
    failed = [r.get('object', r.get('action')) for r in svc.upload('pc', objs) if not r['success']]
names = lambda entries: [e.get('name', e.get('subdir')) for e in entries]
out({'failed': failed,
     'all': names(conn.get_container('pc', prefix='tree/')[1]),
     'top': names(conn.get_container('pc', prefix='tree/', delimiter='/')[1]),
     'sub': names(conn.get_container('pc', prefix='tree/sub/', delimiter='/')[1])})
`);
    expect(r.failed).toEqual([]);
    expect(r.all).toEqual(['tree/a.txt', 'tree/sub/b.txt', 'tree/sub/deep/c.txt']);
    expect(r.top).toEqual(['tree/a.txt', 'tree/sub/']);
    expect(r.sub).toEqual(['tree/sub/b.txt', 'tree/sub/deep/']);
  });

  it('streams a 50 MB file up and down with matching MD5s', async () => {
    const big = randomBytes(50 * 1024 * 1024);
    writeFileSync(join(suite.work, 'big.bin'), big);
    const r = await py<{ put: string; get: string; length: string }>(`
with open('big.bin', 'rb') as f:
    etag = conn.put_object('pc', 'big.bin', contents=f, content_length=os.path.getsize('big.bin'), chunk_size=65536)
h, body = conn.get_object('pc', 'big.bin', resp_chunk_size=1 << 20)
md5 = hashlib.md5()
for chunk in body:
    md5.update(chunk)
out({'put': etag, 'get': md5.hexdigest(), 'length': h['content-length']})
`);
    const want = createHash('md5').update(big).digest('hex');
    expect(r).toEqual({ put: want, get: want, length: String(big.length) });
  }, 180_000);

  it('handles container and object names with spaces, unicode and &+é"', async () => {
    const r = await py<{ containers: string[]; objects: string[]; body: string; meta: string }>(`
c, o = os.environ['C'], os.environ['O']
conn.put_container(c)
conn.put_object(c, o, contents=b'odd body', headers={'X-Object-Meta-Note': 'odd'})
h, body = conn.get_object(c, o)
out({'containers': [x['name'] for x in conn.get_account()[1]],
     'objects': [x['name'] for x in conn.get_container(c)[1]],
     'body': body.decode(), 'meta': conn.head_object(c, o)['x-object-meta-note']})
`, { C: ODD_CONTAINER, O: ODD_OBJECT });
    expect(r.containers).toContain(ODD_CONTAINER);
    expect(r.objects).toEqual([ODD_OBJECT]);
    expect(r.body).toBe('odd body');
    expect(r.meta).toBe('odd');
  });

  it('deletes everything (SwiftService delete of every container), leaving an empty account', async () => {
    const r = await py<{ failed: number; containers: number; listed: string[] }>(`
from swiftclient.service import SwiftService
opts = {'auth': os.environ['AUTH_URL'], 'user': os.environ['ST_USER_'], 'key': os.environ['ST_KEY_'], 'auth_version': '1.0'}
failed = 0
with SwiftService(options=opts) as svc:
    for c in [x['name'] for x in conn.get_account()[1]]:
        failed += sum(1 for r in svc.delete(container=c) if not r['success'])
h, listed = conn.get_account()
out({'failed': failed, 'containers': int(h['x-account-container-count']), 'listed': [x['name'] for x in listed]})
`);
    expect(r).toEqual({ failed: 0, containers: 0, listed: [] });
  }, 120_000);

  it('gets 404 as a ClientException for a missing object', async () => {
    const status = await py<number>(`
try:
    conn.get_object('nope', 'nothing')
    out(200)
except ClientException as e:
    out(e.http_status)
`);
    expect(status).toBe(404);
  });
});
