/**
 * What the healer has done and seen, for `cairn heal info`, /metrics and logs: running totals, the
 * marks each brick held at the last pass, the last pass and crawl, and the split-brain list (bounded;
 * `cairn heal split-brain` finds them all by looking at the bricks themselves).
 */
import type { CatalogCounts } from './heal-catalog.js';
import type { SetCrawlCounts } from './heal-crawl.js';
import type { HealResult } from './heal-object.js';
import type { FavoriteChildPolicy, SplitBrain } from './heal-source.js';
import type { ReplicaSet } from './replica-set.js';
import type { ObjectRef, Timestamp } from './store.js';

export interface SplitBrainEntry {
  ref: ObjectRef;
  set: number;
  timestamp: Timestamp;
  /** Each distinct content and the bricks holding it. */
  candidates: Array<{ bricks: string[]; size: number; etag: string; deleted: boolean; dataTimestamp: Timestamp }>;
  resolved: boolean;
  seenAt: string;
}

export interface PassSummary {
  marks: number;
  objects: number;
  healed: number;
  clean: number;
  partial: number;
  splitBrain: number;
  failed: number;
  /** Left for a later pass (write possibly in flight, or every blamed brick down). */
  deferred: number;
  /** A brick had more marks than one batch. */
  more: boolean;
}

export interface CrawlSummary {
  startedAt: string;
  finishedAt?: string;
  /** The index pass run first (absent in dry runs). */
  index?: PassSummary;
  catalog?: CatalogCounts;
  sets: SetCrawlCounts[];
  audited: number;
  aborted: boolean;
}

export interface HealStatus {
  running: { pass: boolean; crawl: boolean };
  totals: { passes: number; crawls: number; healed: number; copies: number; partial: number; failed: number; reclaimed: number };
  /** Per brick, the marks seen by the last pass (`capped`: at least this many). */
  pending: Array<{ brick: string; dirty: number; pending: number; capped: boolean }>;
  splitBrain: SplitBrainEntry[];
  lastPass?: PassSummary & { at: string };
  crawl?: CrawlSummary;
}


/** The slice of a pino logger the healer uses. */
export interface HealLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Split-brain entries kept at most (a bound on memory). */
const SPLIT_BRAIN_MAX = 10_000;

export class HealState {
  readonly totals: HealStatus['totals'] = { passes: 0, crawls: 0, healed: 0, copies: 0, partial: 0, failed: 0, reclaimed: 0 };
  readonly pendingByBrick = new Map<string, HealStatus['pending'][number]>();
  lastCrawl: CrawlSummary | undefined;
  private lastPass: (PassSummary & { at: string }) | undefined;
  private readonly splitBrains = new Map<string, SplitBrainEntry>();

  constructor(private readonly now: () => number, private readonly log: HealLog | undefined) {}

  passDone(summary: PassSummary): void {
    this.totals.passes++;
    this.lastPass = { ...summary, at: new Date(this.now()).toISOString() };
  }

  /** Fold one object's heal into the totals and the split-brain list. */
  record(set: ReplicaSet, r: HealResult, policy: FavoriteChildPolicy): void {
    if (r.verdict === 'healed') { this.totals.healed++; this.totals.copies += r.copied; }
    if (r.verdict === 'partial') this.totals.partial++;
    if (r.verdict === 'failed') this.totals.failed++;
    if (r.splitBrain) this.noteSplitBrain(set, r.ref, r.splitBrain, policy);
    else this.splitBrains.delete(refKey(r.ref));
    if (r.verdict === 'partial' || r.verdict === 'failed') this.log?.warn({ object: r.ref, errors: r.errors }, `heal ${r.verdict}`);
  }

  noteSplitBrain(set: ReplicaSet, ref: ObjectRef, split: SplitBrain, policy: FavoriteChildPolicy): void {
    const key = refKey(ref);
    if (!this.splitBrains.has(key)) {
      this.log?.warn({ object: ref, resolved: split.resolved, policy }, 'split-brain');
      if (this.splitBrains.size >= SPLIT_BRAIN_MAX) return;
    }
    this.splitBrains.set(key, splitBrainEntry(set, ref, split, this.now()));
  }

  snapshot(running: HealStatus['running']): HealStatus {
    return {
      running,
      totals: { ...this.totals },
      pending: [...this.pendingByBrick.values()].map((p) => ({ ...p })),
      splitBrain: [...this.splitBrains.values()],
      ...(this.lastPass ? { lastPass: { ...this.lastPass } } : {}),
      ...(this.lastCrawl ? { crawl: this.lastCrawl } : {}),
    };
  }
}

/** A split-brain as reported: the bricks holding each content. */
export function splitBrainEntry(set: ReplicaSet, ref: ObjectRef, split: SplitBrain, at: number): SplitBrainEntry {
  return {
    ref: { ...ref }, set: set.index, timestamp: split.timestamp, resolved: split.resolved, seenAt: new Date(at).toISOString(),
    candidates: split.candidates.map((c) => ({
      bricks: c.positions.map((i) => set.members[i]!.id), size: c.record.size, etag: c.record.etag,
      deleted: c.record.deleted, dataTimestamp: c.record.dataTimestamp,
    })),
  };
}

export function refKey(ref: ObjectRef): string {
  return `${ref.account}\u0000${ref.container}\u0000${ref.object}`;
}
