/**
 * The brick server's volume definitions (src/brickd/definitions.ts) through its routes, with the
 * gateway's client (remote-definition.ts): publishing newer, older, equal and foreign definitions,
 * persistence across a restart, the held commit in answers and /v1/health, and the stale-layout guard.
 */
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startBrickServer, type BrickServer } from '../../../src/brickd/server.js';
import { BrickIdentityMismatch } from '../../../src/storage/brick/local.js';
import { authHeaders } from '../../../src/storage/brick/remote-auth.js';
import type { DefinitionLink } from '../../../src/storage/brick/remote-client.js';
import { fetchDefinition, publishDefinition } from '../../../src/storage/brick/remote-definition.js';
import { RemoteBrick } from '../../../src/storage/brick/remote.js';
import { StaleLayout } from '../../../src/storage/errors.js';
import type { VolumeDefinition } from '../../../src/storage/volume-file.js';
import { ref, tombstone } from '../storage/brick/helpers.js';

const VOLUME = 'vol-defs';
const SECRET = 'definitions-secret-0123456789';
const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-definitions-'));
afterAll(async () => { await fsp.rm(scratch, { recursive: true, force: true }); });

let n = 0;
const running: BrickServer[] = [];
const opened: RemoteBrick[] = [];
afterEach(async () => {
  for (const b of opened.splice(0)) await b.close();
  for (const s of running.splice(0)) await s.close();
});

/** A server of two bricks in fresh directories (or `dirs`), both bound to VOLUME by a gateway's open. */
async function serve(dirs?: string[]): Promise<{ server: BrickServer; dirs: string[] }> {
  const use = dirs ?? [path.join(scratch, `s${++n}-a`), path.join(scratch, `s${n}-b`)];
  const server = await startBrickServer({
    bricks: use.map((dir, i) => ({ name: `b${i}`, dir })), secret: SECRET, host: '127.0.0.1', port: 0, fsync: false, auditGraceMs: 0,
  });
  running.push(server);
  for (let i = 0; i < use.length; i++) await brick(server, `b${i}`).open();
  return { server, dirs: use };
}

function brick(server: BrickServer, name: string, link?: DefinitionLink): RemoteBrick {
  const b = new RemoteBrick(`${server.url}/${name}`, { secret: SECRET, volumeId: VOLUME, callTimeoutMs: 5000 });
  if (link) b.linkDefinition(link);
  opened.push(b);
  return b;
}

function definition(commit: number, extra: Partial<VolumeDefinition> = {}): VolumeDefinition {
  return {
    format: 1, id: VOLUME, replica: 1, sets: [{ bricks: ['http://h:1/b0'] }], layout: { version: commit, weights: [1] },
    updatedAt: '2030-01-01T00:00:00.000Z', ...extra,
  };
}

const at = (server: BrickServer, volumeId = VOLUME) => ({ origin: server.url, secret: SECRET, volumeId });

describe('brick server volume definitions', () => {
  it('holds none at first (GET is a NOT_FOUND, which the client reads as none)', async () => {
    const { server } = await serve();
    expect(await fetchDefinition(at(server))).toBeUndefined();
  });

  it('stores a newer definition on every brick of the volume and answers it; never goes backwards', async () => {
    const { server, dirs } = await serve();
    expect(await publishDefinition(at(server), definition(1))).toEqual({ commit: 1, stored: true });
    expect((await fetchDefinition(at(server)))?.layout.version).toBe(1);
    expect(await publishDefinition(at(server), definition(3))).toEqual({ commit: 3, stored: true });
    for (const d of dirs) expect(JSON.parse(readFileSync(path.join(d, 'volume.json'), 'utf8')).layout.version).toBe(3);
    // Older: refused, the held commit answered.
    expect(await publishDefinition(at(server), definition(2))).toEqual({ commit: 3, stored: false, held: definition(3) });
    // Equal commit, other content: the held one stays, and is answered.
    const other = definition(3, { sets: [{ bricks: ['http://elsewhere:1/x'] }] });
    expect(await publishDefinition(at(server), other)).toEqual({ commit: 3, stored: false, held: definition(3) });
    expect(await fetchDefinition(at(server))).toEqual(definition(3));
  });

  it('refuses a definition of another volume, and a volume it serves no brick of', async () => {
    const { server } = await serve();
    await expect(publishDefinition(at(server), definition(1, { id: 'someone-else' }))).rejects.toBeInstanceOf(BrickIdentityMismatch);
    await expect(publishDefinition(at(server, 'someone-else'), definition(1, { id: 'someone-else' })))
      .rejects.toBeInstanceOf(BrickIdentityMismatch);
    expect(await fetchDefinition(at(server))).toBeUndefined();
  });

  it('keeps the definition across a restart, and reports it in answers and /v1/health', async () => {
    const first = await serve();
    await publishDefinition(at(first.server), definition(4));
    await first.server.close();
    running.splice(running.indexOf(first.server), 1);
    const { server } = await serve(first.dirs);
    expect(await fetchDefinition(at(server))).toEqual(definition(4));
    const res = await request(`${server.url}/v1/health`, { headers: authHeaders(SECRET, 'GET', '/v1/health', VOLUME) });
    expect(res.headers['x-cairn-volume-commit']).toBe('4');
    const health = (await res.body.json()) as { bricks: Array<{ name: string; definitionCommit?: number }> };
    expect(health.bricks.map((b) => [b.name, b.definitionCommit])).toEqual([['b0', 4], ['b1', 4]]);
  });

  it('refuses writes placed by an older layout commit (StaleLayout carrying the held one), not the rest', async () => {
    const { server } = await serve();
    await publishDefinition(at(server), definition(3));
    const seen: Array<number | undefined> = [];
    let sent = 2;
    const link: DefinitionLink = { commit: () => sent, observed: (_origin, held) => { seen.push(held); } };
    const b = brick(server, 'b0', link);
    await b.open();
    const rec = tombstone(ref('x'), '1700000000.00001');
    const stale = await b.putRecord(rec).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(StaleLayout);
    expect(stale).toMatchObject({ held: 3, sent: 2 });
    await expect(b.createWriter(ref('x'), '1700000000.00002')).rejects.toBeInstanceOf(StaleLayout);
    await expect(b.markDirty(ref('x'), '1700000000.00002')).rejects.toBeInstanceOf(StaleLayout);
    await expect(b.linkData(rec, ref('y'), '1700000000.00003')).rejects.toBeInstanceOf(StaleLayout);
    // Reads and records that live on every brick are not placed by layout.
    expect(await b.getRecord(ref('x'))).toBeUndefined();
    await b.mergeContainer({ account: 'AUTH_test', container: 'c', putTimestamp: '1700000000.00001', metadata: {}, storagePolicy: '0' });
    expect(seen.every((h) => h === 3)).toBe(true);
    // Under the held commit (or naming none) the same write goes through.
    sent = 3;
    await b.putRecord(rec);
    expect((await b.getRecord(ref('x')))?.timestamp).toBe(rec.timestamp);
    const plain = brick(server, 'b1');
    await plain.open();
    await plain.putRecord(rec);
  });

  it('signs the layout commit: a request whose commit was changed on the way is refused', async () => {
    const { server } = await serve();
    const headers = { ...authHeaders(SECRET, 'GET', '/v1/health', VOLUME, Date.now(), 5), 'x-cairn-layout-commit': '9' };
    const res = await request(`${server.url}/v1/health`, { headers });
    expect(res.statusCode).toBe(401);
    await res.body.dump();
  });
});
