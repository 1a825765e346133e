/**
 * Scale-out over real brick server processes: two `cairn brick` processes on loopback, each serving two
 * brick directories, and a 2x2 volume over them (each replica set spans both servers). The volume is
 * opened in this process (puts, gets, ranges, lists, copies, deletes, counters), and a real
 * `cairn serve` gateway is run on the same bricks to show the config path end to end (Swift API).
 * Refusals: no secret, a wrong secret, a foreign volume.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEFAULT_PIPELINE } from '../../src/config.js';
import { BrickIdentityMismatch } from '../../src/storage/brick/local.js';
import { RemoteBrick } from '../../src/storage/brick/remote.js';
import { QuorumNotMet } from '../../src/storage/errors.js';
import type { ObjectRef } from '../../src/storage/store.js';
import { openVolume, type Volume } from '../../src/storage/volume.js';
import { BIN, ensureBuilt, runBrickExpectingFailure, startBrickProcess, type BrickProcess } from '../helpers/brick-servers.js';

const SECRET = 'integration-secret-0123456789';
const VOLUME = 'remote-it';
const A = 'AUTH_remote';
const C = 'things';
const o = (object: string): ObjectRef => ({ account: A, container: C, object });

let dir: string;
let servers: BrickProcess[] = [];
let bricks: string[];
let volume: Volume;
let t = 0;
/** Increasing Swift timestamps. */
const ts = (): string => `${1_800_000_000 + ++t}.00000`;
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed * 7) & 0xff;
  return b;
}

async function putBuf(ref: ObjectRef, data: Buffer, extra: { metadata?: Record<string, string> } = {}): Promise<string> {
  const info = await volume.putObject(ref, Readable.from([data]), {
    timestamp: ts(), contentType: 'application/octet-stream', contentLength: data.length, ...extra,
  });
  return info.etag;
}

async function getBuf(ref: ObjectRef, range?: { start: number; end: number }): Promise<Buffer> {
  const r = await volume.getObject(ref);
  try {
    const parts: Buffer[] = [];
    for await (const c of r.read(range)) parts.push(c as Buffer);
    return Buffer.concat(parts);
  } finally {
    r.close();
  }
}

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'cairn-remote-it-'));
  servers = await Promise.all([0, 1].map((s) => startBrickProcess([
    '--dir', path.join(dir, `server${s}`, `b${s + 1}`), '--dir', path.join(dir, `server${s}`, `b${s + 3}`), '--secret', SECRET, '--no-fsync',
  ])));
  // Spec order b1 b2 | b3 b4: each replica set has one brick on each server.
  bricks = [`${servers[0]!.url}/b1`, `${servers[1]!.url}/b2`, `${servers[0]!.url}/b3`, `${servers[1]!.url}/b4`];
  volume = await openVolume({ id: VOLUME, bricks, replica: 2, secret: SECRET });
  await volume.createContainer({ account: A, container: C }, { timestamp: ts() });
}, 120_000);

