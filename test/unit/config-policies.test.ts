/**
 * `policies`: named storage policies, each with its own volume (storage/policy-store.ts). Without
 * it the config's `volume` is the one policy, Policy-0.
 */
import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config.js';
import { policySpecs } from '../../src/storage/policy-store.js';
import { configError } from '../helpers/config-error.js';

const gold = { id: 'g', bricks: ['g1', 'g2'], replica: 2 };
const silver = { id: 's', bricks: ['s1'], replica: 1 };

describe('config: policies', () => {
  it('parses names, aliases, the default and each volume (bricks under the storage root)', () => {
    const c = configFromObject({ storage: { root: '/data' }, policies: [
      { name: 'gold', default: true, volume: gold },
      { name: 'silver', aliases: ['cheap', 'Slow-1'], volume: silver },
    ] }, '/base');
    expect(c.policies).toEqual([
      { name: 'gold', aliases: [], default: true, volume: { id: 'g', bricks: ['/data/g1', '/data/g2'], replica: 2 } },
      { name: 'silver', aliases: ['cheap', 'Slow-1'], default: false, volume: { id: 's', bricks: ['/data/s1'], replica: 1 } },
    ]);
    // `volume` is the default policy's: what everything that knows one volume uses.
    expect(c.volume).toBe(c.policies![0]!.volume);
    expect(policySpecs(c)).toBe(c.policies);
  });

  it('makes a lone policy the default, and leaves policies out of a volume-only config', () => {
    expect(configFromObject({ policies: [{ name: 'only', volume: silver }] }, '/b').policies![0]!.default).toBe(true);
    const plain = configFromObject({ volume: silver }, '/b');
    expect(plain.policies).toBeUndefined();
    expect(policySpecs(plain).map((p) => [p.name, p.default])).toEqual([['Policy-0', true]]);
  });

  it('names the bad key', () => {
    const bad = (policies: unknown, extra: Record<string, unknown> = {}) => configError(() => configFromObject({ policies, ...extra }, '/b'));
    expect(bad([])).toMatch(/^config: policies: must be a non-empty list/);
    expect(bad({ name: 'x' })).toMatch(/^config: policies: must be a non-empty list/);
    expect(bad([{ name: 'gold', volume: gold }], { volume: silver })).toMatch(/^config: volume: not with policies/);
    expect(bad([{ volume: gold }])).toMatch(/^config: policies\[0\]\.name: required/);
    expect(bad([{ name: 'go ld', volume: gold }])).toMatch(/^config: policies\[0\]\.name: "go ld" may only contain/);
    expect(bad([{ name: 'gold', default: true, volume: gold }, { name: 'GOLD', volume: silver }]))
      .toMatch(/^config: policies\[1\]\.name: "GOLD" is already a name of policies\[0\]/);
    expect(bad([{ name: 'gold', default: true, volume: gold }, { name: 'silver', aliases: ['gold'], volume: silver }]))
      .toMatch(/^config: policies\[1\]\.aliases\[0\]: "gold" is already a name/);
    expect(bad([{ name: 'gold', volume: gold }, { name: 'silver', volume: silver }])).toMatch(/^config: policies: one policy must be the default/);
    expect(bad([{ name: 'gold', default: true, volume: gold }, { name: 'silver', default: true, volume: silver }]))
      .toMatch(/^config: policies: only one policy may be the default \(gold, silver are\)/);
    expect(bad([{ name: 'gold', default: 'yes', volume: gold }])).toMatch(/^config: policies\[0\]\.default: must be true or false/);
    expect(bad([{ name: 'gold', volume: gold, colour: 'x' }])).toMatch(/^config: policies\[0\]\.colour: unknown key/);
    expect(bad([{ name: 'gold' }])).toMatch(/^config: policies\[0\]\.volume: required/);
    expect(bad([{ name: 'gold', default: true, volume: gold }, { name: 'silver', volume: { ...silver, replica: 0 } }]))
      .toMatch(/^config: policies\[1\]\.volume\.replica: must be a positive integer/);
    expect(bad([{ name: 'gold', default: true, volume: gold }, { name: 'silver', volume: { ...silver, id: 'g' } }]))
      .toMatch(/^config: policies\[1\]\.volume\.id: "g" is already the volume of policies\[0\]/);
    expect(bad([{ name: 'gold', default: true, volume: gold }, { name: 'silver', volume: { ...silver, bricks: ['s1', 'g2'] } }]))
      .toMatch(/^config: policies\[1\]\.volume\.bricks\[1\]: "\/b\/g2" is already a brick of policies\[0\]/);
  });
});
