import request from 'supertest';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExpiryPass, startExpirer } from '../../src/api/expirer.js';
import type { ObjectStore } from '../../src/storage/store.js';
import { makeMwApp, putContainer, putObject, type MwApp } from '../helpers/middleware-app.js';

let app: MwApp;
const logger = pino({ level: 'silent' });
const status = async (path: string) =>
  (await request(app.app).head(`${app.accountPath}/${path}`).set('X-Auth-Token', app.token)).status;

beforeAll(async () => {
  app = await makeMwApp({});
  await putContainer(app, 'exp');
});
afterAll(async () => { await app.close(); });

describe('expirer', () => {
  it('deletes objects whose X-Delete-At has passed, through the pipeline', async () => {
    const soon = Math.floor(Date.now() / 1000) + 100;
    await putObject(app, 'exp/a', 'a', { 'X-Delete-At': String(soon) });
    await putObject(app, 'exp/b', 'b', { 'X-Delete-At': String(soon + 50) });
    await putObject(app, 'exp/keep', 'k');
    // A pass "at" soon+10 takes only a; one at soon+60 takes b as well.
    const first = await runExpiryPass(app.handler, { store: app.store, logger }, { now: soon + 10 });
    expect(first).toEqual({ found: 1, deleted: 1, notFound: 0, skipped: 0, failed: 0 });
    expect(await status('exp/a')).toBe(404);
    expect(await status('exp/b')).toBe(200);
    const second = await runExpiryPass(app.handler, { store: app.store, logger }, { now: soon + 60, limit: 10 });
    expect(second.deleted).toBe(1);
    expect(await status('exp/b')).toBe(404);
    expect(await status('exp/keep')).toBe(200);
  });

  it('leaves an object alone when its X-Delete-At changed since it was listed (X-If-Delete-At)', async () => {
    const at = Math.floor(Date.now() / 1000) + 100;
    await putObject(app, 'exp/moved', 'm', { 'X-Delete-At': String(at) });
    const listed = await app.store.listExpired(at + 1, 10);
    const stale = listed.find((o) => o.object === 'moved')!;
    expect(stale).toBeDefined();
    // The owner moved the expiry meanwhile.
    const post = await request(app.app).post(`${app.accountPath}/exp/moved`).set('X-Auth-Token', app.token)
      .set('X-Delete-At', String(at + 1000));
    expect(post.status).toBe(202);
    const store = { ...app.store, listExpired: async () => [stale] } as unknown as ObjectStore;
    const r = await runExpiryPass(app.handler, { store, logger }, { now: at + 1 });
    expect(r).toEqual({ found: 1, deleted: 0, notFound: 0, skipped: 1, failed: 0 });
    expect(await status('exp/moved')).toBe(200);
  });

  it('paces deletes at tasksPerSecond', async () => {
    const at = Math.floor(Date.now() / 1000) + 100;
    for (let i = 0; i < 4; i++) await putObject(app, `exp/p${i}`, 'p', { 'X-Delete-At': String(at) });
    const start = Date.now();
    const r = await runExpiryPass(app.handler, { store: app.store, logger }, { now: at + 1, tasksPerSecond: 20 });
    expect(r.deleted).toBe(4);
    // 4 deletes at 20/s: the 4th is not issued before 150 ms.
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
  });

  it('runs in the background until stopped', async () => {
    const at = Math.floor(Date.now() / 1000) + 1;
    await putObject(app, 'exp/bg', 'x', { 'X-Delete-At': String(at) });
    const expirer = startExpirer(app.handler, { store: app.store, logger }, { intervalMs: 100 });
    try {
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && (await app.store.listExpired(at, 10)).some((o) => o.object === 'bg')) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await app.store.listExpired(at + 10, 10)).some((o) => o.object === 'bg')).toBe(false);
    } finally {
      await expirer.stop();
    }
  });
});
