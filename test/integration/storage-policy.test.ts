/**
 * Storage policies through the API, as the anchor SAIO has them (gold, the default, and silver):
 * X-Storage-Policy on container PUT, shown on HEAD/GET, 400 for an unknown one, 409 for a change,
 * /info's policies, per-policy account headers, and objects, copies, symlinks and versions across
 * the policies' volumes.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicySpec } from '../../src/storage/policy-store.js';
import { json, makeVersioningApp, req, type VApp } from '../helpers/versioning.js';

const POLICIES: PolicySpec[] = [
  { name: 'gold', aliases: [], default: true, volume: { id: 'sp-gold', bricks: ['memory:g1', 'memory:g2', 'memory:g3', 'memory:g4'], replica: 2 } },
  { name: 'silver', aliases: ['cheap'], default: false, volume: { id: 'sp-silver', bricks: ['memory:s1', 'memory:s2'], replica: 2 } },
];

let app: VApp;
beforeAll(async () => {
  app = await makeVersioningApp({ versioned_writes: { allow_versioned_writes: true, allow_object_versioning: true } },
    { policies: POLICIES, volume: POLICIES[0]!.volume });
});
afterAll(async () => { await app.close(); });

async function policyOf(container: string): Promise<string | undefined> {
  const r = await req(app, 'head', container);
  expect(r.status).toBe(204);
  return r.headers['x-storage-policy'] as string | undefined;
}

describe('storage policies', () => {
  it('/info lists the policies, the default marked, aliases after the name', async () => {
    const r = await request(app.app).get('/info');
    expect(r.body.swift.policies).toEqual([
      { name: 'gold', aliases: 'gold', default: true },
      { name: 'silver', aliases: 'silver, cheap' },
    ]);
  });

  it('a container gets the default policy, or the one X-Storage-Policy names (any case, or an alias)', async () => {
    expect((await req(app, 'put', 'p-default')).status).toBe(201);
    expect(await policyOf('p-default')).toBe('gold');
    expect((await req(app, 'put', 'p-empty', { 'X-Storage-Policy': '' })).status).toBe(201);
    expect(await policyOf('p-empty')).toBe('gold');
    expect((await req(app, 'put', 'p-silver', { 'X-Storage-Policy': 'SILVER' })).status).toBe(201);
    expect(await policyOf('p-silver')).toBe('silver');
    expect((await req(app, 'put', 'p-alias', { 'X-Storage-Policy': 'cheap' })).status).toBe(201);
    expect(await policyOf('p-alias')).toBe('silver');
    const get = await req(app, 'get', 'p-silver');
    expect(get.headers['x-storage-policy']).toBe('silver');
  });

  it('400 for an unknown policy; 409 for changing a container\'s policy, which stays', async () => {
    const bad = await req(app, 'put', 'p-bad', { 'X-Storage-Policy': 'bronze' });
    expect(bad.status).toBe(400);
    expect(bad.text).toBe("Invalid X-Storage-Policy 'bronze'");
    expect((await req(app, 'head', 'p-bad')).status).toBe(404);
    expect((await req(app, 'put', 'p-fixed', { 'X-Storage-Policy': 'silver' })).status).toBe(201);
    const change = await req(app, 'put', 'p-fixed', { 'X-Storage-Policy': 'gold', 'X-Container-Meta-Color': 'red' });
    expect(change.status).toBe(409);
    expect(change.text).toBe('<html><h1>Conflict</h1><p>There was a conflict when trying to complete your request.</p></html>');
    expect(await policyOf('p-fixed')).toBe('silver');
    expect((await req(app, 'head', 'p-fixed')).headers['x-container-meta-color']).toBeUndefined();
    // The same policy, no policy, or a POST naming another one all leave it as it is.
    expect((await req(app, 'put', 'p-fixed', { 'X-Storage-Policy': 'silver' })).status).toBe(202);
    expect((await req(app, 'put', 'p-fixed')).status).toBe(202);
    expect((await req(app, 'post', 'p-fixed', { 'X-Storage-Policy': 'gold' })).status).toBe(204);
    expect(await policyOf('p-fixed')).toBe('silver');
    // Deleted, it may come back under another policy.
    expect((await req(app, 'delete', 'p-fixed')).status).toBe(204);
    expect((await req(app, 'put', 'p-fixed', { 'X-Storage-Policy': 'gold' })).status).toBe(201);
    expect(await policyOf('p-fixed')).toBe('gold');
  });

  it('objects live in their container\'s policy; counts and listings follow them', async () => {
    await req(app, 'put', 'cnt-s', { 'X-Storage-Policy': 'silver' });
    await req(app, 'put', 'cnt-g');
    expect((await req(app, 'put', 'cnt-s/a').send('12345')).status).toBe(201);
    expect((await req(app, 'put', 'cnt-s/b').send('123')).status).toBe(201);
    expect((await req(app, 'put', 'cnt-g/a').send('1')).status).toBe(201);
    expect((await req(app, 'get', 'cnt-s/a')).text).toBe('12345');
    const head = await req(app, 'head', 'cnt-s');
    expect([head.headers['x-container-object-count'], head.headers['x-container-bytes-used']]).toEqual(['2', '8']);
    expect((json(await req(app, 'get', 'cnt-s?format=json')) as Array<{ name: string }>).map((o) => o.name)).toEqual(['a', 'b']);
    const listing = json(await req(app, 'get', '?format=json&prefix=cnt-')) as Array<{ name: string; count: number; bytes: number }>;
    expect(listing.map((c) => [c.name, c.count, c.bytes])).toEqual([['cnt-g', 1, 1], ['cnt-s', 2, 8]]);
    // The policy's volume decides emptiness.
    expect((await req(app, 'delete', 'cnt-s')).status).toBe(409);
  });

  it('the account shows per-policy counts for the policies it uses', async () => {
    const a = await makeVersioningApp({}, { policies: POLICIES, volume: POLICIES[0]!.volume });
    try {
      await req(a, 'put', 'g');
      await req(a, 'put', 'g/o').send('12');
      let h = (await req(a, 'head', '')).headers;
      expect(h['x-account-storage-policy-gold-container-count']).toBe('1');
      expect(h['x-account-storage-policy-silver-container-count']).toBeUndefined();
      await req(a, 'put', 's', { 'X-Storage-Policy': 'silver' });
      await req(a, 'put', 's/o').send('12345');
      h = (await req(a, 'head', '')).headers;
      expect([h['x-account-container-count'], h['x-account-object-count'], h['x-account-bytes-used']]).toEqual(['2', '2', '7']);
      expect([h['x-account-storage-policy-gold-container-count'], h['x-account-storage-policy-gold-object-count'],
        h['x-account-storage-policy-gold-bytes-used']]).toEqual(['1', '1', '2']);
      expect([h['x-account-storage-policy-silver-container-count'], h['x-account-storage-policy-silver-object-count'],
        h['x-account-storage-policy-silver-bytes-used']]).toEqual(['1', '1', '5']);
    } finally {
      await a.close();
    }
  });

  it('copies and symlinks work across policies', async () => {
    await req(app, 'put', 'x-s', { 'X-Storage-Policy': 'silver' });
    await req(app, 'put', 'x-g', { 'X-Storage-Policy': 'gold' });
    await req(app, 'put', 'x-s/src', { 'X-Object-Meta-Kind': 'source' }).send('across volumes');
    const copy = await req(app, 'put', 'x-g/copy', { 'X-Copy-From': 'x-s/src' });
    expect(copy.status).toBe(201);
    const got = await req(app, 'get', 'x-g/copy');
    expect([got.text, got.headers['x-object-meta-kind']]).toEqual(['across volumes', 'source']);
    expect((await req(app, 'copy', 'x-g/copy', { Destination: 'x-s/back' })).status).toBe(201);
    expect((await req(app, 'get', 'x-s/back')).text).toBe('across volumes');
    expect((await req(app, 'put', 'x-g/link', { 'X-Symlink-Target': 'x-s/src' }).send('')).status).toBe(201);
    expect((await req(app, 'get', 'x-g/link')).text).toBe('across volumes');
  });

  it('a versioned container\'s hidden versions container shares its policy', async () => {
    expect((await req(app, 'put', 'ver-s', { 'X-Storage-Policy': 'silver', 'X-Versions-Enabled': 'true' })).status).toBe(201);
    await req(app, 'put', 'ver-s/o').send('one');
    await req(app, 'put', 'ver-s/o').send('two');
    const versions = json(await req(app, 'get', 'ver-s?versions&format=json')) as Array<{ version_id: string }>;
    expect(versions).toHaveLength(2);
    expect((await req(app, 'get', `ver-s/o?version-id=${versions[1]!.version_id}`)).text).toBe('one');
    const hidden = await app.store.getContainer({ account: app.account, container: '\u0000versions\u0000ver-s' });
    expect(hidden.storagePolicy).toBe('silver');
  });
});
