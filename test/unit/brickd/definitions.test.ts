/**
 * The brick server's volume definitions (src/brickd/definitions.ts) through its routes, with the
 * gateway's client (remote-definition.ts): publishing newer, older, equal and foreign definitions,
 * ordering by commit then revision, the digest tie-break, persistence across a restart, the held
 * version in answers and /v1/health, and the stale-layout guard (by placement, signed).
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
import { formatWireVersion, versionOf, type DefinitionVersion } from '../../../src/storage/definition-version.js';
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
    expect(await publishDefinition(at(server), definition(1))).toEqual({ commit: 1, revision: 0, stored: true });
    expect((await fetchDefinition(at(server)))?.layout.version).toBe(1);
    expect(await publishDefinition(at(server), definition(3))).toEqual({ commit: 3, revision: 0, stored: true });
    for (const d of dirs) expect(JSON.parse(readFileSync(path.join(d, 'volume.json'), 'utf8')).layout.version).toBe(3);
    // Older: refused, the held definition answered.
    expect(await publishDefinition(at(server), definition(2, { revision: 9 }))).toEqual({ commit: 3, revision: 0, stored: false, held: definition(3) });
    // The same definition again: nothing to store.
    expect(await publishDefinition(at(server), definition(3))).toEqual({ commit: 3, revision: 0, stored: false, held: definition(3) });
    expect(await fetchDefinition(at(server))).toEqual(definition(3));
  });

  it('orders the same commit by revision: a replace-brick (newer revision) replaces, an older revision does not', async () => {
    const { server } = await serve();
    await publishDefinition(at(server), definition(2, { revision: 4 }));
    const replaced = definition(2, { revision: 5, sets: [{ bricks: ['http://h:1/b1'] }] });
    expect(await publishDefinition(at(server), replaced)).toEqual({ commit: 2, revision: 5, stored: true });
    expect(await publishDefinition(at(server), definition(2, { revision: 4 }))).toMatchObject({ commit: 2, revision: 5, stored: false, held: replaced });
    expect(await fetchDefinition(at(server))).toEqual(replaced);
  });

  it('settles the same commit and revision with other content on the smaller digest, whichever came first', async () => {
    const one = definition(1, { revision: 1, layout: { version: 1, weights: [7] } });
    const two = definition(1, { revision: 1, layout: { version: 1, weights: [8] } });
    const [win, lose] = versionOf(one).digest < versionOf(two).digest ? [one, two] : [two, one];
    for (const order of [[win, lose], [lose, win]]) {
      const { server } = await serve();
      await publishDefinition(at(server), order[0]!);
      const second = await publishDefinition(at(server), order[1]!);
      expect(second.stored).toBe(order[1] === win);
      expect(await fetchDefinition(at(server))).toEqual(win);
    }
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
    expect(res.headers['x-cairn-volume-definition']).toBe(formatWireVersion(versionOf(definition(4))));
    const health = (await res.body.json()) as { bricks: Array<{ name: string; definitionCommit?: number; definitionRevision?: number }> };
    expect(health.bricks.map((b) => [b.name, b.definitionCommit, b.definitionRevision])).toEqual([['b0', 4, 0], ['b1', 4, 0]]);
  });

  it('refuses writes placed by an older layout commit (StaleLayout carrying the held one), not the rest', async () => {
    const { server } = await serve();
    await publishDefinition(at(server), definition(3));
    const seen: Array<DefinitionVersion | undefined> = [];
    let sent = versionOf(definition(2));
    const link: DefinitionLink = { version: () => sent, observed: (_origin, held) => { seen.push(held); } };
    const b = brick(server, 'b0', link);
    await b.open();
    const rec = tombstone(ref('x'), '1700000000.00001');
    const stale = await b.putRecord(rec).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(StaleLayout);
    expect(stale).toMatchObject({ held: 3, sent: 2, heldRevision: 0, sentRevision: 0 });
    await expect(b.createWriter(ref('x'), '1700000000.00002')).rejects.toBeInstanceOf(StaleLayout);
    await expect(b.markDirty(ref('x'), '1700000000.00002')).rejects.toBeInstanceOf(StaleLayout);
    await expect(b.linkData(rec, ref('y'), '1700000000.00003')).rejects.toBeInstanceOf(StaleLayout);
    // Reads and records that live on every brick are not placed by layout.
    expect(await b.getRecord(ref('x'))).toBeUndefined();
    await b.mergeContainer({ account: 'AUTH_test', container: 'c', putTimestamp: '1700000000.00001', metadata: {}, storagePolicy: '0' });
    expect(seen.every((h) => h?.commit === 3 && h.digest === versionOf(definition(3)).digest)).toBe(true);
    // Under the held definition (or naming none) the same write goes through.
    sent = versionOf(definition(3));
    await b.putRecord(rec);
    expect((await b.getRecord(ref('x')))?.timestamp).toBe(rec.timestamp);
    const plain = brick(server, 'b1');
    await plain.open();
    await plain.putRecord(rec);
  });

  it('refuses writes under an older revision that places otherwise (replace-brick), not one that only lags in rebalance progress', async () => {
    const { server } = await serve();
    const before = definition(2, { revision: 4, sets: [{ bricks: ['http://h:1/old'] }] });
    const replaced = definition(2, { revision: 5, sets: [{ bricks: ['http://h:1/new'] }] });
    await publishDefinition(at(server), replaced);
    let sent = versionOf(before);
    const b = brick(server, 'b0', { version: () => sent, observed: () => undefined });
    await b.open();
    const rec = tombstone(ref('r'), '1700000000.00001');
    await expect(b.putRecord(rec)).rejects.toMatchObject({ held: 2, sent: 2, heldRevision: 5, sentRevision: 4 });
    await expect(b.createWriter(ref('r'), '1700000000.00002')).rejects.toBeInstanceOf(StaleLayout);
    // Revision 6 only records a rebalance's progress: a gateway still at 5 places objects the same way.
    const progressed = { ...replaced, revision: 6, rebalance: { commit: 2, status: 'running' as const, reason: 'layout' as const,
      counts: { scanned: 10, moved: 1, failed: 0, bytes: 5, containers: 0, reclaimed: 0 }, parallelism: 2, elapsedMs: 1,
      layoutChangedAt: '2030-01-01T00:00:00.000Z' } };
    await publishDefinition(at(server), progressed);
    sent = versionOf(replaced);
    await b.putRecord(rec);
    // A sender naming only a commit (no revision) is checked by commit alone.
    const markDirty = async (commit: number): Promise<{ status: number; code?: string }> => {
      const p = '/v1/b/b1/call/markDirty';
      const res = await request(`${server.url}${p}`, {
        method: 'POST', body: JSON.stringify({ ref: ref('q'), timestamp: '1700000000.00003' }),
        headers: { 'content-type': 'application/json', ...authHeaders(SECRET, 'POST', p, VOLUME, Date.now(), commit) },
      });
      const body = (await res.body.json()) as { error?: { code?: string } };
      return { status: res.statusCode, ...(body.error?.code ? { code: body.error.code } : {}) };
    };
    expect(await markDirty(1)).toMatchObject({ code: 'STALE_LAYOUT' });
    expect(await markDirty(2)).toEqual({ status: 200 });
  });

  it('refuses the loser of a digest tie-break when it places otherwise', async () => {
    const { server } = await serve();
    const one = definition(1, { revision: 1, layout: { version: 1, weights: [7] } });
    const two = definition(1, { revision: 1, layout: { version: 1, weights: [8] } });
    const [win, lose] = versionOf(one).digest < versionOf(two).digest ? [one, two] : [two, one];
    await publishDefinition(at(server), win);
    const loser = brick(server, 'b0', { version: () => versionOf(lose), observed: () => undefined });
    await loser.open();
    await expect(loser.putRecord(tombstone(ref('t'), '1700000000.00001'))).rejects.toBeInstanceOf(StaleLayout);
    const winner = brick(server, 'b1', { version: () => versionOf(win), observed: () => undefined });
    await winner.open();
    await winner.putRecord(tombstone(ref('t'), '1700000000.00001'));
  });

  it('signs the definition: a request whose commit or version was changed on the way is refused', async () => {
    const { server } = await serve();
    const wire = formatWireVersion(versionOf(definition(5)));
    for (const [header, value] of [['x-cairn-layout-commit', '9'], ['x-cairn-definition', wire.replace(/^0\./, '7.')]] as const) {
      const headers = { ...authHeaders(SECRET, 'GET', '/v1/health', VOLUME, Date.now(), 5, wire), [header]: value };
      const res = await request(`${server.url}/v1/health`, { headers });
      expect(res.statusCode).toBe(401);
      await res.body.dump();
    }
    const ok = await request(`${server.url}/v1/health`, { headers: authHeaders(SECRET, 'GET', '/v1/health', VOLUME, Date.now(), 5, wire) });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
  });
});
