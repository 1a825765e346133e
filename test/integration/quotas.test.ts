import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authToken } from '../helpers/app.js';
import { makeMwApp, putContainer, putObject, type MwApp } from '../helpers/middleware-app.js';

let app: MwApp;
beforeAll(async () => { app = await makeMwApp({ only: ['container-quotas', 'account-quotas'] }); });
afterAll(async () => { await app.close(); });

const put = (a: MwApp, path: string, body: string, token = a.token) =>
  request(a.app).put(`${a.accountPath}/${path}`).set('X-Auth-Token', token).send(body);

describe('container-quotas', () => {
  it('refuses an upload past X-Container-Meta-Quota-Bytes with 413', async () => {
    await putContainer(app, 'qb', { 'X-Container-Meta-Quota-Bytes': '10' });
    expect((await put(app, 'qb/a', '12345')).status).toBe(201);
    const over = await put(app, 'qb/b', '123456');
    expect(over.status).toBe(413);
    expect(over.text).toBe('Upload exceeds quota.');
    expect((await put(app, 'qb/c', '12345')).status).toBe(201);
    expect((await request(app.app).get(`${app.accountPath}/qb/b`).set('X-Auth-Token', app.token)).status).toBe(404);
  });

  it('refuses an object past X-Container-Meta-Quota-Count', async () => {
    await putContainer(app, 'qc', { 'X-Container-Meta-Quota-Count': '1' });
    expect((await put(app, 'qc/a', 'x')).status).toBe(201);
    expect((await put(app, 'qc/b', 'x')).status).toBe(413);
  });

  it('validates quota values on container PUT and POST', async () => {
    const r1 = await request(app.app).put(`${app.accountPath}/bad`).set('X-Auth-Token', app.token)
      .set('X-Container-Meta-Quota-Bytes', 'lots');
    expect(r1.status).toBe(400);
    expect(r1.text).toBe('Invalid bytes quota.');
    const r2 = await request(app.app).post(`${app.accountPath}/qb`).set('X-Auth-Token', app.token)
      .set('X-Container-Meta-Quota-Count', '-1');
    expect(r2.status).toBe(400);
    expect(r2.text).toBe('Invalid count quota.');
  });

  it('gives a caller without write access the auth denial, not the quota', async () => {
    const { token } = await authToken(app, 'test:tester3', 'testing3');
    const r = await put(app, 'qb/intruder', 'far too many bytes', token);
    expect(r.status).toBe(403);
  });

  it('is listed in /info', async () => {
    const info = (await request(app.app).get('/info')).body;
    expect(info.container_quotas).toEqual({});
    expect(info.account_quotas).toEqual({});
  });
});

describe('account-quotas', () => {
  it('lets only a reseller admin set the quota, then enforces it', async () => {
    const denied = await request(app.app).post(app.accountPath).set('X-Auth-Token', app.token)
      .set('X-Account-Meta-Quota-Bytes', '100');
    expect(denied.status).toBe(403);
    const { token: admin } = await authToken(app, 'admin:admin', 'admin');
    const bad = await request(app.app).post(app.accountPath).set('X-Auth-Token', admin).set('X-Account-Meta-Quota-Bytes', 'x');
    expect(bad.status).toBe(400);
    const ok = await request(app.app).post(app.accountPath).set('X-Auth-Token', admin).set('X-Account-Meta-Quota-Bytes', '40');
    expect(ok.status).toBe(204);
    await putContainer(app, 'aq');
    const over = await put(app, 'aq/big', 'y'.repeat(100));
    expect(over.status).toBe(413);
    expect(over.text).toBe('Upload exceeds quota.');
    // The owner may still not remove it; the reseller can.
    const rm = await request(app.app).post(app.accountPath).set('X-Auth-Token', app.token)
      .set('X-Remove-Account-Meta-Quota-Bytes', 'x');
    expect(rm.status).toBe(403);
    const lift = await request(app.app).post(app.accountPath).set('X-Auth-Token', admin).set('X-Remove-Account-Meta-Quota-Bytes', 'x');
    expect(lift.status).toBe(204);
    expect((await put(app, 'aq/big', 'y'.repeat(100))).status).toBe(201);
  });

  it('answers strangers with their auth denial before the quota', async () => {
    const b = await makeMwApp({ only: ['account-quotas'] });
    try {
      const { token: admin } = await authToken(b, 'admin:admin', 'admin');
      await request(b.app).post(b.accountPath).set('X-Auth-Token', admin).set('X-Account-Meta-Quota-Bytes', '1');
      await putContainer(b, 'c');
      const { token: other } = await authToken(b, 'test2:tester2', 'testing2');
      expect((await put(b, 'c/o', 'too big', other)).status).toBe(403);
      expect((await put(b, 'c/o', 'too big')).status).toBe(413);
    } finally {
      await b.close();
    }
  });
});
