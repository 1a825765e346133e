/**
 * Rebalance: move every object whose hash range moved to the set the current layout hashes it to,
 * container by container (GlusterFS's `gf_defrag_start_crawl`, GLUSTER.md §1.7 and §6 point 7).
 *
 * - Crawl: containers in (account, container) order; in each, every name merged across all sets
 *   (rebalance-crawl.ts). A name already on its hashed set and nowhere else costs one listing row;
 *   only names whose set changed are moved (rebalance-move.ts), so the work is O(objects scanned)
 *   reads and O(objects moved) writes.
 * - Throttled: at most `parallelism` names move at once (GlusterFS's rebal-throttle "normal" = 2).
 * - Resumable: the checkpoint is (account, container, marker), where every name up to the marker is
 *   done; it is handed to `onCheckpoint` about once a second and at every stop, and a run started
 *   `from` it carries on right after it.
 * - A container whose names all moved is stamped with the layout commit (layout-history.ts): from
 *   then on a miss on its hashed set is authoritative. Stamping merges its record onto every brick,
 *   which also puts it on bricks that joined with add-brick (GlusterFS's fix-layout mkdir); account
 *   records are merged onto every brick the same way.
 * - A name that cannot be moved (a set below quorum, a brick error) is counted and reported; its
 *   container is not stamped, and the rebalance ends 'failed' so it is run again. Never a lost object:
 *   an old copy is only replaced by a linkto after the new set holds the version.
 */
import { containerKey } from './layout.js';
import { stampKey } from './layout-history.js';
import { containerNames, containers, type ContainerId } from './rebalance-crawl.js';
import { moveName, needsMove } from './rebalance-move.js';
import type { RebalanceCheckpoint, RebalanceCounts } from './volume-file.js';
import type { Volume } from './volume.js';

export interface RebalancerOptions {
  /** Names moved at once (default 2). */
  parallelism?: number;
  /** Resume right after this point. */
  from?: RebalanceCheckpoint;
  /** Counts of earlier runs to continue from. */
  counts?: RebalanceCounts;
  /** Persist the resumable state; awaited. Called about every `checkpointMs`, after each container and at the end. */
  onCheckpoint?(checkpoint: RebalanceCheckpoint | undefined, counts: RebalanceCounts): Promise<void> | void;
  checkpointMs?: number;
  /** Told after every name (cheap: for progress bars). */
  onProgress?(counts: RebalanceCounts): void;
  /** Stop at the next name; in-flight moves finish first. */
  signal?: AbortSignal;
}

export interface RebalanceOutcome {
  status: 'completed' | 'stopped' | 'failed';
  counts: RebalanceCounts;
  /** Where to resume (stopped runs). */
  checkpoint?: RebalanceCheckpoint;
  /** The first few names that could not be moved, with why. */
  failures: string[];
}

export function zeroCounts(): RebalanceCounts {
  return { scanned: 0, moved: 0, failed: 0, bytes: 0, containers: 0, reclaimed: 0 };
}

/** Names scanned past an unfinished move before the scan waits for it. */
const MAX_BEHIND = 10_000;

/** How many failure descriptions are kept. */
const MAX_FAILURES = 20;

export class Rebalancer {
  private readonly counts: RebalanceCounts;
  private readonly failures: string[] = [];
  private readonly parallelism: number;
  private lastCheckpoint = Date.now();
  private lastAccount: string | undefined;

  constructor(private readonly volume: Volume, private readonly opts: RebalancerOptions = {}) {
    this.counts = { ...(opts.counts ?? zeroCounts()) };
    this.parallelism = Math.max(1, Math.floor(opts.parallelism ?? 2));
  }

  async run(): Promise<RebalanceOutcome> {
    const from = this.opts.from;
    let failedAny = false;
    const visit = async (c: ContainerId, marker?: string): Promise<RebalanceCheckpoint | undefined> => {
      const r = await this.container(c, marker);
      if (r.failed) failedAny = true;
      return r.stoppedAt;
    };
    if (from) {
      const stoppedAt = await visit(from, from.marker);
      if (stoppedAt) return this.stop(stoppedAt);
    }
    for await (const c of containers(this.volume.sets, from)) {
      const stoppedAt = await visit(c);
      if (stoppedAt) return this.stop(stoppedAt);
    }
    await this.opts.onCheckpoint?.(undefined, { ...this.counts });
    // A name that failed in an earlier (stopped) part of the run left its container unstamped and
    // unmoved names behind the checkpoint: the rebalance is not complete either.
    const failed = failedAny || this.counts.failed > 0;
    return { status: failed ? 'failed' : 'completed', counts: { ...this.counts }, failures: [...this.failures] };
  }

