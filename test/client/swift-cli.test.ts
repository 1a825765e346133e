/**
 * The `swift` command line (python-swiftclient's CLI) against a real `cairn serve`: what an operator
 * does on day one. Skipped with a message when `swift` is missing, failed under CI=true.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findClients, KEY, missingClient, shouldSkip, startServer, USER, type ChildServer } from './server.js';

const clients = findClients();
const skip = shouldSkip(clients.swift !== undefined, 'the swift CLI');

/** A container and an object name with spaces, unicode and the characters clients get wrong. */
const ODD_CONTAINER = 'odd cont é&+"';
const ODD_OBJECT = 'dir one/naïve &+é" 日本 ü.txt';

const md5 = (buf: Buffer): string => createHash('md5').update(buf).digest('hex');

/** A clean environment for the CLI: none of the caller's OS_ or ST_ settings, UTF-8 I/O. */
function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(OS|ST)_/.test(k)) env[k] = v;
  return { ...env, PYTHONIOENCODING: 'utf-8', LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' };
}

describe.skipIf(skip)('swift CLI against cairn serve', () => {
  let server: ChildServer;
  let work: string;

  /** Run `swift -A … -U … -K … args`; resolves with stdout, rejects with stderr and the server's output. */
  const swift = (...args: string[]): Promise<string> => new Promise((resolve, reject) => {
    execFile(clients.swift!, ['-A', server.authUrl, '-U', USER, '-K', KEY, ...args],
      { cwd: work, env: cliEnv(), maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`swift ${args.join(' ')} failed (${err.code ?? err.signal}):\n${stderr}${stdout}\n--- server ---\n${server.output().slice(-4000)}`));
        else resolve(stdout);
      });
  });
  const lines = (out: string): string[] => out.split('\n').filter((l) => l !== '');

  beforeAll(async () => {
    if (!clients.swift) throw missingClient('the swift CLI');
    server = await startServer();
    work = mkdtempSync(join(tmpdir(), 'cairn-swift-cli-'));
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('stat shows the account', async () => {
    const out = await swift('stat');
    expect(out).toMatch(/Account: AUTH_test/);
    expect(out).toMatch(/Containers: 0/);
  });

  it('post -m sets account metadata, and container metadata (creating the container)', async () => {
    await swift('post', '-m', 'Color:Blue');
    expect(await swift('stat')).toMatch(/Meta Color: Blue/);
    await swift('post', '-m', 'Owner:ops', 'c1');
    const out = await swift('stat', 'c1');
    expect(out).toMatch(/Container: c1/);
    expect(out).toMatch(/Meta Owner: ops/);
  });

  it('uploads a file and lists it', async () => {
    writeFileSync(join(work, 'hello.txt'), 'hello, cairn\n');
    await swift('upload', 'c1', 'hello.txt');
    expect(lines(await swift('list', 'c1'))).toContain('hello.txt');
    const stat = await swift('stat', 'c1', 'hello.txt');
    expect(stat).toMatch(/Content Length: 13/);
    expect(stat).toContain(`ETag: ${md5(Buffer.from('hello, cairn\n'))}`);
  });

  it('uploads a directory tree', async () => {
    mkdirSync(join(work, 'tree/sub/deep'), { recursive: true });
    writeFileSync(join(work, 'tree/a.txt'), 'a');
    writeFileSync(join(work, 'tree/sub/b.txt'), 'b');
    writeFileSync(join(work, 'tree/sub/deep/c.txt'), 'c');
    await swift('upload', 'c1', 'tree');
    expect(lines(await swift('list', 'c1', '--prefix', 'tree/'))).toEqual(['tree/a.txt', 'tree/sub/b.txt', 'tree/sub/deep/c.txt']);
  });

  it('lists with --prefix and --delimiter', async () => {
    expect(lines(await swift('list', 'c1', '--prefix', 'tree/', '--delimiter', '/'))).toEqual(['tree/a.txt', 'tree/sub/']);
    expect(lines(await swift('list', 'c1', '--delimiter', '/'))).toEqual(['hello.txt', 'tree/']);
    expect(lines(await swift('list', 'c1', '--prefix', 'tree/sub/', '--delimiter', '/'))).toEqual(['tree/sub/b.txt', 'tree/sub/deep/']);
  });

  it('uploads a 50 MB file and downloads it with the same MD5', async () => {
    const big = randomBytes(50 * 1024 * 1024);
    writeFileSync(join(work, 'big.bin'), big);
    await swift('upload', 'c1', 'big.bin');
    expect(await swift('stat', 'c1', 'big.bin')).toContain(`ETag: ${md5(big)}`);
    // swift download checks the body against the ETag itself, and fails on a mismatch.
    await swift('download', 'c1', 'big.bin', '-o', 'big.out');
    expect(md5(readFileSync(join(work, 'big.out')))).toBe(md5(big));
  }, 180_000);

  it('handles container and object names with spaces, unicode and &+é"', async () => {
    writeFileSync(join(work, 'odd.txt'), 'odd body');
    await swift('upload', ODD_CONTAINER, 'odd.txt', '--object-name', ODD_OBJECT);
    expect(lines(await swift('list'))).toContain(ODD_CONTAINER);
    expect(lines(await swift('list', ODD_CONTAINER))).toEqual([ODD_OBJECT]);
    expect(lines(await swift('list', ODD_CONTAINER, '--delimiter', '/'))).toEqual(['dir one/']);
    const stat = await swift('stat', ODD_CONTAINER, ODD_OBJECT);
    expect(stat).toContain(`Object: ${ODD_OBJECT}`);
    await swift('download', ODD_CONTAINER, ODD_OBJECT, '-o', 'odd.out');
    expect(readFileSync(join(work, 'odd.out'), 'utf8')).toBe('odd body');
  });

  it('delete --all empties the account', async () => {
    await swift('delete', '--all');
    expect(lines(await swift('list'))).toEqual([]);
    expect(await swift('stat')).toMatch(/Containers: 0/);
  }, 120_000);
});
