/**
 * Two real `cairn serve` processes (each with its own config and volume file, the same volume.secret
 * and TempAuth token_secret) in front of two real `cairn brick` processes: what one gateway writes
 * the other reads, HEADs and lists identically; `cairn volume add-brick` and `replace-brick` run
 * against gateway A's config reach gateway B through the brick servers, without touching B's files;
 * after replace-brick no gateway writes to the replaced brick (B's first write under the old
 * definition is refused by the brick server, B adopts the new one and writes to the new brick).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BIN, ensureBuilt, startBrickProcess, type BrickProcess } from '../helpers/brick-servers.js';
import { spawnServe, type ServeProcess } from './server.js';

const SECRET = 'two-gateways-volume-secret-01';
const dir = mkdtempSync(join(tmpdir(), 'cairn-two-gateways-'));
let bricks: BrickProcess[] = [];
const gateways: ServeProcess[] = [];

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await Promise.all(bricks.map((b) => b.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await sleep(100);
  }
}

function cairn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir, timeout: 120_000 }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The .data files under a brick directory (placed or in flight). */
function dataFiles(brickDir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.data')) out.push(p);
    }
  };
  walk(brickDir);
  return out.sort();
}

const brickDir = (server: number, name: string): string => join(dir, `server${server}`, name);
const brick = (server: number, name: string): string => `${bricks[server]!.url}/${name}`;

function writeConfig(name: string): string {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({
    storage: { root },
    volume: { id: 'two-gw', bricks: [brick(0, 'b1'), brick(1, 'b2')], replica: 2, secret: SECRET, fsync: false },
    middleware: { tempauth: { token_secret: 'two-gateways-token-secret', users: [{ account: 'test', user: 'tester', key: 'testing', groups: ['.admin'] }] } },
    log: { level: 'warn' },
  }));
  return file;
}

const volumeFile = (name: string): { layout: { version: number }; revision?: number; sets: Array<{ bricks: string[] }> } =>
  JSON.parse(readFileSync(join(dir, name, 'volume.json'), 'utf8'));

beforeAll(async () => {
  ensureBuilt();
  // Server 0 serves b1, b3, b5 and server 1 b2, b4, b6: every replica set spans both.
  bricks = await Promise.all([0, 1].map((s) => startBrickProcess([
    ...[1, 2, 3].flatMap((k) => ['--dir', brickDir(s, `b${2 * k - 1 + s}`)]), '--secret', SECRET, '--no-fsync',
  ])));
}, 60_000);

