/**
 * etag-quoter (Swift's etag_quoter): quoted object ETags per container / account / default, the
 * client header stored as sysmeta and shown back, /info. Mirrors Swift's functional test_etag_quoter.
 */
import { createHash } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authToken, makeApiApp, type ApiTestApp } from '../helpers/app.js';
import { TEMPAUTH } from '../helpers/middleware-app.js';

const PIPELINE = ['catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'etag-quoter', 'listing_formats', 'tempauth'];
const MD5 = createHash('md5').update('test').digest('hex');

async function setup(enableByDefault: boolean): Promise<{ app: ApiTestApp; token: string }> {
  const app = await makeApiApp({
    pipeline: PIPELINE,
    middleware: { tempauth: TEMPAUTH, 'etag-quoter': { enable_by_default: enableByDefault } },
  });
  const { token } = await authToken(app);
  await request(app.app).put('/v1/AUTH_test/c').set('X-Auth-Token', token).expect(201);
  await request(app.app).put('/v1/AUTH_test/c/o').set('X-Auth-Token', token).send('test').expect(201);
  return { app, token };
}

describe('etag-quoter', () => {
  let app: ApiTestApp;
  let token: string;
  beforeAll(async () => { ({ app, token } = await setup(false)); });
  afterAll(async () => { await app.close(); });

  const etag = async () => (await request(app.app).head('/v1/AUTH_test/c/o').set('X-Auth-Token', token)).headers['etag'];
  const post = (path: string, h: Record<string, string>) => request(app.app).post(path).set('X-Auth-Token', token).set(h);

  it('is in /info with enable_by_default', async () => {
    expect((await request(app.app).get('/info')).body.etag_quoter).toEqual({ enable_by_default: false });
  });

  it('container flag, then account flag, then the default decide', async () => {
    expect(await etag()).toBe(MD5);
    expect((await post('/v1/AUTH_test/c', { 'X-Container-Rfc-Compliant-Etags': 't' })).status).toBe(204);
    expect(await etag()).toBe(`"${MD5}"`);
    expect((await post('/v1/AUTH_test', { 'X-Account-Rfc-Compliant-Etags': 't' })).status).toBe(204);
    expect((await post('/v1/AUTH_test/c', { 'X-Container-Rfc-Compliant-Etags': '' })).status).toBe(204);
    expect(await etag()).toBe(`"${MD5}"`); // from the account now
    expect((await post('/v1/AUTH_test/c', { 'X-Container-Rfc-Compliant-Etags': 'f' })).status).toBe(204);
    expect(await etag()).toBe(MD5); // the container turns it off
    const get = await request(app.app).get('/v1/AUTH_test/c/o').set('X-Auth-Token', token);
    expect(get.headers['etag']).toBe(MD5);
  });

  it('shows the flag under the client name, never as sysmeta, and X-Remove- clears it', async () => {
    await post('/v1/AUTH_test/c', { 'X-Container-Rfc-Compliant-Etags': 'yes' }).expect(204);
    let head = await request(app.app).head('/v1/AUTH_test/c').set('X-Auth-Token', token);
    expect(head.headers['x-container-rfc-compliant-etags']).toBe('True');
    expect(head.headers['x-container-sysmeta-rfc-compliant-etags']).toBeUndefined();
    await post('/v1/AUTH_test/c', { 'X-Remove-Container-Rfc-Compliant-Etags': 'x' }).expect(204);
    head = await request(app.app).head('/v1/AUTH_test/c').set('X-Auth-Token', token);
    expect(head.headers['x-container-rfc-compliant-etags']).toBeUndefined();
    const acct = await request(app.app).head('/v1/AUTH_test').set('X-Auth-Token', token);
    expect(acct.headers['x-account-rfc-compliant-etags']).toBe('True');
  });
});

describe('etag-quoter enable_by_default', () => {
  it('quotes unless a flag says otherwise, and leaves quoted values alone', async () => {
    const { app, token } = await setup(true);
    try {
      const head = await request(app.app).head('/v1/AUTH_test/c/o').set('X-Auth-Token', token);
      expect(head.headers['etag']).toBe(`"${MD5}"`);
      await request(app.app).post('/v1/AUTH_test/c').set('X-Auth-Token', token).set('X-Container-Rfc-Compliant-Etags', 'no').expect(204);
      expect((await request(app.app).head('/v1/AUTH_test/c/o').set('X-Auth-Token', token)).headers['etag']).toBe(MD5);
    } finally {
      await app.close();
    }
  });
});
