/** What one bench run found (the report prints it as a table or JSON). */

/** Peak resident memory of the server during a phase; `exact` = the kernel's own peak (VmHWM). */
export interface Peak { bytes: number; exact: boolean }

export interface LargeResult {
  mib: number;
  putMBps: number;
  getMBps: number;
  rawWriteMBps: number;
  rawReadMBps: number;
  /** A bare Node HTTP server on loopback, same filesystem and client (bench/plain-http.ts). */
  plainPutMBps: number;
  plainGetMBps: number;
  rss?: Peak;
}

export interface OpStats { op: string; count: number; opsPerSec: number; p50Ms: number; p99Ms: number }

export interface SmallResult {
  kib: number; count: number; concurrency: number; ops: OpStats[]; rss?: Peak;
  /** Objects of the uncounted warm-up round run before this one, if any. */
  warmUp?: number;
}

export interface ListingResult {
  objects: number;
  /** Objects PUT per second while filling the container. */
  createOpsPerSec: number;
  pageEntries: number;
  /** Median of three GETs of the first page. */
  firstPageMs: number;
  /** Median of three GETs of a page starting at the middle of the container. */
  middlePageMs: number;
  rss?: Peak;
}

export interface RssCheckResult { objects: number; gib: number; seconds: number; MBps: number; rss?: Peak }

export interface BenchResults {
  target: string;
  /** The filesystem directory both Cairn's bricks and the raw baseline used. */
  dir: string;
  large?: LargeResult;
  small?: SmallResult;
  listing?: ListingResult;
  rssCheck?: RssCheckResult;
  /** The server's peak RSS over the whole run; undefined when the server is not ours (--url). */
  peakRss?: Peak;
}
