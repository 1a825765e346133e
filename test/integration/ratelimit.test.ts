import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { interpretLimits, maxRate, RateClock } from '../../src/api/middleware/ratelimit.js';
import { makeMwApp, putContainer, putObject, type MwApp } from '../helpers/middleware-app.js';

const apps: MwApp[] = [];
afterAll(async () => { for (const a of apps) await a.close(); });
async function app(ratelimit: Record<string, unknown>): Promise<MwApp> {
  const a = await makeMwApp({ only: ['ratelimit'], middleware: { ratelimit } });
  apps.push(a);
  return a;
}

describe('ratelimit', () => {
  it('answers 498 "Slow down" when a container PUT would sleep past max_sleep_time_seconds', async () => {
    const a = await app({ account_ratelimit: 1, max_sleep_time_seconds: 0.2 });
    const first = await request(a.app).put(`${a.accountPath}/r1`).set('X-Auth-Token', a.token);
    expect(first.status).toBe(201);
    const second = await request(a.app).put(`${a.accountPath}/r2`).set('X-Auth-Token', a.token);
    expect(second.status).toBe(498);
    expect(second.text).toBe('Slow down');
    // Object writes are not limited by account_ratelimit.
    expect((await request(a.app).put(`${a.accountPath}/r1/o`).set('X-Auth-Token', a.token).send('x')).status).toBe(201);
  });

  it('makes requests within the sleep budget wait their turn', async () => {
    const a = await app({ account_ratelimit: 10, max_sleep_time_seconds: 5 });
    const start = Date.now();
    for (let i = 0; i < 4; i++) {
      expect((await request(a.app).put(`${a.accountPath}/w${i}`).set('X-Auth-Token', a.token)).status).toBe(201);
    }
    // Four requests at 10/s: the last three each wait for the previous one's 100 ms slot.
    expect(Date.now() - start).toBeGreaterThanOrEqual(250);
  });

  it('limits object writes by container size (container_ratelimit_<size>)', async () => {
    const a = await app({ container_ratelimit_1: 1, max_sleep_time_seconds: 0.2 });
    await putContainer(a, 'small');
    // An empty container is not limited (Swift's get_maxrate ignores size 0).
    await putObject(a, 'small/first', 'x');
    expect((await request(a.app).put(`${a.accountPath}/small/o1`).set('X-Auth-Token', a.token).send('x')).status).toBe(201);
    expect((await request(a.app).put(`${a.accountPath}/small/o2`).set('X-Auth-Token', a.token).send('x')).status).toBe(498);
    // Reads are never limited.
    expect((await request(a.app).get(`${a.accountPath}/small/o1`).set('X-Auth-Token', a.token)).status).toBe(200);
  });

  it('blacklists and whitelists accounts', async () => {
    const a = await app({ account_blacklist: 'AUTH_test', account_ratelimit: 1, max_sleep_time_seconds: 0.2 });
    const r = await request(a.app).get(a.accountPath).set('X-Auth-Token', a.token);
    expect(r.status).toBe(497);
    expect(r.text).toBe('Your account has been blacklisted');
    const w = await app({ account_whitelist: ['AUTH_test'], account_ratelimit: 1, max_sleep_time_seconds: 0.2 });
    for (let i = 0; i < 3; i++) {
      expect((await request(w.app).put(`${w.accountPath}/c${i}`).set('X-Auth-Token', w.token)).status).toBe(201);
    }
  });

  it('publishes its settings in /info', async () => {
    const a = await app({ account_ratelimit: 2, container_ratelimit_100: 50, container_ratelimit_10: 100 });
    const info = (await request(a.app).get('/info')).body.ratelimit;
    expect(info).toEqual({ account_ratelimit: 2, max_sleep_time_seconds: 60,
      container_ratelimits: [[10, 100], [100, 50]], container_listing_ratelimits: [] });
  });
});

describe('ratelimit arithmetic', () => {
  it('interpolates container limits between configured sizes', () => {
    const { lines } = interpretLimits({ container_ratelimit_10: 100, container_ratelimit_110: 50, other: 1 }, 'container_ratelimit_');
    expect(maxRate(lines, 0)).toBeUndefined();
    expect(maxRate(lines, 5)).toBeUndefined();
    expect(maxRate(lines, 10)).toBe(100);
    expect(maxRate(lines, 60)).toBe(75);
    expect(maxRate(lines, 1000)).toBe(50);
  });

  it('spaces requests by 1/rate and refuses past the sleep budget', () => {
    let now = 1_000_000;
    const clock = new RateClock(1, 5, () => now);
    expect(clock.sleepFor('k', 4)).toBe(0);
    expect(clock.sleepFor('k', 4)).toBe(0.25);
    expect(clock.sleepFor('k', 4)).toBe(0.5);
    expect(clock.sleepFor('k', 4)).toBe(0.75);
    expect(() => clock.sleepFor('k', 4)).toThrow();
    now += 10_000;
    expect(clock.sleepFor('k', 4)).toBe(0);
  });
});
