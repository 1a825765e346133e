/**
 * Object requests read account and container records without their counts
 * (ObjectStore.getAccountSettings / getContainerSettings): counting a container reads every set's
 * counters, counting an account also walks all its containers, and no object request needs either
 * (rate limits, ACLs, TempURL keys and existence read the records only). Whatever shows or enforces
 * counts still gets exact ones: account and container HEAD/GET, account and container quotas.
 */
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAccountInfo, getContainerInfo } from '../../src/api/info-cache.js';
import type { SwiftRequest } from '../../src/api/http.js';
import { createApp, type CairnApp } from '../../src/server.js';
import { FaultyBrick } from '../../src/storage/brick/faulty.js';
import { makeBrick } from '../../src/storage/brick-spec.js';
import type { AccountRef, ContainerRef, ObjectStore } from '../../src/storage/store.js';
import { openVolume, type Volume } from '../../src/storage/volume.js';
import { authToken, BASE_PIPELINE, testConfig } from '../helpers/app.js';
import { FakeStore } from '../helpers/fake-store.js';

let volume: Volume;
let app: CairnApp;
let bricks: FaultyBrick[];
let token: string;
let path: string;

beforeAll(async () => {
  bricks = [];
  // ratelimit reads the account on every object write; the quota middlewares on every object PUT.
  const pipeline = [...BASE_PIPELINE.slice(0, -1), 'ratelimit', 'tempauth', 'container-quotas', 'account-quotas'];
  const config = testConfig({ pipeline });
  volume = await openVolume({ ...config.volume, bricks: config.volume.bricks.map((b) => `${b}-counts-${process.pid}`) }, {
    brickFactory: async (spec, vol) => { const b = new FaultyBrick(await makeBrick(spec, vol)); bricks.push(b); return b; },
  });
  app = createApp(config, volume, pino({ level: 'silent' }));
  ({ token, path } = await authToken(app));
  for (const c of ['c', 'c2', 'c3']) expect((await request(app.app).put(`${path}/${c}`).set('X-Auth-Token', token)).status).toBe(201);
});
afterAll(async () => { await volume.close(); });

const calls = (op: 'containerUsage' | 'accountUsage' | 'listContainers' | 'getContainer' | 'getAccount'): number =>
  bricks.reduce((n, b) => n + b.calls[op], 0);
const accountCounting = (): number => calls('accountUsage') + calls('listContainers');
const resetCalls = (): void => bricks.forEach((b) => b.resetCalls());
const put = (name: string, body: string) => request(app.app).put(`${path}/${name}`).set('X-Auth-Token', token).send(body);

describe('object requests', () => {
  it('PUT, GET, HEAD, POST and DELETE read no counters and walk no containers, but do read the records', async () => {
    resetCalls();
    expect((await put('c/o1', 'hello')).status).toBe(201);
    expect((await request(app.app).get(`${path}/c/o1`).set('X-Auth-Token', token)).text).toBe('hello');
    expect((await request(app.app).head(`${path}/c/o1`).set('X-Auth-Token', token)).status).toBe(200);
    expect((await request(app.app).post(`${path}/c/o1`).set('X-Auth-Token', token).set('X-Object-Meta-A', 'b')).status).toBe(202);
    expect((await request(app.app).delete(`${path}/c/o1`).set('X-Auth-Token', token)).status).toBe(204);
    expect([calls('containerUsage'), accountCounting()]).toEqual([0, 0]);
    expect(calls('getContainer')).toBeGreaterThan(0); // existence is still checked
    expect(calls('getAccount')).toBeGreaterThan(0); // rate limits still read the account's metadata
  });

  it('a missing container is still a 404', async () => {
    expect((await put('nope/o', 'x')).status).toBe(404);
    expect((await request(app.app).get(`${path}/nope/o`).set('X-Auth-Token', token)).status).toBe(404);
  });
});

describe('counts where they are shown', () => {
  it('container HEAD reports exact counts', async () => {
    expect((await put('c2/o1', 'hello')).status).toBe(201);
    expect((await put('c2/o2', '12345678')).status).toBe(201);
    resetCalls();
    const head = await request(app.app).head(`${path}/c2`).set('X-Auth-Token', token);
    expect(head.headers['x-container-object-count']).toBe('2');
    expect(head.headers['x-container-bytes-used']).toBe('13');
    expect(calls('containerUsage')).toBeGreaterThan(0);
  });

  it('account HEAD reports exact counts', async () => {
    expect((await put('c3/b', '123')).status).toBe(201);
    resetCalls();
    const head = await request(app.app).head(path).set('X-Auth-Token', token);
    expect(head.status).toBe(204);
    expect(head.headers['x-account-container-count']).toBe('3');
    expect(head.headers['x-account-object-count']).toBe('3');
    expect(head.headers['x-account-bytes-used']).toBe('16');
    expect(accountCounting()).toBeGreaterThan(0);
  });
});

