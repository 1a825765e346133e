/**
 * Object requests read the container's record without its counts (ObjectStore.getContainerSettings):
 * no per-set counter read per GET/HEAD/PUT. Whatever shows or enforces counts still gets exact ones:
 * container HEAD/GET, container quotas, a later lookup in the same request that needs them.
 */
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getContainerInfo } from '../../src/api/info-cache.js';
import type { SwiftRequest } from '../../src/api/http.js';
import { createApp, type CairnApp } from '../../src/server.js';
import { FaultyBrick } from '../../src/storage/brick/faulty.js';
import { makeBrick } from '../../src/storage/brick-spec.js';
import type { ContainerRef, ObjectStore } from '../../src/storage/store.js';
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
  const config = testConfig({ pipeline: [...BASE_PIPELINE, 'container-quotas'] });
  volume = await openVolume({ ...config.volume, bricks: config.volume.bricks.map((b) => `${b}-counts-${process.pid}`) }, {
    brickFactory: async (spec, vol) => { const b = new FaultyBrick(await makeBrick(spec, vol)); bricks.push(b); return b; },
  });
  app = createApp(config, volume, pino({ level: 'silent' }));
  ({ token, path } = await authToken(app));
  expect((await request(app.app).put(`${path}/c`).set('X-Auth-Token', token)).status).toBe(201);
});
afterAll(async () => { await volume.close(); });

const usageReads = (): number => bricks.reduce((n, b) => n + b.calls.containerUsage, 0);
const put = (name: string, body: string) => request(app.app).put(`${path}/${name}`).set('X-Auth-Token', token).send(body);

describe('container counts', () => {
  it('object PUT, GET and HEAD read no container counters', async () => {
    bricks.forEach((b) => b.resetCalls());
    expect((await put('c/o1', 'hello')).status).toBe(201);
    expect((await request(app.app).get(`${path}/c/o1`).set('X-Auth-Token', token)).text).toBe('hello');
    expect((await request(app.app).head(`${path}/c/o1`).set('X-Auth-Token', token)).status).toBe(200);
    expect(usageReads()).toBe(0);
    expect(bricks.reduce((n, b) => n + b.calls.getContainer, 0)).toBeGreaterThan(0); // existence is still checked
  });

  it('a missing container is still a 404 for object requests', async () => {
    expect((await put('nope/o', 'x')).status).toBe(404);
    expect((await request(app.app).get(`${path}/nope/o`).set('X-Auth-Token', token)).status).toBe(404);
  });

  it('container HEAD reports exact counts', async () => {
    expect((await put('c/o2', '12345678')).status).toBe(201);
    bricks.forEach((b) => b.resetCalls());
    const head = await request(app.app).head(`${path}/c`).set('X-Auth-Token', token);
    expect(head.headers['x-container-object-count']).toBe('2');
    expect(head.headers['x-container-bytes-used']).toBe('13');
    expect(usageReads()).toBeGreaterThan(0);
  });

  it('container quotas still count: a container with a quota pays for its counts, one without does not', async () => {
    expect((await request(app.app).put(`${path}/q`).set('X-Auth-Token', token).set('X-Container-Meta-Quota-Count', '1')).status).toBe(201);
    expect((await put('q/a', 'x')).status).toBe(201);
    expect((await put('q/b', 'x')).status).toBe(413);
    bricks.forEach((b) => b.resetCalls());
    expect((await put('c/o3', 'x')).status).toBe(201);
    expect(usageReads()).toBe(0);
  });
});

/** A store that says which form of the container lookup it was asked for. */
class CountingStore extends FakeStore {
  full = 0;
  settings = 0;
  override async getContainer(ref: ContainerRef) { this.full++; return super.getContainer(ref); }
  override async getContainerSettings(ref: ContainerRef) { this.settings++; return super.getContainerSettings(ref); }
}

describe('getContainerInfo memo', () => {
  const req = (): SwiftRequest => ({ ctx: { infoCache: new Map() } }) as unknown as SwiftRequest;

  it('serves the counts-less form by default and never serves it to a caller that needs counts', async () => {
    const store = new CountingStore();
    await store.createContainer({ account: 'a', container: 'c' }, { timestamp: '0000000001.00000' });
    const r = req();
    const cheap = await getContainerInfo(r, store as ObjectStore, 'a', 'c');
    expect(cheap).toBeDefined();
    expect('objectCount' in cheap!).toBe(false);
    expect(await getContainerInfo(r, store, 'a', 'c')).toBe(cheap);
    expect([store.settings, store.full]).toEqual([1, 0]);

    const counted = await getContainerInfo(r, store, 'a', 'c', { counts: true });
    expect(counted?.objectCount).toBe(0);
    expect([store.settings, store.full]).toEqual([1, 1]);
    // Now memoized with counts: both forms are served from it.
    expect(await getContainerInfo(r, store, 'a', 'c', { counts: true })).toBe(counted);
    expect(await getContainerInfo(r, store, 'a', 'c')).toBe(counted);
    expect([store.settings, store.full]).toEqual([1, 1]);
  });

  it('memoizes a missing container for both forms', async () => {
    const store = new CountingStore();
    const r = req();
    expect(await getContainerInfo(r, store, 'a', 'gone')).toBeUndefined();
    expect(await getContainerInfo(r, store, 'a', 'gone', { counts: true })).toBeUndefined();
    expect([store.settings, store.full]).toEqual([1, 0]);
  });
});