describe('two cairn serve processes over the same brick servers', () => {
  it('see each other\'s writes, and follow add-brick and replace-brick made through the other', async () => {
    const cfgA = writeConfig('a');
    const cfgB = writeConfig('b');
    const a = await spawnServe(cfgA, dir);
    gateways.push(a);
    await eventually(() => existsSync(join(dir, 'a', 'volume.json')));
    const b = await spawnServe(cfgB, dir);
    gateways.push(b);
    // B took A's definition from the brick servers rather than making its own.
    expect(volumeFile('b').sets).toEqual(volumeFile('a').sets);

    const auth = await fetch(`${a.base}/auth/v1.0`, { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } });
    const token = auth.headers.get('x-auth-token')!;
    const path = new URL(auth.headers.get('x-storage-url')!).pathname;
    const h = { 'X-Auth-Token': token };
    const at = (g: ServeProcess, rest = ''): string => `${g.base}${path}/c${rest}`;
    expect((await fetch(at(a), { method: 'PUT', headers: h })).status).toBe(201);

    const put = async (g: ServeProcess, name: string, body: string): Promise<void> => {
      const r = await fetch(at(g, `/${name}`), { method: 'PUT', headers: { ...h, 'Content-Type': 'text/plain' }, body });
      expect(r.status, `PUT ${name}: ${await r.text()}`).toBe(201);
    };
    const get = async (g: ServeProcess, name: string): Promise<{ status: number; body: string }> => {
      const r = await fetch(at(g, `/${name}`), { headers: h });
      return { status: r.status, body: await r.text() };
    };
    const head = async (g: ServeProcess, name: string): Promise<Record<string, string | null>> => {
      const r = await fetch(at(g, `/${name}`), { method: 'HEAD', headers: h });
      const pick = ['etag', 'content-length', 'content-type', 'last-modified', 'x-timestamp'];
      return { status: String(r.status), ...Object.fromEntries(pick.map((k) => [k, r.headers.get(k)])) };
    };
    const list = async (g: ServeProcess): Promise<Array<{ name: string; hash: string; bytes: number; last_modified: string }>> =>
      (await (await fetch(`${at(g)}?format=json`, { headers: h })).json()) as Array<{ name: string; hash: string; bytes: number; last_modified: string }>;
    const same = async (names: string[], bodies: Map<string, string>): Promise<void> => {
      for (const n of names) {
        for (const g of [a, b]) expect(await get(g, n), n).toEqual({ status: 200, body: bodies.get(n) });
        expect(await head(b, n)).toEqual(await head(a, n));
      }
      const [la, lb] = [await list(a), await list(b)];
      expect(lb).toEqual(la);
      expect(la.map((e) => e.name)).toEqual([...bodies.keys()].sort());
    };

    const bodies = new Map<string, string>();
    const viaA = Array.from({ length: 10 }, (_x, i) => `from-a-${i}`);
    const viaB = Array.from({ length: 10 }, (_x, i) => `from-b-${i}`);
    for (const n of viaA) { await put(a, n, `A wrote ${n}`); bodies.set(n, `A wrote ${n}`); }
    for (const n of viaB) { await put(b, n, `B wrote ${n}`); bodies.set(n, `B wrote ${n}`); }
    await same([...viaA, ...viaB], bodies);

    // An overwrite through B is what A serves; a DELETE through A is gone through B.
    await put(b, 'from-a-0', 'B overwrote it');
    bodies.set('from-a-0', 'B overwrote it');
    expect(await get(a, 'from-a-0')).toEqual({ status: 200, body: 'B overwrote it' });
    expect((await fetch(at(a, '/from-b-0'), { method: 'DELETE', headers: h })).status).toBe(204);
    bodies.delete('from-b-0');
    expect((await get(b, 'from-b-0')).status).toBe(404);
    await same([...bodies.keys()], bodies);

    // add-brick against A's config: A's file and the brick servers; B follows within seconds.
    const bFileBefore = readFileSync(join(dir, 'b', 'volume.json'), 'utf8');
    const added = await cairn(['volume', 'add-brick', '-c', cfgA, brick(0, 'b3'), brick(1, 'b4')]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toMatch(/published commit 2 revision \d+ to 2 of 2 brick server\(s\)/);
    expect(readFileSync(join(dir, 'b', 'volume.json'), 'utf8')).toBe(bFileBefore); // the CLI left B's file alone
    await eventually(() => volumeFile('b').layout.version === 2 && volumeFile('b').sets.length === 2);
    const afterAdd = Array.from({ length: 24 }, (_x, i) => `after-add-${i}`);
    for (const n of afterAdd) { await put(b, n, `B after add-brick ${n}`); bodies.set(n, `B after add-brick ${n}`); }
    expect(dataFiles(brickDir(0, 'b3')).length).toBeGreaterThan(0); // B placed some on the new set
    await same([...bodies.keys()], bodies);

    // replace-brick b4 -> b6 against A's config: the same commit, a newer revision.
    const replaced = await cairn(['volume', 'replace-brick', '-c', cfgA, brick(1, 'b4'), brick(1, 'b6')]);
    expect(replaced.code, replaced.stderr).toBe(0);
    const oldBrick = dataFiles(brickDir(1, 'b4'));
    const newBefore = dataFiles(brickDir(1, 'b6')).length;
    // B writes at once, before it can have heard of the change: the brick servers refuse its writes
    // under the old brick set, B adopts the new definition and writes to b6, never to b4.
    const afterReplace = Array.from({ length: 24 }, (_x, i) => `after-replace-${i}`);
    for (const n of afterReplace) { await put(b, n, `B after replace-brick ${n}`); bodies.set(n, `B after replace-brick ${n}`); }
    for (const n of afterReplace.slice(0, 6)) { await put(a, `${n}-a`, 'A after replace-brick'); bodies.set(`${n}-a`, 'A after replace-brick'); }
    expect(volumeFile('b').sets).toEqual(volumeFile('a').sets);
    expect(volumeFile('b').revision).toBe(volumeFile('a').revision);
    expect(volumeFile('b').sets[1]!.bricks).toEqual([brick(0, 'b3'), brick(1, 'b6')]);
    expect(dataFiles(brickDir(1, 'b4'))).toEqual(oldBrick);
    expect(dataFiles(brickDir(1, 'b6')).length).toBeGreaterThan(newBefore);
    await same([...bodies.keys()], bodies);
  }, 180_000);
});
