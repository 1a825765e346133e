/**
 * The Healer: Cairn's self-heal daemon (GlusterFS's shd, DESIGN.md §5) over a Volume.
 *
 * - Index heal: every `intervalMs` (GlusterFS: heal-timeout, 600 s; here a few seconds, since a pass
 *   over an empty index is one small query per brick), at once when a brick comes back up (Member's
 *   down->up transition), and on demand (`healPending`): read each brick's pending and dirty marks
 *   (oldest first, `batch` per brick), group them by object and heal each object within its replica
 *   set (heal-object.ts). A backlog larger than one batch is worked off in back-to-back passes.
 *   Left alone for now: objects whose only marks are dirty marks younger than `inflightGraceMs`
 *   with no pending mark of the same transaction (the write may still be in flight: GlusterFS takes
 *   a lock here, we wait), and objects whose marks only blame bricks that are down (nothing to do
 *   until they are back). Marks are read oldest first, so more than `batch` marks that cannot be
 *   cleared yet (unresolved split-brains, a brick long gone) hold back newer ones on that brick until
 *   they clear; the full crawl does not depend on marks and heals those meanwhile.
 * - Full crawl (`fullCrawl`, on demand or every `fullCrawlIntervalMs`): an index pass, account and
 *   container records merged onto every brick (heal-catalog.ts), then every replica set's object records
 *   merged by name and every difference healed, old tombstones reclaimed (heal-crawl.ts), then each
 *   brick's audit (orphaned and superseded data files).
 * - Split-brain: reported (status().splitBrain), resolved only by the favorite-child policy.
 * - Each pass also probes the bricks that are not held out (member-status.ts), so a brick that went
 *   read-only or unreachable is marked down even when no client traffic touches it.
 *
 * Heals only ever copy the newest version and bricks keep newest-wins, so the healer may run while
 * clients write, and in several processes at once (a gateway and `cairn heal full`).
 * Progress and state (`status()`, heal-state.ts) feed `cairn heal info`, /metrics and logs.
 */
import type { HealMark } from './brick/brick.js';
import { healCatalog } from './heal-catalog.js';
import { crawlSet, type SetCrawlCounts } from './heal-crawl.js';
import { healObject, type HealResult } from './heal-object.js';
import { Pool } from './heal-scan.js';
import type { FavoriteChildPolicy } from './heal-source.js';
import { HealState, refKey, type CrawlSummary, type HealLog, type HealStatus, type PassSummary } from './heal-state.js';
import type { Member } from './member.js';
import { describeError, probeMember } from './member-status.js';
import type { StoreMetricsSink } from './metrics-sink.js';
import type { ReplicaSet } from './replica-set.js';
import type { ObjectRef, ObjectStore } from './store.js';
import { toSeconds } from './timestamp.js';
import type { Volume } from './volume.js';

export interface HealerOptions {
  /** How often marks are worked off (default 5000 ms; 0: once at start, then only when kicked or a brick comes back). */
  intervalMs?: number;
  /** How often a full crawl runs (default 0: on demand only). */
  fullCrawlIntervalMs?: number;
  /** GlusterFS favorite-child-policy for equal-timestamp split-brains (default 'none'). */
  favoriteChildPolicy?: FavoriteChildPolicy;
  /** Tombstones older than this are reclaimed by the crawl (default 7 days, Swift's reclaim_age). */
  reclaimAgeMs?: number;
  /** Dirty marks and records younger than this may belong to a write in flight (default 30 s). */
  inflightGraceMs?: number;
  /** Marks read per brick per pass (default 1000). */
  batch?: number;
  /** Objects healed at once (default 4; GlusterFS shd-max-threads is 1, background heals 8). */
  concurrency?: number;
  /** A heal copy moving no bytes for this long is abandoned (default: the volume's write timeout). */
  stallMs?: number;
  log?: HealLog;
  /** Where progress goes for /metrics (the gateway's sink, src/metrics.ts). */
  metrics?: StoreMetricsSink;
  now?: () => number;
}

export interface CrawlRequest {
  onProgress?: (p: SetCrawlCounts, sets: number) => void;
  dryRun?: boolean;
  graceMs?: number;
}

/** Healers by store, so /metrics and the healthcheck can find the one a gateway started. */
const registry = new WeakMap<object, Healer>();

