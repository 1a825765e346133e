/**
 * A store failure that the client gets as a 5xx is logged at warn with the trans id and the chain of
 * causes (api/errors.ts toLoggedSwiftError), whichever layer turns it into the response: the object
 * controller, catch_errors, or a middleware's subrequest (callBelow). Client errors are not logged so.
 */
import { Readable, Writable } from 'node:stream';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/api/context.js';
import { parseQuery, type SwiftRequest } from '../../src/api/http.js';
import { callBelow } from '../../src/api/middleware/common/call-below.js';
import { createLogger } from '../../src/log.js';
import { createApp } from '../../src/server.js';
import { BrickUnavailable, InsufficientStorage, QuorumNotMet, Timeout } from '../../src/storage/errors.js';
import { authToken, testConfig } from '../helpers/app.js';
import { FakeStore } from '../helpers/fake-store.js';

/** A logger at warn and the JSON lines it wrote. */
function sink() {
  const lines: Array<Record<string, unknown>> = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'warn', format: 'json' }, out) };
}

/** An app over FakeStore logging at warn, and the JSON lines it wrote. */
async function logged() {
  const { lines, logger } = sink();
  const config = testConfig({ log: { level: 'warn', format: 'json' } });
  const store = new FakeStore();
  const app = createApp(config, store, logger);
  const { token } = await authToken(app);
  await request(app.app).put('/v1/AUTH_test/c').set('X-Auth-Token', token).expect(201);
  return { app, store, token, lines };
}

/** What a brick failure under a replica write looks like by the time it reaches the API. */
function quorumLost(): QuorumNotMet {
  const io = Object.assign(new Error('I/O worker died'), { code: 'EIO' });
  return new QuorumNotMet(1, 0, { cause: new BrickUnavailable('brick-7', { cause: io }) });
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('a store failure answered 5xx is logged with its cause', () => {
  it('object PUT (the object controller maps it): one warn line with the trans id and every cause', async () => {
    const { app, store, token, lines } = await logged();
    store.putObject = async () => { throw quorumLost(); };
    const res = await request(app.app).put('/v1/AUTH_test/c/o').set('X-Auth-Token', token).send('data');
    expect(res.status).toBe(503);
    await settle();
    const warns = lines.filter((l) => l['level'] === 40);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ txn: res.headers['x-trans-id'], status: 503 });
    expect(warns[0]!['causes']).toEqual([
      'QuorumNotMet [QUORUM_NOT_MET]: quorum not met: needed 1, got 0',
      'BrickUnavailable [BRICK_UNAVAILABLE]: brick unavailable: brick-7',
      'Error [EIO]: I/O worker died',
    ]);
    expect(String(warns[0]!['msg'])).toContain('I/O worker died');
    expect(String(warns[0]!['stack'])).toContain('I/O worker died'); // where the innermost cause came from
  });

  it('account GET (catch_errors maps it) and a timeout or a full volume alike', async () => {
    const { app, store, token, lines } = await logged();
    store.getAccount = async () => { throw new Timeout('brick b2 did not answer within 30000 ms'); };
    const res = await request(app.app).head('/v1/AUTH_test').set('X-Auth-Token', token);
    expect(res.status).toBe(503);
    store.putObject = async () => { throw new InsufficientStorage('replica set 0: not enough bricks with free space'); };
    const full = await request(app.app).put('/v1/AUTH_test/c/o').set('X-Auth-Token', token).send('x');
    expect(full.status).toBe(503);
    await settle();
    const warns = lines.filter((l) => l['level'] === 40);
    expect(warns.map((w) => w['txn'])).toEqual([res.headers['x-trans-id'], full.headers['x-trans-id']]);
    expect(warns[0]!['causes']).toEqual(['Timeout [TIMEOUT]: brick b2 did not answer within 30000 ms']);
    expect(warns[1]!['causes']).toEqual(['InsufficientStorage [INSUFFICIENT_STORAGE]: replica set 0: not enough bricks with free space']);
  });

  it('a middleware calling below (callBelow) gets the response and the failure is logged', async () => {
    const { lines, logger } = sink();
    const ctx = createContext({ txnId: 'tx-below', log: logger.child({ txn: 'tx-below' }), signal: new AbortController().signal });
    const req: SwiftRequest = { method: 'GET', rawPath: '/v1/a/c', path: '/v1/a/c', pathIsUtf8: true, rawQuery: '',
      query: parseQuery(''), headers: {}, body: Readable.from([]), ctx };
    const res = await callBelow(async () => { throw quorumLost(); }, req);
    expect(res.status).toBe(503);
    await settle();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, txn: 'tx-below', status: 503 });
  });

  it('client errors from the store (404) are not logged as failures', async () => {
    const { app, token, lines } = await logged();
    await request(app.app).get('/v1/AUTH_test/c/missing').set('X-Auth-Token', token).expect(404);
    await request(app.app).get('/v1/AUTH_test/nope').set('X-Auth-Token', token).expect(404);
    await settle();
    expect(lines.filter((l) => (l['level'] as number) >= 40)).toEqual([]);
  });
});
