/**
 * Two real `cairn serve` processes over the same local bricks (as `--workers` processes, or two
 * gateways on one host): each keeps account and container records (catalog.ts), and a container's
 * ACL, metadata or existence changed through one is in force on the other at once, because a kept
 * record stands only while the bricks' records_changes count does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ensureBuilt } from '../helpers/brick-servers.js';
import { eventually } from '../helpers/objects.js';
import { spawnServe, type ServeProcess } from './server.js';

const dir = mkdtempSync(join(tmpdir(), 'cairn-kept-records-'));
const gateways: ServeProcess[] = [];

beforeAll(async () => {
  ensureBuilt();
  const file = join(dir, 'cairn.yaml');
  writeFileSync(file, stringify({
    storage: { root: dir },
    volume: { id: 'kept', bricks: ['b1', 'b2', 'b3', 'b4'], replica: 2, fsync: false },
    middleware: { tempauth: { token_secret: 'kept-records-token-secret', users: [{ account: 'test', user: 'tester', key: 'testing', groups: ['.admin'] }] } },
    log: { level: 'warn' },
  }));
  gateways.push(await spawnServe(file, dir));
  gateways.push(await spawnServe(file, dir));
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function token(base: string): Promise<string> {
  const res = await fetch(`${base}/auth/v1.0`, { headers: { 'x-auth-user': 'test:tester', 'x-auth-key': 'testing' } });
  expect(res.status).toBe(200);
  return res.headers.get('x-auth-token')!;
}

async function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Response> {
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  await res.arrayBuffer();
  return res;
}

describe('kept records across processes on the same bricks', () => {
  it('an ACL, a metadata change and a delete made through one process hold on the other', async () => {
    const [a, b] = [gateways[0]!.base, gateways[1]!.base];
    const ta = { 'x-auth-token': await token(a) };
    const tb = { 'x-auth-token': await token(b) };
    expect((await send(a, 'PUT', '/v1/AUTH_test/c', ta)).status).toBe(201);
    expect((await send(a, 'PUT', '/v1/AUTH_test/c/o', ta, 'hello')).status).toBe(201);

    const anonymousGet = async (): Promise<number> => (await send(b, 'GET', '/v1/AUTH_test/c/o')).status;
    // B reads the private container's record, and keeps it: asked again, it answers the same.
    expect(await anonymousGet()).toBe(401);
    expect(await anonymousGet()).toBe(401);

    expect((await send(a, 'POST', '/v1/AUTH_test/c', { ...ta, 'x-container-read': '.r:*' })).status).toBe(204);
    expect(await eventually(async () => (await anonymousGet()) === 200, 500)).toBe(true);

    expect((await send(a, 'POST', '/v1/AUTH_test/c', { ...ta, 'x-container-meta-color': 'blue' })).status).toBe(204);
    const color = async (): Promise<string | null> => (await send(b, 'HEAD', '/v1/AUTH_test/c', tb)).headers.get('x-container-meta-color');
    expect(await eventually(async () => (await color()) === 'blue', 500)).toBe(true);

    expect((await send(a, 'POST', '/v1/AUTH_test/c', { ...ta, 'x-remove-container-read': 'x' })).status).toBe(204);
    expect(await eventually(async () => (await anonymousGet()) === 401, 500)).toBe(true);

    expect((await send(a, 'DELETE', '/v1/AUTH_test/c/o', ta)).status).toBe(204);
    expect((await send(a, 'DELETE', '/v1/AUTH_test/c', ta)).status).toBe(204);
    const put = async (): Promise<number> => (await send(b, 'PUT', '/v1/AUTH_test/c/p', tb, 'x')).status;
    expect(await eventually(async () => (await put()) === 404, 500)).toBe(true);
  });
});