describe('quotas still count, and only where a quota is set', () => {
  it('container quotas', async () => {
    expect((await request(app.app).put(`${path}/q`).set('X-Auth-Token', token).set('X-Container-Meta-Quota-Count', '1')).status).toBe(201);
    expect((await put('q/a', 'x')).status).toBe(201);
    expect((await put('q/b', 'x')).status).toBe(413);
    resetCalls();
    expect((await put('c/o3', 'x')).status).toBe(201);
    expect(calls('containerUsage')).toBe(0);
  });

  it('account quotas', async () => {
    resetCalls();
    expect((await put('c/free', 'x')).status).toBe(201);
    expect(accountCounting()).toBe(0);
    // Setting an account quota takes a reseller admin (Swift's account_quotas). Stored so far: 16 + 1 + 1 + 1 bytes.
    const admin = await request(app.app).get('/auth/v1.0').set('X-Auth-User', 'admin:admin').set('X-Auth-Key', 'admin');
    expect(admin.status).toBe(200);
    const set = await request(app.app).post(path).set('X-Auth-Token', admin.headers['x-auth-token'] as string).set('X-Account-Meta-Quota-Bytes', '25');
    expect(set.status).toBe(204);
    expect((await put('c/fits', '123456')).status).toBe(201); // 19 + 6 = 25
    expect((await put('c/over', 'y')).status).toBe(413);
    expect(accountCounting()).toBeGreaterThan(0);
  });
});

/** A store that counts which form of each lookup it was asked for. */
class CountingStore extends FakeStore {
  n = { account: 0, accountSettings: 0, container: 0, containerSettings: 0 };
  override async getAccount(ref: AccountRef) { this.n.account++; return super.getAccount(ref); }
  override async getAccountSettings(ref: AccountRef) { this.n.accountSettings++; return super.getAccountSettings(ref); }
  override async getContainer(ref: ContainerRef) { this.n.container++; return super.getContainer(ref); }
  override async getContainerSettings(ref: ContainerRef) { this.n.containerSettings++; return super.getContainerSettings(ref); }
}

/** The two memoized lookups: `existing` names a record the store holds, `get` looks a name up. */
const lookups = [
  {
    what: 'getContainerInfo', existing: 'c', countKey: 'objectCount', full: 'container', cheap: 'containerSettings',
    get: (r: SwiftRequest, s: ObjectStore, container: string, counts?: boolean) =>
      (counts ? getContainerInfo(r, s, 'a', container, { counts: true }) : getContainerInfo(r, s, 'a', container)),
  },
  {
    what: 'getAccountInfo', existing: 'a', countKey: 'bytesUsed', full: 'account', cheap: 'accountSettings',
    get: (r: SwiftRequest, s: ObjectStore, account: string, counts?: boolean) =>
      (counts ? getAccountInfo(r, s, account, { counts: true }) : getAccountInfo(r, s, account)),
  },
] as const;

describe.each(lookups)('$what memo', ({ existing, countKey, full, cheap, get }) => {
  const req = (): SwiftRequest => ({ ctx: { infoCache: new Map() } }) as unknown as SwiftRequest;

  it('serves the counts-less form by default and never serves it to a caller that needs counts', async () => {
    const store = new CountingStore();
    await store.createContainer({ account: 'a', container: 'c' }, { timestamp: '0000000001.00000' });
    const r = req();
    const cheapInfo = await get(r, store, existing);
    expect(cheapInfo).toBeDefined();
    expect(countKey in cheapInfo!).toBe(false);
    expect(await get(r, store, existing)).toBe(cheapInfo);
    expect([store.n[cheap], store.n[full]]).toEqual([1, 0]);

    const counted = await get(r, store, existing, true);
    expect((counted as unknown as Record<string, number>)[countKey]).toBe(0);
    expect([store.n[cheap], store.n[full]]).toEqual([1, 1]);
    // Now memoized with counts: both forms are served from it.
    expect(await get(r, store, existing, true)).toBe(counted);
    expect(await get(r, store, existing)).toBe(counted);
    expect([store.n[cheap], store.n[full]]).toEqual([1, 1]);
  });

  it('memoizes a missing record for both forms', async () => {
    const store = new CountingStore();
    const r = req();
    expect(await get(r, store, 'gone')).toBeUndefined();
    expect(await get(r, store, 'gone', true)).toBeUndefined();
    expect([store.n[cheap], store.n[full]]).toEqual([1, 0]);
  });
});
