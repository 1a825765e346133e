/**
 * X-Delete-At / X-Delete-After: Swift's validation messages, the X-Delete-At header on reads, and
 * expired objects hidden (404) from GET, HEAD and POST as soon as their time has passed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, objectFixture, type ObjectFixture } from '../helpers/objects.js';

let f: ObjectFixture;
beforeAll(async () => { f = await objectFixture(); });
afterAll(async () => { await f.close(); });

const nowS = () => Math.floor(Date.now() / 1000);
const put = (name: string, headers: Record<string, string>) =>
  api(f).put(f.path(name)).set('X-Auth-Token', f.token).set(headers).send(Buffer.from('expiring'));
const head = (name: string) => api(f).head(f.path(name)).set('X-Auth-Token', f.token);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until the wall clock has passed unix second `t`. */
async function waitPast(t: number): Promise<void> {
  while (Date.now() / 1000 < t + 0.05) await sleep(50);
}

describe('validation', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ 'X-Delete-At': '1000' }, 'X-Delete-At in past'],
    [{ 'X-Delete-At': 'tomorrow' }, 'Non-integer X-Delete-At'],
    [{ 'X-Delete-At': String(nowS() + 100) + '.5' }, 'Non-integer X-Delete-At'],
    [{ 'X-Delete-At': '' }, 'Non-integer X-Delete-At'],
    [{ 'X-Delete-After': '0' }, 'X-Delete-After in past'],
    [{ 'X-Delete-After': '-5' }, 'X-Delete-After in past'],
    [{ 'X-Delete-After': '1.5' }, 'Non-integer X-Delete-After'],
    [{ 'X-Delete-After': 'soon' }, 'Non-integer X-Delete-After'],
  ];
  for (const [headers, message] of cases) {
    it(`${JSON.stringify(headers)} -> 400 "${message}"`, async () => {
      const res = await put('bad', headers);
      expect(res.status).toBe(400);
      expect(res.text).toBe(message);
      expect(res.headers['content-type']).toBe('text/plain');
      expect((await head('bad')).status).toBe(404);
    });
  }

  it('POST validates the same way', async () => {
    expect((await put('p', {})).status).toBe(201);
    const res = await api(f).post(f.path('p')).set('X-Auth-Token', f.token).set('X-Delete-At', '5');
    expect(res.status).toBe(400);
    expect(res.text).toBe('X-Delete-At in past');
  });
});

describe('reads', () => {
  it('shows X-Delete-At as ten digits; X-Delete-After becomes X-Delete-At', async () => {
    const at = nowS() + 3600;
    expect((await put('at', { 'X-Delete-At': String(at) })).status).toBe(201);
    expect((await head('at')).headers['x-delete-at']).toBe(String(at));
    const before = nowS();
    expect((await put('after', { 'X-Delete-After': '3600' })).status).toBe(201);
    const shown = Number((await head('after')).headers['x-delete-at']);
    expect(shown).toBeGreaterThanOrEqual(before + 3600);
    expect(shown).toBeLessThanOrEqual(nowS() + 3600);
  });

  it('X-Delete-After wins over X-Delete-At', async () => {
    const before = nowS();
    expect((await put('both', { 'X-Delete-At': String(before + 99999), 'X-Delete-After': '100' })).status).toBe(201);
    const shown = Number((await head('both')).headers['x-delete-at']);
    expect(shown).toBeLessThanOrEqual(nowS() + 100);
  });

  it('hides an object once X-Delete-At has passed (GET, HEAD, POST are 404)', async () => {
    const at = nowS() + 2;
    expect((await put('soon', { 'X-Delete-At': String(at) })).status).toBe(201);
    expect((await api(f).get(f.path('soon')).set('X-Auth-Token', f.token)).status).toBe(200);
    await waitPast(at);
    expect((await api(f).get(f.path('soon')).set('X-Auth-Token', f.token)).status).toBe(404);
    expect((await head('soon')).status).toBe(404);
    expect((await api(f).post(f.path('soon')).set('X-Auth-Token', f.token).set('X-Object-Meta-A', 'b')).status).toBe(404);
  });

  it('X-Delete-After: 1 expires the object', async () => {
    const res = await put('one', { 'X-Delete-After': '1' });
    expect(res.status).toBe(201);
    const at = Number((await head('one')).headers['x-delete-at'] ?? 0);
    expect(at).toBeGreaterThan(0);
    await waitPast(at);
    expect((await head('one')).status).toBe(404);
  });
});

describe('POST and expiry', () => {
  it('POST with X-Delete-After sets it; a POST without removes it', async () => {
    expect((await put('post', {})).status).toBe(201);
    expect((await head('post')).headers['x-delete-at']).toBeUndefined();
    const set = await api(f).post(f.path('post')).set('X-Auth-Token', f.token).set('X-Delete-After', '3600');
    expect(set.status).toBe(202);
    expect((await head('post')).headers['x-delete-at']).toMatch(/^\d{10}$/);
    const clear = await api(f).post(f.path('post')).set('X-Auth-Token', f.token).set('X-Object-Meta-A', 'b');
    expect(clear.status).toBe(202);
    expect((await head('post')).headers['x-delete-at']).toBeUndefined();
  });

  it('POST X-Delete-After: 1 expires an object', async () => {
    expect((await put('post-exp', {})).status).toBe(201);
    expect((await api(f).post(f.path('post-exp')).set('X-Auth-Token', f.token).set('X-Delete-After', '1')).status).toBe(202);
    const at = Number((await head('post-exp')).headers['x-delete-at']);
    await waitPast(at);
    expect((await head('post-exp')).status).toBe(404);
  });
});
