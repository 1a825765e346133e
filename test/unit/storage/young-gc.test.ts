import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { SCAVENGE_EVERY_BYTES, streamed } from '../../../src/storage/young-gc.js';
import { makeTestApp, type TestApp } from '../../helpers/app.js';
import { sendBody } from '../../../src/send-body.js';
import { startBrickServer, type BrickServer } from '../../../src/brickd/server.js';
import { RemoteBrick } from '../../../src/storage/brick/remote.js';
import { put, readData, ref, ts } from './brick/helpers.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultyBrick } from '../../../src/storage/brick/faulty.js';
import { makeBrick } from '../../../src/storage/brick-spec.js';
import { Healer } from '../../../src/storage/heal.js';
import { openVolume } from '../../../src/storage/volume.js';
import { body, md5, ts as nowTs } from './store-helpers.js';

/** Young-generation collections seen while `work` runs (and shortly after: entries are delivered async). */
async function minorGcsDuring(work: () => Promise<void> | void): Promise<number> {
  const seen: PerformanceEntry[] = [];
  const obs = new PerformanceObserver((list) => { seen.push(...list.getEntries()); });
  obs.observe({ entryTypes: ['gc'] });
  try {
    await work();
    await new Promise((r) => setTimeout(r, 100)); // gc entries are delivered after the collection, on a later turn
  } finally {
    obs.disconnect();
  }
  return seen.filter((e) => (e.detail as { kind?: number } | undefined)?.kind === constants.NODE_PERFORMANCE_GC_MINOR).length;
}

describe('young-generation collections paced by streamed bytes', () => {
  it('asks for one scavenge per SCAVENGE_EVERY_BYTES streamed, not before', async () => {
    // Settle the counter: whatever earlier calls left is at most one threshold.
    streamed(SCAVENGE_EVERY_BYTES);
    const chunk = 64 * 1024;
    const rounds = 5;
    const n = await minorGcsDuring(() => {
      for (let sent = 0; sent < rounds * SCAVENGE_EVERY_BYTES; sent += chunk) streamed(chunk);
    });
    // Nothing else here allocates enough for V8 to scavenge by itself this often.
    expect(n).toBeGreaterThanOrEqual(rounds - 1);
    expect(n).toBeLessThanOrEqual(rounds + 2);
  });

  it('does not put gc on the global object', () => {
    streamed(SCAVENGE_EVERY_BYTES);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });

  it('counts the bytes of response bodies (sendBody)', async () => {
    const size = 4 * SCAVENGE_EVERY_BYTES;
    const res = new PassThrough();
    res.resume();
    const n = await minorGcsDuring(async () => {
      const block = Buffer.alloc(256 * 1024, 1);
      const body = Readable.from((function* () { for (let i = 0; i < size / block.length; i++) yield block; })());
      await sendBody(body, res as never, size);
    });
    expect(n).toBeGreaterThanOrEqual(3);
  });

  describe('through the API', () => {
    let app: TestApp;
    let token: string;
    beforeAll(async () => {
      app = await makeTestApp({}, { local: true });
      const auth = await request(app.app).get('/auth/v1.0').set('X-Auth-User', 'test:tester').set('X-Auth-Key', 'testing');
      token = auth.headers['x-auth-token'] as string;
      await request(app.app).put('/v1/AUTH_test/ygc').set('X-Auth-Token', token).expect(201);
    });
    afterAll(async () => { await app.close(); });

    it('counts the bytes of object PUT bodies (the replica fan-out)', async () => {
      const body = Buffer.alloc(8 * SCAVENGE_EVERY_BYTES, 7);
      const n = await minorGcsDuring(async () => {
        await request(app.app).put('/v1/AUTH_test/ygc/big').set('X-Auth-Token', token).send(body).expect(201);
      });
      expect(n).toBeGreaterThanOrEqual(6);
    });
  });

  describe('on a brick server', () => {
    let dir: string;
    let server: BrickServer;
    let brick: RemoteBrick;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'cairn-ygc-'));
      server = await startBrickServer({ bricks: [{ name: 'b', dir }], secret: 'young-gc-secret-0123456789', host: '127.0.0.1', port: 0, fsync: false, auditGraceMs: 0 });
      brick = new RemoteBrick(`${server.url}/b`, { secret: 'young-gc-secret-0123456789', volumeId: 'vol-ygc', callTimeoutMs: 5000 });
      await brick.open();
    });
    afterAll(async () => {
      await brick.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('counts the bytes of uploads and of reads through pinned handles', async () => {
      // Both ends run in this process: the gateway side streams no counted bytes of its own here.
      const body = Buffer.alloc(8 * SCAVENGE_EVERY_BYTES, 3);
      let rec: Awaited<ReturnType<typeof put>> | undefined;
      const up = await minorGcsDuring(async () => { rec = await put(brick, ref('big'), ts(1), body); });
      expect(up).toBeGreaterThanOrEqual(6);
      const down = await minorGcsDuring(async () => { expect((await readData(brick, rec!)).length).toBe(body.length); });
      expect(down).toBeGreaterThanOrEqual(6);
    });
  });

  it('counts the bytes of heal copies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-ygc-heal-'));
    const faulty: FaultyBrick[] = [];
    const volume = await openVolume({ id: 'ygc-heal', bricks: [join(dir, 'b0'), join(dir, 'b1')], replica: 2, fsync: false }, {
      brickFactory: async (spec, vol) => {
        const f = new FaultyBrick(await makeBrick(spec, vol));
        faulty.push(f);
        return f;
      },
      brickRetryMs: 30,
    });
    const healer = new Healer(volume, { intervalMs: 0, inflightGraceMs: 0 });
    try {
      const o = { account: 'AUTH_y', container: 'c', object: 'big' };
      await volume.createContainer({ account: o.account, container: o.container }, { timestamp: nowTs() });
      faulty[1]!.disappear();
      const big = Buffer.alloc(8 * SCAVENGE_EVERY_BYTES, 5);
      await volume.putObject(o, body(big), { timestamp: nowTs(), contentType: 'x/y', contentLength: big.length });
      faulty[1]!.heal();
      await new Promise((r) => setTimeout(r, 50)); // past the retry time: brick 1 is asked again
      const n = await minorGcsDuring(async () => { await healer.healPending(); });
      expect((await faulty[1]!.getRecord(o))?.etag).toBe(md5(big));
      expect(n).toBeGreaterThanOrEqual(6);
    } finally {
      await healer.stop();
      await volume.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
