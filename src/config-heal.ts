/**
 * The `heal:` section of the config (the self-heal daemon a gateway runs, src/storage/heal.ts):
 *
 *   heal:
 *     enabled: true                  # run the healer in `cairn serve` (one worker runs it with --workers)
 *     interval_ms: 5000              # index heal of pending/dirty marks (also at once when a brick is back)
 *     full_crawl_interval_ms: 0      # scheduled full crawl; 0 = only on demand (`cairn heal full`)
 *     favorite_child_policy: none    # none | size | mtime | majority (GlusterFS's split-brain rules)
 *     reclaim_age: 604800            # seconds a tombstone is kept before the crawl reclaims it (Swift's)
 *
 * Errors name the key (`config: heal.interval_ms: …`) like every other section.
 */
import { ConfigError } from './api/pipeline.js';
import type { HealerOptions } from './storage/heal.js';
import { FAVORITE_CHILD_POLICIES, type FavoriteChildPolicy } from './storage/heal-source.js';

export interface HealConfig {
  enabled: boolean;
  intervalMs: number;
  fullCrawlIntervalMs: number;
  favoriteChildPolicy: FavoriteChildPolicy;
  /** Seconds. */
  reclaimAge: number;
}

export const DEFAULT_HEAL: Readonly<HealConfig> = {
  enabled: true, intervalMs: 5000, fullCrawlIntervalMs: 0, favoriteChildPolicy: 'none', reclaimAge: 7 * 24 * 3600,
};

const KEYS = ['enabled', 'interval_ms', 'full_crawl_interval_ms', 'favorite_child_policy', 'reclaim_age'];

/** Validate the `heal` section (undefined or null: all defaults). */
export function parseHealConfig(raw: unknown): HealConfig {
  if (raw === undefined || raw === null) return { ...DEFAULT_HEAL };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('heal', 'must be a map');
  const h = raw as Record<string, unknown>;
  for (const k of Object.keys(h)) if (!KEYS.includes(k)) throw new ConfigError(`heal.${k}`, `unknown key (known: ${KEYS.join(', ')})`);
  const out: HealConfig = { ...DEFAULT_HEAL };
  if (h.enabled !== undefined) {
    if (typeof h.enabled !== 'boolean') throw new ConfigError('heal.enabled', 'must be true or false');
    out.enabled = h.enabled;
  }
  if (h.interval_ms !== undefined) out.intervalMs = nonNegativeInt(h.interval_ms, 'heal.interval_ms');
  if (h.full_crawl_interval_ms !== undefined) out.fullCrawlIntervalMs = nonNegativeInt(h.full_crawl_interval_ms, 'heal.full_crawl_interval_ms');
  if (h.favorite_child_policy !== undefined) {
    const p = h.favorite_child_policy;
    if (typeof p !== 'string' || !(FAVORITE_CHILD_POLICIES as readonly string[]).includes(p)) {
      throw new ConfigError('heal.favorite_child_policy', `must be one of ${FAVORITE_CHILD_POLICIES.join(', ')}`);
    }
    out.favoriteChildPolicy = p as FavoriteChildPolicy;
  }
  if (h.reclaim_age !== undefined) out.reclaimAge = nonNegativeInt(h.reclaim_age, 'heal.reclaim_age');
  return out;
}

/** The Healer's options for a config's `heal` section. */
export function healerOptions(c: HealConfig): HealerOptions {
  return {
    intervalMs: c.intervalMs,
    fullCrawlIntervalMs: c.fullCrawlIntervalMs,
    favoriteChildPolicy: c.favoriteChildPolicy,
    reclaimAgeMs: c.reclaimAge * 1000,
  };
}

function nonNegativeInt(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new ConfigError(key, 'must be a non-negative integer');
  return value;
}

/** A config's heal settings (defaults when it has no `heal` section). */
export function healConfigOf(config: object): HealConfig {
  return (config as { heal?: HealConfig }).heal ?? { ...DEFAULT_HEAL };
}