/** The healer started on `store`, if any. */
export function healerOf(store: ObjectStore): Healer | undefined { return registry.get(store); }

export class Healer {
  private readonly o: Required<Omit<HealerOptions, 'log' | 'now' | 'metrics'>>;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private crawlTimer: NodeJS.Timeout | undefined;
  private pass: Promise<PassSummary> | undefined;
  private again = false;
  private crawl: Promise<CrawlSummary> | undefined;
  private crawlAbort: AbortController | undefined;
  /** Not started (or stopped): no background work. A pass run on demand still runs. */
  private stopped = true;
  /** stop() was called: a pass in progress ends early. */
  private halted = false;
  private readonly unsubscribe = new Map<Member, () => void>();
  private readonly log: HealLog | undefined;
  private readonly metrics: StoreMetricsSink | undefined;
  /** Counts, marks seen, split-brains: what status() reports. */
  readonly state: HealState;

  constructor(readonly volume: Volume, opts: HealerOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.log = opts.log;
    this.metrics = opts.metrics;
    this.state = new HealState(this.now, this.log);
    this.o = {
      intervalMs: opts.intervalMs ?? 5000,
      fullCrawlIntervalMs: opts.fullCrawlIntervalMs ?? 0,
      favoriteChildPolicy: opts.favoriteChildPolicy ?? 'none',
      reclaimAgeMs: opts.reclaimAgeMs ?? 7 * 24 * 3600 * 1000,
      inflightGraceMs: opts.inflightGraceMs ?? 30_000,
      batch: opts.batch ?? 1000,
      concurrency: opts.concurrency ?? 4,
      stallMs: opts.stallMs ?? volume.spec.writeTimeoutMs ?? 30_000,
    };
  }

  get options(): Readonly<Required<Omit<HealerOptions, 'log' | 'now' | 'metrics'>>> { return this.o; }

