/**
 * Object requests read the account's record without its counts (ObjectStore.getAccountSettings):
 * counting an account reads every set's usage and walks all its containers, which no object request
 * needs (rate limits, ACLs and TempURL keys read metadata only). Whatever shows or enforces the
 * counts still gets exact ones: account HEAD/GET and account quotas.
 */
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAccountInfo } from '../../src/api/info-cache.js';
import type { SwiftRequest } from '../../src/api/http.js';
import { createApp, type CairnApp } from '../../src/server.js';
import { FaultyBrick } from '../../src/storage/brick/faulty.js';
import { makeBrick } from '../../src/storage/brick-spec.js';
import type { AccountRef, ObjectStore } from '../../src/storage/store.js';
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
  // ratelimit reads the account on every object write; account-quotas on every object PUT.
  const config = testConfig({ pipeline: [...BASE_PIPELINE.slice(0, -1), 'ratelimit', 'tempauth', 'account-quotas'] });
  volume = await openVolume({ ...config.volume, bricks: config.volume.bricks.map((b) => `${b}-acounts-${process.pid}`) }, {
    brickFactory: async (spec, vol) => { const b = new FaultyBrick(await makeBrick(spec, vol)); bricks.push(b); return b; },
  });
  app = createApp(config, volume, pino({ level: 'silent' }));
  ({ token, path } = await authToken(app));
  for (const c of ['c1', 'c2', 'c3']) expect((await request(app.app).put(`${path}/${c}`).set('X-Auth-Token', token)).status).toBe(201);
});
afterAll(async () => { await volume.close(); });

const countingReads = (): number => bricks.reduce((n, b) => n + b.calls.accountUsage + b.calls.listContainers, 0);
const put = (name: string, body: string) => request(app.app).put(`${path}/${name}`).set('X-Auth-Token', token).send(body);

describe('account counts', () => {
  it('object PUT, GET, HEAD, POST and DELETE neither read account usage nor walk the containers', async () => {
    bricks.forEach((b) => b.resetCalls());
    expect((await put('c1/o1', 'hello')).status).toBe(201);
    expect((await request(app.app).get(`${path}/c1/o1`).set('X-Auth-Token', token)).text).toBe('hello');
    expect((await request(app.app).head(`${path}/c1/o1`).set('X-Auth-Token', token)).status).toBe(200);
    expect((await request(app.app).post(`${path}/c1/o1`).set('X-Auth-Token', token).set('X-Object-Meta-A', 'b')).status).toBe(202);
    expect((await request(app.app).delete(`${path}/c1/o1`).set('X-Auth-Token', token)).status).toBe(204);
    expect(countingReads()).toBe(0);
    // The account record itself is still read (rate limits look at its metadata).
    expect(bricks.reduce((n, b) => n + b.calls.getAccount, 0)).toBeGreaterThan(0);
  });

  it('account HEAD reports exact counts', async () => {
    expect((await put('c2/a', '1234')).status).toBe(201);
    expect((await put('c3/b', '123456')).status).toBe(201);
    bricks.forEach((b) => b.resetCalls());
    const head = await request(app.app).head(path).set('X-Auth-Token', token);
    expect(head.status).toBe(204);
    expect(head.headers['x-account-container-count']).toBe('3');
    expect(head.headers['x-account-object-count']).toBe('2');
    expect(head.headers['x-account-bytes-used']).toBe('10');
    expect(countingReads()).toBeGreaterThan(0);
  });

  it('an account quota still counts: PUTs over it are refused, and only an account with a quota pays for counts', async () => {
    bricks.forEach((b) => b.resetCalls());
    expect((await put('c1/free', 'x')).status).toBe(201);
    expect(countingReads()).toBe(0);

    // Setting the quota takes a reseller admin (Swift's account_quotas).
    const admin = await request(app.app).get('/auth/v1.0').set('X-Auth-User', 'admin:admin').set('X-Auth-Key', 'admin');
    expect(admin.status).toBe(200);
    const set = await request(app.app).post(path).set('X-Auth-Token', admin.headers['x-auth-token'] as string).set('X-Account-Meta-Quota-Bytes', '20');
    expect(set.status).toBe(204);
    expect((await put('c1/fits', '123456789')).status).toBe(201); // 11 + 9 = 20 bytes
    expect((await put('c1/over', 'y')).status).toBe(413);
    expect(countingReads()).toBeGreaterThan(0);
  });
});

/** A store that says which form of the account lookup it was asked for. */
class CountingStore extends FakeStore {
  full = 0;
  settings = 0;
  override async getAccount(ref: AccountRef) { this.full++; return super.getAccount(ref); }
  override async getAccountSettings(ref: AccountRef) { this.settings++; return super.getAccountSettings(ref); }
}

describe('getAccountInfo memo', () => {
  const req = (): SwiftRequest => ({ ctx: { infoCache: new Map() } }) as unknown as SwiftRequest;

  it('serves the counts-less form by default and never serves it to a caller that needs counts', async () => {
    const store = new CountingStore();
    await store.createAccount({ account: 'a' }, { timestamp: '0000000001.00000', metadata: { 'x-account-meta-k': 'v' } });
    const r = req();
    const cheap = await getAccountInfo(r, store as ObjectStore, 'a');
    expect(cheap?.account).toBe('a');
    expect('bytesUsed' in cheap!).toBe(false);
    expect(await getAccountInfo(r, store, 'a')).toBe(cheap);
    expect([store.settings, store.full]).toEqual([1, 0]);

    const counted = await getAccountInfo(r, store, 'a', { counts: true });
    expect(counted?.bytesUsed).toBe(0);
    expect([store.settings, store.full]).toEqual([1, 1]);
    expect(await getAccountInfo(r, store, 'a')).toBe(counted);
    expect([store.settings, store.full]).toEqual([1, 1]);
  });

  it('memoizes a missing account for both forms', async () => {
    const store = new CountingStore();
    const r = req();
    expect(await getAccountInfo(r, store, 'gone')).toBeUndefined();
    expect(await getAccountInfo(r, store, 'gone', { counts: true })).toBeUndefined();
    expect([store.settings, store.full]).toEqual([1, 0]);
  });
});
