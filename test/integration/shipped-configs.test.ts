/**
 * The configs the repository ships must build a working app: every middleware they name exists and
 * accepts its options, and their users can authenticate. (Bricks are swapped for memory bricks so
 * nothing is written under storage/.)
 */
import pino from 'pino';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/server.js';
import type { ObjectStore } from '../../src/storage/store.js';
import { openPolicyStore, policySpecs } from '../../src/storage/policy-store.js';
import { openVolume } from '../../src/storage/volume.js';

const opened: ObjectStore[] = [];
afterAll(async () => { await Promise.all(opened.map((s) => s.close())); });

let seq = 0;
async function appFor(file: string) {
  const config = loadConfig(file, {}, {});
  const n = ++seq;
  const memory = <T extends { bricks: string[] }>(v: T, p: number): T =>
    ({ ...v, bricks: v.bricks.map((_b, i) => `memory:shipped-${process.pid}-${n}-${p}-${i}`) });
  if (config.policies) {
    config.policies = config.policies.map((p, i) => ({ ...p, volume: memory(p.volume, i) }));
    config.volume = config.policies.find((p) => p.default)!.volume;
  } else {
    config.volume = memory(config.volume, 0);
  }
  config.log = { ...config.log, level: 'silent' };
  const store = await openPolicyStore(policySpecs(config), (spec) => openVolume(spec));
  opened.push(store);
  return { config, app: createApp(config, store, pino({ level: 'silent' })).app };
}

describe.each([
  ['config/default.yaml', [['test:tester', 'testing'], ['admin:admin', 'admin']]],
  ['config/functests.yaml', [['test:tester', 'testing'], ['test:tester3', 'testing3'], ['test2:tester2', 'testing2'], ['test5:tester5', 'testing5']]],
] as const)('%s', (file, users) => {
  it('builds the app, answers /healthcheck and /info, and authenticates its users', async () => {
    const { config, app } = await appFor(file);
    expect((await request(app).get('/healthcheck')).text).toBe('OK');
    const info = await request(app).get('/info');
    expect(info.status).toBe(200);
    for (const name of ['tempurl', 'slo', 'bulk_delete', 'symlink']) {
      if (config.pipeline.includes(name === 'bulk_delete' ? 'bulk' : name)) expect(Object.keys(info.body)).toContain(name);
    }
    // Every policy the config declares is published (functests.yaml has the anchor SAIO's gold and silver).
    const policies = (info.body as { swift: { policies: Array<{ name: string }> } }).swift.policies.map((p) => p.name);
    expect(policies).toEqual(config.policies ? config.policies.map((p) => p.name) : ['Policy-0']);
    if (file === 'config/functests.yaml') expect(policies).toEqual(['gold', 'silver']);
    for (const [user, key] of users) {
      const r = await request(app).get('/auth/v1.0').set('X-Auth-User', user).set('X-Auth-Key', key);
      expect(r.status, user).toBe(200);
      expect(r.headers['x-storage-url']).toMatch(new RegExp(`/v1/AUTH_${user.split(':')[0]!}$`));
    }
    // The first user owns its account.
    const auth = await request(app).get('/auth/v1.0').set('X-Auth-User', users[0][0]).set('X-Auth-Key', users[0][1]);
    const head = await request(app).head(new URL(auth.headers['x-storage-url'] as string).pathname)
      .set('X-Auth-Token', auth.headers['x-auth-token'] as string);
    expect(head.status).toBe(204);
  });
});
