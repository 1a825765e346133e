/**
 * The `swift` command line (python-swiftclient's CLI) against a real `cairn serve`: what an operator
 * does on day one. Skipped with a message when `swift` is missing, failed under CI=true.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findClients, runSwift, shouldSkip, suiteServer } from './server.js';

const clients = findClients();
const skip = shouldSkip(clients.swift !== undefined, 'the swift CLI');

/** A container and an object name with spaces, unicode and the characters clients get wrong. */
const ODD_CONTAINER = 'odd cont é&+"';
const ODD_OBJECT = 'dir one/naïve &+é" 日本 ü.txt';

const md5 = (buf: Buffer): string => createHash('md5').update(buf).digest('hex');

describe.skipIf(skip)('swift CLI against cairn serve', () => {
  const suite = suiteServer({ path: clients.swift, what: 'the swift CLI' }, 'cairn-swift-cli-');
  const swift = (...args: string[]): Promise<string> => runSwift(clients.swift!, suite.server, suite.work, args);
  const lines = (out: string): string[] => out.split('\n').filter((l) => l !== '');

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
    writeFileSync(join(suite.work, 'hello.txt'), 'hello, cairn\n');
    await swift('upload', 'c1', 'hello.txt');
    expect(lines(await swift('list', 'c1'))).toContain('hello.txt');
    const stat = await swift('stat', 'c1', 'hello.txt');
    expect(stat).toMatch(/Content Length: 13/);
    expect(stat).toContain(`ETag: ${md5(Buffer.from('hello, cairn\n'))}`);
  });

  it('uploads a directory tree', async () => {
    mkdirSync(join(suite.work, 'tree/sub/deep'), { recursive: true });
    writeFileSync(join(suite.work, 'tree/a.txt'), 'a');
    writeFileSync(join(suite.work, 'tree/sub/b.txt'), 'b');
    writeFileSync(join(suite.work, 'tree/sub/deep/c.txt'), 'c');
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
    writeFileSync(join(suite.work, 'big.bin'), big);
    await swift('upload', 'c1', 'big.bin');
    expect(await swift('stat', 'c1', 'big.bin')).toContain(`ETag: ${md5(big)}`);
    // swift download checks the body against the ETag itself, and fails on a mismatch.
    await swift('download', 'c1', 'big.bin', '-o', 'big.out');
    expect(md5(readFileSync(join(suite.work, 'big.out')))).toBe(md5(big));
  }, 180_000);

  it('handles container and object names with spaces, unicode and &+é"', async () => {
    writeFileSync(join(suite.work, 'odd.txt'), 'odd body');
    await swift('upload', ODD_CONTAINER, 'odd.txt', '--object-name', ODD_OBJECT);
    expect(lines(await swift('list'))).toContain(ODD_CONTAINER);
    expect(lines(await swift('list', ODD_CONTAINER))).toEqual([ODD_OBJECT]);
    expect(lines(await swift('list', ODD_CONTAINER, '--delimiter', '/'))).toEqual(['dir one/']);
    const stat = await swift('stat', ODD_CONTAINER, ODD_OBJECT);
    expect(stat).toContain(`Object: ${ODD_OBJECT}`);
    await swift('download', ODD_CONTAINER, ODD_OBJECT, '-o', 'odd.out');
    expect(readFileSync(join(suite.work, 'odd.out'), 'utf8')).toBe('odd body');
  });

  it('delete --all empties the account', async () => {
    await swift('delete', '--all');
    expect(lines(await swift('list'))).toEqual([]);
    expect(await swift('stat')).toMatch(/Containers: 0/);
  }, 120_000);
});
