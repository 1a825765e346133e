/**
 * What every part of the SLO middleware works with: its options and the two handlers it calls,
 * `next` (the pipeline below SLO: segment reads, manifest writes, deletes) and `self` (SLO itself:
 * segment HEADs during a manifest PUT, so that a nested SLO answers as a large object).
 */
import type { Handler } from '../../http.js';

export interface SloOptions {
  /** Most object-backed segments a new manifest may have. */
  max_manifest_segments: number;
  /** Largest manifest body accepted (bytes). */
  max_manifest_size: number;
  /** Seconds between heartbeat spaces (heartbeat=on PUTs) and bulk-delete keep-alives. */
  yield_frequency: number;
  /** Seconds a GET of an SLO may take before the connection is cut. */
  max_get_time: number;
  /** Segments smaller than this count toward rate limiting. */
  rate_limit_under_size: number;
  /** Segments served before rate limiting starts. */
  rate_limit_after_segment: number;
  /** Rate limit for small segments after the first rate_limit_after_segment (0 = off). */
  rate_limit_segments_per_sec: number;
  /** Segment HEADs in flight during a manifest PUT. */
  concurrency: number;
  /** Segment DELETEs in flight during multipart-manifest=delete. */
  delete_concurrency: number;
  /** Published in /info; async deletes (which need the object expirer) are not offered. */
  allow_async_delete: boolean;
}

export interface SloEnv {
  opts: SloOptions;
  next: Handler;
  self: Handler;
}