  private async stop(at: RebalanceCheckpoint): Promise<RebalanceOutcome> {
    await this.opts.onCheckpoint?.(at, { ...this.counts });
    return { status: 'stopped', counts: { ...this.counts }, checkpoint: at, failures: [...this.failures] };
  }

  private get stopping(): boolean { return this.opts.signal?.aborted === true; }

  /** Move one container's names; resolves with where it stopped (if it did) and whether a name failed. */
  private async container(c: ContainerId, marker?: string): Promise<{ stoppedAt?: RebalanceCheckpoint; failed: boolean }> {
    const { volume } = this;
    const layout = volume.layout;
    const key = containerKey(c.account, c.container);
    if (c.account !== this.lastAccount) {
      this.lastAccount = c.account;
      const acct = await volume.catalog.getAccount(c.account);
      if (acct) await volume.catalog.mergeAccount(acct);
    }
    const rec = await volume.catalog.getContainer(c.account, c.container);
    if (volume.placement.isStamped(rec)) return { failed: false }; // finished by an earlier run

    // Names in scan order; `safe` is the last name such that it and every name before it is done.
    const order: Array<{ name: string; done: boolean }> = [];
    let safe = marker;
    const settle = (): void => {
      while (order.length > 0 && order[0]!.done) safe = order.shift()!.name;
    };
    const running = new Set<Promise<void>>();
    let failed = false;
    for await (const g of containerNames(volume.sets, c, marker)) {
      if (this.stopping) break;
      this.counts.scanned++;
      const entry = { name: g.name, done: false };
      order.push(entry);
      const target = layout.locate(key, g.name);
      if (!needsMove(g.records, target)) {
        entry.done = true;
      } else {
        while (running.size >= this.parallelism) await Promise.race(running);
        const ref = { account: c.account, container: c.container, object: g.name };
        const task = moveName(volume.sets, ref, target, g.records.keys()).then((r) => {
          if (r.moved) this.counts.moved++;
          this.counts.bytes += r.bytes;
        }, (err: unknown) => {
          failed = true;
          this.counts.failed++;
          if (this.failures.length < MAX_FAILURES) {
            this.failures.push(`${c.account}/${c.container}/${g.name}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }).finally(() => {
          entry.done = true;
          running.delete(task);
          settle();
          this.opts.onProgress?.({ ...this.counts });
        });
        running.add(task);
      }
      settle();
      if (entry.done) this.opts.onProgress?.({ ...this.counts });
      // A slow move holds the checkpoint back while the scan runs ahead: bound what waits behind it.
      while (order.length > MAX_BEHIND && running.size > 0) await Promise.race(running);
      await this.maybeCheckpoint(c, safe);
    }
    await Promise.all(running);
    settle();
    if (this.stopping) return { stoppedAt: { ...c, marker: safe ?? '' }, failed };
    if (!failed && rec) {
      // Every name is on its hashed set: stamp (and, by merging, copy the record onto every brick).
      await volume.catalog.mergeContainer({ ...rec, metadata: { [stampKey(layout.version)]: ['', rec.putTimestamp] } });
    }
    this.counts.containers++;
    await this.checkpoint({ ...c, marker: safe ?? '' });
    return { failed };
  }

  private async maybeCheckpoint(c: ContainerId, marker: string | undefined): Promise<void> {
    if (Date.now() - this.lastCheckpoint < (this.opts.checkpointMs ?? 1000)) return;
    await this.checkpoint({ ...c, marker: marker ?? '' });
  }

  private async checkpoint(cp: RebalanceCheckpoint): Promise<void> {
    this.lastCheckpoint = Date.now();
    await this.opts.onCheckpoint?.(cp, { ...this.counts });
  }
}
