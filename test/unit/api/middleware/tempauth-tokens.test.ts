/**
 * Signed TempAuth tokens (tempauth/signed-tokens.ts) and where their key comes from
 * (tempauth/token-secret.ts).
 */
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SignedTokenStore } from '../../../../src/api/middleware/tempauth/signed-tokens.js';
import { resolveTokenSecret, TOKEN_SECRET_FILE } from '../../../../src/api/middleware/tempauth/token-secret.js';

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');
const GROUPS = ['test', 'test:tester', 'AUTH_test'];

describe('SignedTokenStore', () => {
  it('issues AUTH_tk tokens that another store with the same secret accepts', async () => {
    const a = new SignedTokenStore('AUTH_', SECRET);
    const b = new SignedTokenStore('AUTH_', Buffer.from(SECRET));
    const { token, expires } = await a.issue('test:tester', GROUPS, 60);
    expect(token).toMatch(/^AUTH_tk[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(expires).toBeGreaterThan(Date.now() / 1000 + 59);
    expect(await b.lookup(token)).toEqual({ expires, groups: GROUPS });
    // The issuing process hands the same token out again; another process has none to hand out.
    expect(await a.userToken('test:tester')).toBe(token);
    expect(await b.userToken('test:tester')).toBeUndefined();
  });

  it('refuses tokens made with another secret or for another prefix', async () => {
    const { token } = await new SignedTokenStore('AUTH_', SECRET).issue('test:tester', GROUPS, 60);
    expect(await new SignedTokenStore('AUTH_', Buffer.from('another secret, just as long....')).lookup(token)).toBeUndefined();
    const moved = token.replace(/^AUTH_/, 'SERVICE_');
    expect(await new SignedTokenStore('SERVICE_', SECRET).lookup(moved)).toBeUndefined();
  });

  it('refuses a token whose payload or MAC was changed', async () => {
    const store = new SignedTokenStore('AUTH_', SECRET);
    const { token } = await store.issue('test:tester', GROUPS, 60);
    const [signed, mac] = token.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(signed.slice('AUTH_tk'.length), 'base64url').toString()) as unknown[];
    payload[2] = [...GROUPS, '.reseller_admin'];
    const forged = `AUTH_tk${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
    expect(await store.lookup(forged)).toBeUndefined();
    const flipped = `${signed}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BA' : 'AA'}`;
    expect(await store.lookup(flipped)).toBeUndefined();
    for (const bad of ['AUTH_tk', 'AUTH_tk.', `${signed}.`, `${signed}.${mac}x`, `AUTH_tk${'a'.repeat(5000)}.${mac}`, 'AUTH_tkbogus']) {
      expect(await store.lookup(bad), bad).toBeUndefined();
    }
  });

  it('enforces the expiry', async () => {
    const store = new SignedTokenStore('AUTH_', SECRET);
    const { token, expires } = await store.issue('test:tester', GROUPS, 10);
    expect(store.verify(token, expires - 0.01)).toBeDefined();
    expect(store.verify(token, expires)).toBeUndefined();
    expect(store.verify(token, expires + 1000)).toBeUndefined();
  });

  it('remembers verified tokens, but a remembered token still expires and its record cannot be changed by callers', async () => {
    const store = new SignedTokenStore('AUTH_', SECRET);
    const { token } = await store.issue('test:tester', GROUPS, 0.3);
    const first = (await store.lookup(token))!;
    first.groups.push('.reseller_admin'); // a caller scribbling on its copy
    expect(await store.lookup(token)).toEqual({ expires: first.expires, groups: GROUPS });
    await new Promise((r) => setTimeout(r, 400));
    expect(await store.lookup(token)).toBeUndefined();
    // Only verified tokens are remembered: a forged one fails every time.
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BA' : 'AA'}`;
    expect(await store.lookup(forged)).toBeUndefined();
    expect(await store.lookup(forged)).toBeUndefined();
  });

  it('wants a secret of at least 16 bytes', () => {
    expect(() => new SignedTokenStore('AUTH_', Buffer.from('short'))).toThrow(/16 bytes/);
  });
});

describe('resolveTokenSecret', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
  const tempRoot = (): string => { const d = mkdtempSync(join(tmpdir(), 'cairn-secret-')); dirs.push(d); return d; };
  const volume = (bricks: string[], secret?: string) => ({ id: 'v1', bricks, replica: 1, ...(secret ? { secret } : {}) });

  it('uses token_secret when configured', () => {
    const s = resolveTokenSecret('configured secret 123', { volume: volume(['/nonexistent/b1']), storage: { root: '/nonexistent' } });
    expect(s).toMatchObject({ source: 'config', key: Buffer.from('configured secret 123') });
  });

  it('derives one from volume.secret, the same for every gateway with that volume', () => {
    const cfg = { volume: volume(['http://h:1/b1'], 'volume secret 0123456789'), storage: { root: '/nonexistent' } };
    const a = resolveTokenSecret('', cfg);
    const b = resolveTokenSecret('', cfg);
    expect(a.source).toBe('volume.secret');
    expect(a.key.equals(b.key)).toBe(true);
    expect(a.key.equals(Buffer.from('volume secret 0123456789'))).toBe(false);
    const other = resolveTokenSecret('', { ...cfg, volume: { ...cfg.volume, id: 'v2' } });
    expect(other.key.equals(a.key)).toBe(false);
  });

  it('makes a per-process key for memory-only volumes (no file anywhere)', () => {
    const root = tempRoot();
    const s = resolveTokenSecret('', { volume: volume(['memory:a']), storage: { root } });
    expect(s.source).toBe('ephemeral');
    expect(() => statSync(join(root, TOKEN_SECRET_FILE))).toThrow();
  });

  it('creates a 0600 key file in the storage root at first start and reads it afterwards', () => {
    const root = join(tempRoot(), 'storage');
    const cfg = { volume: volume([join(root, 'b1')]), storage: { root } };
    const first = resolveTokenSecret('', cfg);
    const file = join(root, TOKEN_SECRET_FILE);
    expect(first).toMatchObject({ source: 'file', file });
    expect(first.warning).toBeUndefined();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.key.length).toBe(32);
    expect(resolveTokenSecret('', cfg).key.equals(first.key)).toBe(true);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.key.toString('hex'));
  });

  it('refuses a key file that is not one, naming it', () => {
    const root = tempRoot();
    writeFileSync(join(root, TOKEN_SECRET_FILE), 'hello\n', { mode: 0o600 });
    expect(() => resolveTokenSecret('', { volume: volume([join(root, 'b1')]), storage: { root } }))
      .toThrow(new RegExp(`${TOKEN_SECRET_FILE}: not a token secret`));
  });

  it('gives processes starting together one key', async () => {
    const root = tempRoot();
    const script = join(root, 'race.mjs');
    // Separate processes, as cluster workers are: they run the built module (npm test builds first).
    const target = new URL('../../../../dist/api/middleware/tempauth/token-secret.js', import.meta.url);
    if (!existsSync(target)) throw new Error('dist/ is missing: run `npx tsc -p .` (npm test does)');
    writeFileSync(script, `
      const { readOrCreateSecretFile } = await import(process.argv[2]);
      process.stdout.write(readOrCreateSecretFile(process.argv[3]).key.toString('hex'));
    `);
    const file = join(root, TOKEN_SECRET_FILE);
    const run = () => new Promise<string>((resolve, reject) => {
      const child = fork(script, [target.href, file], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}`))));
    });
    const keys = await Promise.all(Array.from({ length: 6 }, run));
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toBe(readFileSync(file, 'utf8').trim());
  });
});