afterAll(async () => {
  await volume?.close();
  await Promise.all(servers.map((s) => s.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a 2x2 volume over two cairn brick processes', () => {
  it('every brick is up and reports the id from its brick.json', async () => {
    const h = await volume.health();
    expect(h.ok).toBe(true);
    expect(h.bricks).toHaveLength(4);
    for (const b of h.bricks) {
      expect(b.up).toBe(true);
      expect(b.id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('puts, gets (whole and ranges) and heads objects of many sizes', async () => {
    const sizes = [0, 1, 1000, 65_536, 300_001, 3 * 1024 * 1024 + 5];
    for (const [i, n] of sizes.entries()) {
      const data = pattern(n, i);
      expect(await putBuf(o(`obj-${i}`), data, { metadata: { 'x-object-meta-i': String(i) } })).toBe(md5(data));
    }
    for (const [i, n] of sizes.entries()) {
      const data = pattern(n, i);
      expect((await getBuf(o(`obj-${i}`))).equals(data)).toBe(true);
      const head = await volume.headObject(o(`obj-${i}`));
      expect(head).toMatchObject({ size: n, etag: md5(data), metadata: { 'x-object-meta-i': String(i) } });
      if (n > 10) expect((await getBuf(o(`obj-${i}`), { start: 3, end: n - 2 })).equals(data.subarray(3, n - 1))).toBe(true);
    }
  });

  it('lists in order with prefix, delimiter and markers, and counts objects and bytes', async () => {
    const names = ['a/1', 'a/2', 'b', 'c/d/e', 'z z', 'é', '😀']; // UTF-8 byte order
    await volume.createContainer({ account: A, container: 'listing' }, { timestamp: ts() });
    for (const n of names) await putBuf({ account: A, container: 'listing', object: n }, Buffer.from(n));
    const ref = { account: A, container: 'listing' };
    const all = await volume.listObjects(ref, { limit: 100 });
    expect(all.entries.map((e) => ('name' in e ? e.name : e.subdir))).toEqual(names);
    const dirs = await volume.listObjects(ref, { limit: 100, delimiter: '/' });
    expect(dirs.entries.map((e) => ('name' in e ? e.name : e.subdir))).toEqual(['a/', 'b', 'c/', 'z z', 'é', '😀']);
    const page = await volume.listObjects(ref, { limit: 2, marker: 'a/2' });
    expect(page.entries.map((e) => ('name' in e ? e.name : ''))).toEqual(['b', 'c/d/e']);
    const info = await volume.getContainer(ref);
    expect(info.objectCount).toBe(names.length);
    expect(info.bytesUsed).toBe(names.reduce((s, n) => s + Buffer.byteLength(n), 0));
  }, 30_000);

  it('overwrites, copies, posts metadata and deletes', async () => {
    await putBuf(o('v'), Buffer.from('one'));
    await putBuf(o('v'), Buffer.from('two!'));
    expect((await getBuf(o('v'))).toString()).toBe('two!');
    await volume.copyObject(o('v'), o('v-copy'), { timestamp: ts(), describe: (src) => ({ contentType: src.contentType, metadata: src.metadata }) });
    expect((await getBuf(o('v-copy'))).toString()).toBe('two!');
    await volume.postObject(o('v'), { timestamp: ts(), metadata: { 'x-object-meta-color': 'blue' } });
    expect((await volume.headObject(o('v'))).metadata).toEqual({ 'x-object-meta-color': 'blue' });
    expect(await volume.deleteObject(o('v'), { timestamp: ts() })).toEqual({ existed: true });
    await expect(volume.headObject(o('v'))).rejects.toThrow(/not found/);
    expect((await getBuf(o('v-copy'))).toString()).toBe('two!');
  });

  it('runs many writes and reads at once over the shared connections', async () => {
    const n = 64;
    await Promise.all(Array.from({ length: n }, (_x, i) => putBuf(o(`many/${i}`), pattern(10_000 + i, i))));
    const got = await Promise.all(Array.from({ length: n }, (_x, i) => getBuf(o(`many/${i}`))));
    got.forEach((b, i) => expect(b.equals(pattern(10_000 + i, i))).toBe(true));
  }, 60_000);
});

describe('refusals', () => {
  it('cairn brick refuses to start without a secret, or with a short one', () => {
    const none = runBrickExpectingFailure(['--dir', path.join(dir, 'nosecret')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/a shared secret is required/);
    const short = runBrickExpectingFailure(['--dir', path.join(dir, 'nosecret'), '--secret', 'short']);
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/at least 16 characters/);
  });

  it('a gateway with the wrong secret gets no brick: every one is down, naming the refusal', async () => {
    const wrong = await openVolume({ id: VOLUME, bricks, replica: 2, secret: 'the-wrong-secret-0123456789' }, { brickRetryMs: 60_000 });
    try {
      const h = await wrong.health();
      expect(h.ok).toBe(false);
      for (const b of h.bricks) expect(b.up).toBe(false);
      const down = wrong.sets[0]!.members[0]!.downReason;
      expect(String(down?.cause)).toMatch(/refused authentication: signature does not match/);
      await expect(wrong.createContainer({ account: A, container: 'nope' }, { timestamp: ts() })).rejects.toBeInstanceOf(QuorumNotMet);
    } finally {
      await wrong.close();
    }
  });

  it('cairn brick --config takes the secret from volume.secret and serves that volume only', async () => {
    const cfg = path.join(dir, 'brick-config.yaml');
    writeFileSync(cfg, stringify({ volume: { id: 'pinned', bricks: ['http://127.0.0.1:1/p1'], replica: 1, secret: 'config-secret-0123456789' } }));
    const p = await startBrickProcess(['--dir', path.join(dir, 'pinned', 'p1'), '--config', cfg]);
    try {
      expect(p.output()).toMatch(/brick p1 .* volume pinned/);
      const other = new RemoteBrick(`${p.url}/p1`, { secret: 'config-secret-0123456789', volumeId: 'first-comer' });
      await expect(other.open()).rejects.toThrow(/belongs to volume "pinned", not "first-comer"/);
      await other.close();
      const good = new RemoteBrick(`${p.url}/p1`, { secret: 'config-secret-0123456789', volumeId: 'pinned' });
      await good.open();
      expect(good.volumeId).toBe('pinned');
      await good.close();
    } finally {
      await p.stop();
    }
  });

  it('a gateway of another volume is refused by the bricks, with a clear error', async () => {
    const foreign = new RemoteBrick(bricks[0]!, { secret: SECRET, volumeId: 'another-volume' });
    const err = await foreign.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrickIdentityMismatch);
    expect((err as Error).message).toMatch(/belongs to volume "remote-it", not "another-volume"/);
    await foreign.close();
  });
});

// -------------------------------------------------------------------------- a cairn serve gateway

/** `cairn serve` with `config`; resolves with its base URL once it prints it. */
async function startGateway(config: Record<string, unknown>): Promise<{ base: string; child: ChildProcess; output: () => string }> {
  const file = path.join(dir, `gateway-${Date.now()}.yaml`);
  writeFileSync(file, stringify(config));
  const child = spawn(process.execPath, [BIN, 'serve', '--config', file, '--listen', '127.0.0.1:0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += `${line}\n`;
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`gateway exited (${code}):\n${output}`)); });
  });
  return { base, child, output: () => output };
}

describe('cairn serve over remote bricks', () => {
  it('serves the Swift API from a config listing http:// bricks with volume.secret', async () => {
    const gw = await startGateway({
      storage: { root: dir },
      volume: { id: VOLUME, bricks, replica: 2, secret: SECRET },
      pipeline: [...DEFAULT_PIPELINE],
      middleware: { tempauth: { reseller_prefix: ['AUTH_'], users: [{ account: 'remote', user: 'u', key: 'k', groups: ['.admin'] }] } },
      log: { level: 'warn' },
    });
    try {
      const auth = await fetch(`${gw.base}/auth/v1.0`, { headers: { 'x-auth-user': 'remote:u', 'x-auth-key': 'k' } });
      expect(auth.status).toBe(200);
      const url = auth.headers.get('x-storage-url')!;
      const headers = { 'x-auth-token': auth.headers.get('x-auth-token')! };
      expect((await fetch(`${url}/web`, { method: 'PUT', headers })).status).toBe(201);
      const body = pattern(200_000, 9);
      const put = await fetch(`${url}/web/file.bin`, { method: 'PUT', headers, body });
      expect(put.status).toBe(201);
      expect(put.headers.get('etag')).toBe(md5(body));
      const get = await fetch(`${url}/web/file.bin`, { headers: { ...headers, range: 'bytes=100-199' } });
      expect(get.status).toBe(206);
      expect(Buffer.from(await get.arrayBuffer()).equals(body.subarray(100, 200))).toBe(true);
      const list = await fetch(`${url}/web?format=json`, { headers });
      expect(((await list.json()) as Array<{ name: string; bytes: number }>)).toEqual([expect.objectContaining({ name: 'file.bin', bytes: 200_000 })]);
      // The same object is visible through the in-process volume: one store, two gateways.
      const info = await volume.headObject({ account: 'AUTH_remote', container: 'web', object: 'file.bin' });
      expect(info.etag).toBe(md5(body));
    } finally {
      gw.child.kill('SIGTERM');
      await new Promise((r) => gw.child.once('exit', r));
    }
  }, 60_000);

  it('a config with remote bricks and no volume.secret is refused naming the key', async () => {
    await expect(startGateway({ volume: { id: VOLUME, bricks, replica: 2 } })).rejects.toThrow(/volume\.secret.*required when volume\.bricks lists remote bricks/);
  });
});