  /** Start the background work (interval passes, crawl schedule, brick-up hook). Idempotent. */
  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    this.halted = false;
    registry.set(this.volume, this);
    this.subscribe();
    // One pass at once (leftovers of a previous run), then every intervalMs.
    if (this.o.intervalMs > 0) this.schedule(0);
    else this.kick();
    if (this.o.fullCrawlIntervalMs > 0) this.scheduleCrawl();
    return this;
  }

  /** Stop the background work; resolves when the pass or crawl in progress has stopped. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halted = true;
    if (registry.get(this.volume) === this) registry.delete(this.volume);
    clearTimeout(this.timer);
    clearTimeout(this.crawlTimer);
    for (const off of this.unsubscribe.values()) off();
    this.unsubscribe.clear();
    this.crawlAbort?.abort();
    await Promise.allSettled([this.pass, this.crawl]);
  }

  /** Run an index pass soon (coalesced with one in progress). */
  kick(): void {
    if (this.stopped) return;
    void this.healPending().catch(() => undefined);
  }

  // -- index heal ------------------------------------------------------------------------------------

  /**
   * One index heal pass over every replica set. While one runs, a call returns it and asks for one
   * more pass after it (marks may have been added meanwhile).
   */
  healPending(): Promise<PassSummary> {
    if (this.pass) {
      this.again = true;
      return this.pass;
    }
    this.pass = this.runPass().finally(() => {
      this.pass = undefined;
      this.report();
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
    return this.pass;
  }

  private async runPass(): Promise<PassSummary> {
    const summary: PassSummary = { marks: 0, objects: 0, healed: 0, clean: 0, partial: 0, splitBrain: 0, failed: 0, deferred: 0, more: false };
    this.subscribe();
    await this.probe();
    for (const set of [...this.volume.sets]) await this.passSet(set, summary);
    this.state.passDone(summary);
    if (summary.healed + summary.partial + summary.failed + summary.splitBrain > 0) {
      this.log?.info({ heal: summary }, 'heal pass');
    }
    return summary;
  }

  private async passSet(set: ReplicaSet, summary: PassSummary): Promise<void> {
    if (!set.keepsMarks) return;
    const lists = await Promise.all(set.members.map(async (m) => {
      if (!m.up) return undefined;
      try {
        return await m.call((b) => b.listMarks(this.o.batch));
      } catch {
        return undefined;
      }
    }));
    const groups = new Map<string, { ref: ObjectRef; marks: HealMark[] }>();
    lists.forEach((list, i) => {
      const id = set.members[i]!.id;
      if (!list) {
        this.state.pendingByBrick.delete(id); // unknown while it cannot be read
        return;
      }
      this.state.pendingByBrick.set(id, {
        brick: id, dirty: list.filter((k) => k.kind === 'dirty').length, pending: list.filter((k) => k.kind === 'pending').length,
        capped: list.length >= this.o.batch,
      });
      if (list.length >= this.o.batch) summary.more = true;
      summary.marks += list.length;
      for (const mark of list) {
        const key = refKey(mark.ref);
        const g = groups.get(key) ?? { ref: mark.ref, marks: [] };
        g.marks.push(mark);
        groups.set(key, g);
      }
    });
    const pool = new Pool(this.o.concurrency);
    for (const { ref, marks } of groups.values()) {
      if (this.halted) break;
      if (this.inFlight(marks) || this.waitingForDown(set, marks)) { summary.deferred++; continue; }
      const through = marks.reduce((t, m) => (m.timestamp > t ? m.timestamp : t), marks[0]!.timestamp);
      summary.objects++;
      await pool.run(async () => {
        let r: HealResult;
        try {
          r = await healObject(set, ref, { policy: this.o.favoriteChildPolicy, stallMs: this.o.stallMs, marksThrough: through });
        } catch (err) {
          r = { ref, verdict: 'failed', copied: 0, errors: [describeError(err)] };
        }
        this.state.record(set, r, this.o.favoriteChildPolicy);
        if (r.verdict === 'healed') summary.healed++;
        else if (r.verdict === 'clean') summary.clean++;
        else if (r.verdict === 'partial') summary.partial++;
        else if (r.verdict === 'split-brain') summary.splitBrain++;
        else summary.failed++;
      });
    }
    await pool.drain();
  }

  /** A dirty mark younger than the grace with no pending mark of its transaction: the write may still run. */
  private inFlight(marks: HealMark[]): boolean {
    if (this.o.inflightGraceMs <= 0) return false;
    const settled = new Set(marks.filter((m) => m.kind === 'pending').map((m) => m.timestamp));
    const young = this.now() - this.o.inflightGraceMs;
    return marks.some((m) => m.kind === 'dirty' && !settled.has(m.timestamp) && toSeconds(m.timestamp) * 1000 > young);
  }

  /** Only pending marks, each blaming only bricks of this set that are down: nothing to do until one is back. */
  private waitingForDown(set: ReplicaSet, marks: HealMark[]): boolean {
    const down = new Set(set.members.filter((m) => !m.up).map((m) => m.id));
    return down.size > 0 && marks.every((m) => m.kind === 'pending' && m.blamed.length > 0 && m.blamed.every((id) => down.has(id)));
  }

  // -- full crawl ------------------------------------------------------------------------------------

  /**
   * A full heal (one at a time: a call while one runs returns it): an index pass first (what the marks
   * point at), then the crawl. `onProgress` hears about every set's progress; `dryRun` only counts
   * differences and split-brains; `graceMs` overrides inflightGraceMs for the crawl (an operator's
   * `cairn heal full` need not wait for the last half minute's writes to age).
   */
  fullCrawl(opts: CrawlRequest = {}): Promise<CrawlSummary> {
    if (this.crawl) return this.crawl;
    this.crawlAbort = new AbortController();
    this.crawl = this.runCrawl(this.crawlAbort.signal, opts).finally(() => {
      this.crawl = undefined;
      this.report();
    });
    this.report();
    return this.crawl;
  }

  private async runCrawl(signal: AbortSignal, opts: CrawlRequest): Promise<CrawlSummary> {
    const summary: CrawlSummary = { startedAt: new Date(this.now()).toISOString(), sets: [], audited: 0, aborted: false };
    this.state.lastCrawl = summary;
    const dryRun = opts.dryRun === true;
    if (dryRun) await this.probe();
    else summary.index = await this.healPending(); // probes too
    const sets = [...this.volume.sets];
    summary.catalog = await healCatalog(sets.flatMap((s) => s.members), { signal, dryRun });
    for (const set of sets) {
      if (signal.aborted) break;
      const counts = await crawlSet(set, {
        policy: this.o.favoriteChildPolicy, stallMs: this.o.stallMs, reclaimAgeMs: this.o.reclaimAgeMs,
        graceMs: opts.graceMs ?? this.o.inflightGraceMs, concurrency: this.o.concurrency, dryRun, signal, now: this.now,
        onResult: (s, r) => this.state.record(s, r, this.o.favoriteChildPolicy),
        onSplitBrain: (s, ref, split) => this.state.noteSplitBrain(s, ref, split, this.o.favoriteChildPolicy),
        onProgress: (p) => {
          const k = summary.sets.findIndex((c) => c.set === p.set);
          if (k >= 0) summary.sets[k] = p; else summary.sets.push(p);
          opts.onProgress?.(p, sets.length);
          this.report();
        },
      });
      this.state.totals.reclaimed += counts.reclaimed;
    }
    if (!dryRun && !signal.aborted) {
      // Superseded and orphaned data files: each brick's auditor removes them (after its own grace).
      const audits = await Promise.all(sets.flatMap((s) => s.members).filter((m) => m.up)
        .map((m) => m.call((b) => b.audit()).catch(() => 0)));
      summary.audited = audits.reduce((a, b) => a + b, 0);
    }
    summary.aborted = signal.aborted;
    summary.finishedAt = new Date(this.now()).toISOString();
    this.state.totals.crawls++;
    this.log?.info({ crawl: summary }, 'heal crawl finished');
    return summary;
  }

  // -- state -----------------------------------------------------------------------------------------

  status(): HealStatus {
    return this.state.snapshot({ pass: this.pass !== undefined, crawl: this.crawl !== undefined });
  }

  /** Progress for /metrics: running or not, marks seen at the last pass, healed and not healed so far. */
  private report(): void {
    if (!this.metrics?.healProgress) return;
    const s = this.status();
    this.metrics.healProgress({
      running: s.running.pass || s.running.crawl,
      pending: s.pending.reduce((n, b) => n + b.dirty + b.pending, 0),
      healed: s.totals.healed,
      failed: s.totals.failed + s.totals.partial,
    });
  }

  // -- scheduling ------------------------------------------------------------------------------------

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.healPending().then(
        (s) => { if (!this.stopped) this.schedule(s.more && s.healed + s.clean > 0 ? 0 : this.o.intervalMs); },
        (err: unknown) => {
          this.log?.warn({ err }, 'heal pass failed');
          if (!this.stopped) this.schedule(this.o.intervalMs);
        });
    }, ms);
    this.timer.unref();
  }

  private scheduleCrawl(): void {
    this.crawlTimer = setTimeout(() => {
      void this.fullCrawl().catch((err: unknown) => this.log?.warn({ err }, 'heal crawl failed'))
        .finally(() => { if (!this.stopped) this.scheduleCrawl(); });
    }, this.o.fullCrawlIntervalMs);
    this.crawlTimer.unref();
  }

  /** Hook every member's down->up transition (sets change when bricks are added or replaced). */
  private subscribe(): void {
    if (this.stopped) return;
    const current = new Set(this.volume.sets.flatMap((s) => s.members));
    for (const [m, off] of this.unsubscribe) if (!current.has(m)) { off(); this.unsubscribe.delete(m); }
    for (const m of current) {
      if (this.unsubscribe.has(m)) continue;
      this.unsubscribe.set(m, m.onUp((back) => {
        this.log?.info({ brick: back.id }, 'brick is back: healing');
        this.kick();
      }));
    }
  }

  /** Probe the bricks not held out, so a read-only or vanished one is marked down without traffic. */
  private async probe(): Promise<void> {
    const min = this.volume.spec.minFreeDiskPercent ?? 10;
    await Promise.all(this.volume.sets.flatMap((s) => s.members).filter((m) => m.up).map((m) => probeMember(m, min)));
  }
}


/** Start a healer on a volume (the gateway's). */
export function startHealer(volume: Volume, opts: HealerOptions = {}): Healer {
  return new Healer(volume, opts).start();
}

export type { CrawlSummary, HealLog, HealStatus, PassSummary, SplitBrainEntry } from './heal-state.js';
