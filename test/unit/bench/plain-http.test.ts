/** The plain-HTTP yardstick server: a PUT stores the body with its MD5 as ETag, GET returns it, stop leaves nothing. */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startPlainHttp, type PlainHttpServer } from '../../../src/bench/plain-http.js';

let parent: string | undefined;
let server: PlainHttpServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  if (parent) rmSync(parent, { recursive: true, force: true });
  parent = undefined;
});

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

describe('plain HTTP server', () => {
  it('stores a PUT with its MD5 as ETag, serves it with Content-Length, deletes it, and leaves nothing when stopped', async () => {
    parent = mkdtempSync(join(tmpdir(), 'plain-http-test-'));
    server = await startPlainHttp(parent);
    expect(server.dir.startsWith(parent)).toBe(true);
    const body = randomBytes(3 * 1024 * 1024 + 123);

    const put = await request(`${server.url}/obj.bin`, { method: 'PUT', body, headers: { 'content-length': String(body.length) } });
    await put.body.dump();
    expect(put.statusCode).toBe(201);
    expect(put.headers.etag).toBe(createHash('md5').update(body).digest('hex'));
    expect(readFileSync(join(server.dir, 'obj.bin')).equals(body)).toBe(true);

    const get = await request(`${server.url}/obj.bin`);
    expect(get.statusCode).toBe(200);
    expect(get.headers['content-length']).toBe(String(body.length));
    expect(Buffer.from(await get.body.arrayBuffer()).equals(body)).toBe(true);

    const del = await request(`${server.url}/obj.bin`, { method: 'DELETE' });
    await del.body.dump();
    expect(del.statusCode).toBe(204);
    const gone = await request(`${server.url}/obj.bin`);
    await gone.body.dump();
    expect(gone.statusCode).toBe(404);

    // A name that would leave its directory is refused.
    const escape = await request(`${server.url}/..%2Fescape`, { method: 'PUT', body: 'x' });
    await escape.body.dump();
    expect(escape.statusCode).toBe(400);

    // An object still there at stop goes with the server's directory.
    const left = await request(`${server.url}/left.bin`, { method: 'PUT', body: 'left' });
    await left.body.dump();
    expect(left.statusCode).toBe(201);
    const { pid, dir } = server;
    await server.stop();
    server = undefined;
    expect(alive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });
});
