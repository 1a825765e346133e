/**
 * proxy-logging: one access line per request, JSON or Swift's text format.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/server.js';
import { testConfig } from '../helpers/app.js';
import { FakeStore } from '../helpers/fake-store.js';

function capture(format: 'json' | 'swift') {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  const config = testConfig({ log: { level: 'info', format } });
  const app = createApp(config, new FakeStore(), pino({ level: 'info' }, sink));
  const access = () => lines.filter((l) => l['log'] === 'proxy-access');
  return { app, access };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('json format', () => {
  it('logs method, path, status, bytes, txn and client for each request', async () => {
    const { app, access } = capture('json');
    const auth = await request(app.app).get('/auth/v1.0').set('X-Auth-User', 'test:tester').set('X-Auth-Key', 'testing');
    const token = auth.headers['x-auth-token'] as string;
    await request(app.app).put('/v1/AUTH_test/c?x=1').set('X-Auth-Token', token).set('X-Forwarded-For', '10.1.2.3, 10.0.0.1');
    const res = await request(app.app).get('/v1/AUTH_test?format=json').set('X-Auth-Token', token).set('User-Agent', 'ua/1');
    await settle();
    const recs = access();
    expect(recs).toHaveLength(3);
    const put = recs[1]!;
    expect(put).toMatchObject({ method: 'PUT', path: '/v1/AUTH_test/c?x=1', status: 201, client_ip: '10.1.2.3', bytes_sent: 0 });
    expect(put['auth_token']).toBe(`${token.slice(0, 16)}...`);
    const get = recs[2]!;
    expect(get).toMatchObject({ method: 'GET', status: 200, user_agent: 'ua/1', txn_id: res.headers['x-trans-id'] });
    expect(get['bytes_sent']).toBe(Buffer.byteLength(res.text));
    expect(typeof get['request_time']).toBe('number');
  });

  it('counts request body bytes and keeps the connection usable when the body is not read', async () => {
    const { app, access } = capture('json');
    const res = await request(app.app).post('/v1/AUTH_test').send('x'.repeat(5000));
    expect(res.status).toBe(401);
    await settle();
    expect(access()[0]).toMatchObject({ method: 'POST', status: 401 });
  });

  it('logs the status of errors thrown below it (412 Bad URL), not 500', async () => {
    const { app, access } = capture('json');
    expect((await request(app.app).get('/v1')).status).toBe(412);
    await settle();
    expect(access()[0]).toMatchObject({ method: 'GET', path: '/v1', status: 412 });
  });
});

describe('swift format', () => {
  it('writes Swift\'s space-separated access line', async () => {
    const { app, access } = capture('swift');
    const res = await request(app.app).head('/v1/AUTH_test/c%20d').set('X-Forwarded-For', '10.9.9.9');
    await settle();
    const line = access()[0]!['msg'] as string;
    const f = line.split(' ');
    expect(f).toHaveLength(21);
    expect(f[0]).toBe('10.9.9.9');
    expect(f[2]).toMatch(/^\d\d\/[A-Z][a-z]{2}\/\d{4}\/\d\d\/\d\d\/\d\d$/);
    expect(f[3]).toBe('HEAD');
    expect(f[4]).toBe('/v1/AUTH_test/c%2520d');
    expect(f[5]).toBe('HTTP/1.1');
    expect(f[6]).toBe('401');
    expect(f[9]).toBe('-');
    expect(f[10]).toBe('-');
    expect(f[11]).toBe('-');
    expect(f[13]).toBe(res.headers['x-trans-id']);
    expect(f[15]).toMatch(/^\d+\.\d{4}$/);
    expect(f[18]).toMatch(/^\d+\.\d{9}$/);
  });
});
