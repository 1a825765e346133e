/**
 * TempURL and public containers with the real `swift` CLI against `cairn serve` in a child process:
 * `swift tempurl` then a plain HTTP GET of that URL, and `swift post -r '.r:*'` then an anonymous GET.
 * Skipped with a message when `swift` is missing, failed under CI=true (server.ts's rules).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findClients, runSwift, shouldSkip, suiteServer } from './server.js';

const clients = findClients();
const skip = shouldSkip(clients.swift !== undefined, 'the swift CLI');

/** Swift's proxy pipeline with the middlewares these tests need. */
const PIPELINE = ['catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'listing_formats',
  'tempurl', 'tempauth', 'staticweb'];

describe.skipIf(skip)('tempurl and public containers with the swift CLI', () => {
  const suite = suiteServer({ path: clients.swift, what: 'the swift CLI' }, 'cairn-tempurl-cli-', { pipeline: PIPELINE });
  const swift = (...args: string[]): Promise<string> => runSwift(clients.swift!, suite.server, suite.work, args);

  it('swift tempurl makes a URL that a plain HTTP GET can use, and only until it expires', async () => {
    writeFileSync(join(suite.work, 'hello.txt'), 'hello from a temp url');
    await swift('upload', 'tu', 'hello.txt');
    await swift('post', '-m', 'Temp-URL-Key:s3cret');
    const account = (await swift('stat')).match(/Account: (\S+)/)![1]!;
    const path = `/v1/${account}/tu/hello.txt`;
    const url = (await swift('tempurl', 'GET', '3600', path, 's3cret')).trim();
    expect(url.startsWith(`${path}?temp_url_sig=`)).toBe(true);
    const ok = await fetch(suite.server.base + url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('hello from a temp url');
    expect(ok.headers.get('content-disposition')).toContain('hello.txt');
    // Another method, another object, a wrong key, a past expiry: all refused.
    expect((await fetch(suite.server.base + url, { method: 'DELETE' })).status).toBe(401);
    expect((await fetch(suite.server.base + url.replace('hello.txt', 'other.txt'))).status).toBe(401);
    const wrongKey = (await swift('tempurl', 'GET', '3600', path, 'nope')).trim();
    expect((await fetch(suite.server.base + wrongKey)).status).toBe(401);
    const past = Math.floor(Date.now() / 1000) - 60;
    const expired = (await swift('tempurl', '--absolute', 'GET', String(past), path, 's3cret')).trim();
    const gone = await fetch(suite.server.base + expired);
    expect(gone.status).toBe(401);
    expect(await gone.text()).toBe('401 Unauthorized: Temp URL invalid\n');
    // A PUT URL uploads without a token.
    const putUrl = (await swift('tempurl', 'PUT', '600', `/v1/${account}/tu/put.txt`, 's3cret')).trim();
    expect((await fetch(suite.server.base + putUrl, { method: 'PUT', body: 'put via temp url' })).status).toBe(201);
    expect(await swift('download', 'tu', 'put.txt', '-o', '-')).toBe('put via temp url');
  });

  it('swift post -r ".r:*" makes objects readable anonymously', async () => {
    writeFileSync(join(suite.work, 'pub.txt'), 'public bytes');
    await swift('upload', 'pub', 'pub.txt');
    const account = (await swift('stat')).match(/Account: (\S+)/)![1]!;
    expect((await fetch(`${suite.server.base}/v1/${account}/pub/pub.txt`)).status).toBe(401);
    await swift('post', '-r', '.r:*', 'pub');
    const r = await fetch(`${suite.server.base}/v1/${account}/pub/pub.txt`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('public bytes');
    // Listing needs .rlistings too.
    expect((await fetch(`${suite.server.base}/v1/${account}/pub`)).status).toBe(401);
    await swift('post', '-r', '.r:*,.rlistings', 'pub');
    expect(await (await fetch(`${suite.server.base}/v1/${account}/pub`)).text()).toBe('pub.txt\n');
  });
});
