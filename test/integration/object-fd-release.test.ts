import { readdirSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authToken, makeTestApp, type TestApp } from '../helpers/app.js';

/** Open file descriptors of this process (Linux). */
function openFds(): number { return readdirSync('/proc/self/fd').length; }

describe('GET releases the store reader when the body ends', () => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await makeTestApp({}, { local: true });
    ({ token } = await authToken(app));
    await request(app.app).put('/v1/AUTH_test/fds').set('X-Auth-Token', token).expect(201);
    await request(app.app).put('/v1/AUTH_test/fds/o').set('X-Auth-Token', token).send('x'.repeat(5000)).expect(201);
  });
  afterAll(async () => { await app.close(); });

  it('does not keep a file open per fully read GET (whole object and ranges)', async () => {
    for (let i = 0; i < 3; i++) await request(app.app).get('/v1/AUTH_test/fds/o').set('X-Auth-Token', token).expect(200);
    const before = openFds();
    for (let i = 0; i < 40; i++) {
      await request(app.app).get('/v1/AUTH_test/fds/o').set('X-Auth-Token', token).expect(200);
      await request(app.app).get('/v1/AUTH_test/fds/o').set('X-Auth-Token', token).set('Range', 'bytes=10-20').expect(206);
    }
    expect(openFds() - before).toBeLessThan(10);
  });
});
