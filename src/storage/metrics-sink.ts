/**
 * What the store reports for metrics, and nothing about how it is exported: the store never imports
 * prom-client. The gateway passes a sink (src/metrics.ts) to `openVolume`; members report every
 * brick call through it, and the healer and the rebalancer may report their progress.
 */
import type { StoreError } from './errors.js';

/** Progress of a heal run (a crawl, or the background healer working off marks). */
export interface HealProgress {
  running: boolean;
  /** Entries still needing a heal, when known. */
  pending?: number;
  /** Entries healed / that could not be healed, in this run so far. */
  healed: number;
  failed: number;
}

/** Progress of a rebalance run (the counts rebalance.ts keeps). */
export interface RebalanceProgress {
  running: boolean;
  scanned: number;
  moved: number;
  failed: number;
  bytes: number;
  containers: number;
}

export interface StoreMetricsSink {
  /**
   * One call to a brick (through its Member) ended after `seconds`. `failure` is set when it failed
   * the way a dead disk does (BrickUnavailable, Timeout, InsufficientStorage); answers such as "not
   * found" or Conflict are the brick working and count as calls only.
   */
  brickCall(brickId: string, seconds: number, failure?: StoreError): void;
  healProgress?(p: HealProgress): void;
  rebalanceProgress?(p: RebalanceProgress): void;
}
