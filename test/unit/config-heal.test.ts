/** The config's `heal:` section: defaults, values, and errors that name the key. */
import { describe, expect, it } from 'vitest';
import { configFromObject, ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../../src/config.js';
import { DEFAULT_HEAL, healerOptions } from '../../src/config-heal.js';

const base = { volume: { id: 'v', bricks: ['memory:a'], replica: 1 } };

describe('heal config', () => {
  it('defaults when absent, and the embedded default spells out the same', () => {
    expect(configFromObject(base, '/tmp').heal).toEqual(DEFAULT_HEAL);
    expect(loadConfig(DEFAULT_CONFIG_FILE, {}, {}).heal).toEqual(DEFAULT_HEAL);
  });

  it('takes every key', () => {
    const c = configFromObject({ ...base, heal: { enabled: false, interval_ms: 100, full_crawl_interval_ms: 3600000, favorite_child_policy: 'majority', reclaim_age: 60 } }, '/tmp');
    expect(c.heal).toEqual({ enabled: false, intervalMs: 100, fullCrawlIntervalMs: 3600000, favoriteChildPolicy: 'majority', reclaimAge: 60 });
    expect(healerOptions(c.heal)).toMatchObject({ intervalMs: 100, favoriteChildPolicy: 'majority', reclaimAgeMs: 60000 });
  });

  it.each([
    [{ interval_ms: -1 }, 'heal.interval_ms'],
    [{ full_crawl_interval_ms: 'daily' }, 'heal.full_crawl_interval_ms'],
    [{ favorite_child_policy: 'latest' }, 'heal.favorite_child_policy'],
    [{ reclaim_age: 1.5 }, 'heal.reclaim_age'],
    [{ enabled: 'yes' }, 'heal.enabled'],
    [{ interval: 5 }, 'heal.interval'],
    ['on', 'heal'],
  ])('refuses %j naming %s', (heal, key) => {
    expect(() => configFromObject({ ...base, heal }, '/tmp')).toThrow(ConfigError);
    expect(() => configFromObject({ ...base, heal }, '/tmp')).toThrow(new RegExp(`^config: ${key.replace('.', '\\.')}:`));
  });
});
