/**
 * TempURL and public containers with the real `swift` CLI against `cairn serve` in a child process:
 * `swift tempurl` then a plain HTTP GET of that URL, and `swift post -r '.r:*'` then an anonymous GET.
 * Skipped with a message when `swift` is missing, failed under CI=true (server.ts's rules).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findClients, KEY, missingClient, shouldSkip, USER } from './server.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const clients = findClients();
const skip = shouldSkip(clients.swift !== undefined, 'the swift CLI');

/** Swift's proxy pipeline with the middlewares these tests need. */
const PIPELINE = ['catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'listing_formats',
  'tempurl', 'tempauth', 'staticweb'];

describe.skipIf(skip)('tempurl and public containers with the swift CLI', () => {
  let dir: string;
  let child: ChildProcess;
  let base = '';
  let output = '';

  const swift = (...args: string[]): Promise<string> => new Promise((res, rej) => {
    execFile(clients.swift!, ['-A', `${base}/auth/v1.0`, '-U', USER, '-K', KEY, ...args],
      { cwd: dir, env: { ...process.env, PYTHONIOENCODING: 'utf-8', LC_ALL: 'C.UTF-8' }, timeout: 60_000 },
      (err, stdout, stderr) => (err ? rej(new Error(`swift ${args.join(' ')}: ${stderr}${stdout}\n${output.slice(-3000)}`)) : res(stdout)));
  });

  beforeAll(async () => {
    if (!clients.swift) throw missingClient('the swift CLI');
    dir = mkdtempSync(join(tmpdir(), 'cairn-tempurl-cli-'));
    const config = {
      storage: { root: join(dir, 'storage') },
      volume: { id: 'tempurl-cli', bricks: ['b1', 'b2'], replica: 2 },
      pipeline: PIPELINE,
      middleware: { tempauth: { reseller_prefix: ['AUTH_'], users: [{ account: 'test', user: 'tester', key: 'testing', groups: ['.admin'] }] } },
      log: { level: 'warn', format: 'json' },
    };
    writeFileSync(join(dir, 'cairn.yaml'), stringify(config));
    child = spawn(process.execPath, [join(ROOT, 'bin/cairn'), 'serve', '--config', join(dir, 'cairn.yaml'), '--listen', '127.0.0.1:0'],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    base = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`server did not start:\n${output}`)), 30_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        output += `${line}\n`;
        const m = /listening on (http:\/\/\S+)/.exec(line);
        if (m) { clearTimeout(timer); res(m[1]!); }
      });
      child.once('exit', (code) => { clearTimeout(timer); rej(new Error(`server exited (${code}):\n${output}`)); });
    });
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`${base}/healthcheck`).then((r) => r.status === 200, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('swift tempurl makes a URL that a plain HTTP GET can use, and only until it expires', async () => {
    writeFileSync(join(dir, 'hello.txt'), 'hello from a temp url');
    await swift('upload', 'tu', 'hello.txt');
    await swift('post', '-m', 'Temp-URL-Key:s3cret');
    const account = (await swift('stat')).match(/Account: (\S+)/)![1]!;
    const path = `/v1/${account}/tu/hello.txt`;
    const url = (await swift('tempurl', 'GET', '3600', path, 's3cret')).trim();
    expect(url.startsWith(`${path}?temp_url_sig=`)).toBe(true);
    const ok = await fetch(base + url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('hello from a temp url');
    expect(ok.headers.get('content-disposition')).toContain('hello.txt');
    // Another method, another object, a wrong key, a past expiry: all refused.
    expect((await fetch(base + url, { method: 'DELETE' })).status).toBe(401);
    expect((await fetch(base + url.replace('hello.txt', 'other.txt'))).status).toBe(401);
    const wrongKey = (await swift('tempurl', 'GET', '3600', path, 'nope')).trim();
    expect((await fetch(base + wrongKey)).status).toBe(401);
    const past = Math.floor(Date.now() / 1000) - 60;
    const expired = (await swift('tempurl', '--absolute', 'GET', String(past), path, 's3cret')).trim();
    const gone = await fetch(base + expired);
    expect(gone.status).toBe(401);
    expect(await gone.text()).toBe('401 Unauthorized: Temp URL invalid\n');
    // A PUT URL uploads without a token.
    const putUrl = (await swift('tempurl', 'PUT', '600', `/v1/${account}/tu/put.txt`, 's3cret')).trim();
    expect((await fetch(base + putUrl, { method: 'PUT', body: 'put via temp url' })).status).toBe(201);
    expect(await swift('download', 'tu', 'put.txt', '-o', '-')).toBe('put via temp url');
  });

  it('swift post -r ".r:*" makes objects readable anonymously', async () => {
    writeFileSync(join(dir, 'pub.txt'), 'public bytes');
    await swift('upload', 'pub', 'pub.txt');
    const account = (await swift('stat')).match(/Account: (\S+)/)![1]!;
    expect((await fetch(`${base}/v1/${account}/pub/pub.txt`)).status).toBe(401);
    await swift('post', '-r', '.r:*', 'pub');
    const r = await fetch(`${base}/v1/${account}/pub/pub.txt`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('public bytes');
    // Listing needs .rlistings too.
    expect((await fetch(`${base}/v1/${account}/pub`)).status).toBe(401);
    await swift('post', '-r', '.r:*,.rlistings', 'pub');
    expect(await (await fetch(`${base}/v1/${account}/pub`)).text()).toBe('pub.txt\n');
  });
});
