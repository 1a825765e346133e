/**
 * A rebalance run bound to the volume file: the file is both its checkpoint store and its status
 * endpoint (`cairn rebalance status` and any other node read it; no gateway route is needed, and the
 * state survives the process).
 *
 * start: claim the pending/stopped/failed rebalance (refused while another live process runs it),
 * wait out the grace period after the layout change (so every gateway polling the file has switched
 * to the new layout before containers get stamped), then crawl, writing counts and the checkpoint
 * about once a second and reading back `stopRequested` (`cairn rebalance stop`) each time.
 * completed: the previous layout is dropped from the file (every lookup is authoritative again);
 * stopped: the checkpoint stays for the next start; failed: the next start crawls from the beginning
 * (moved names are only scanned again).
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from './brick/local-files.js';
import { InvalidArgument } from './errors.js';
import { countObjects } from './rebalance-crawl.js';
import { fixLayout, reclaimLinktos } from './rebalance-fixlayout.js';
import { Rebalancer, zeroCounts } from './rebalance.js';
import type { VolumeSpec } from './store.js';
import { readVolumeFile, updateVolumeFile, type RebalanceState, type VolumeDefinition } from './volume-file.js';
import { applyDefinition, openDefined, WATCH_INTERVAL_MS } from './volume-runtime.js';
import type { Volume, VolumeOptions } from './volume.js';

export interface RunRebalanceOptions {
  /** The volume file. */
  file: string;
  /** The config's volume (quorum, timeouts, fsync, secret) for opening bricks. */
  base: VolumeSpec;
  /** Names moved at once (default: the file's, 2). */
  parallelism?: number;
  /** Wait at least this long after the layout change before crawling (default 3 × the gateways' poll interval). */
  graceMs?: number;
  /** Use this open volume (brought in line with the file) instead of opening one. */
  volume?: Volume;
  volumeOptions?: VolumeOptions;
  /** Told after every name and every checkpoint. */
  onProgress?(state: RebalanceState): void;
  /** Stop at the next name (SIGINT in the CLI). */
  signal?: AbortSignal;
  checkpointMs?: number;
}

/**
 * Whether a running rebalance's owner is gone (it crashed), so another process may take over. An owner
 * on another host cannot be checked from here and counts as alive.
 */
function ownerGone(r: RebalanceState): boolean {
  return r.owner === undefined || (r.owner.host === hostname() && !processAlive(r.owner.pid));
}

/** Run (or resume) the pending rebalance to completion, a stop, or a failure. Resolves with the final state. */
export async function runRebalance(o: RunRebalanceOptions): Promise<RebalanceState> {
  let fresh = false;
  const claimed = await updateVolumeFile(o.file, (def) => {
    if (!def) throw new InvalidArgument(`no volume file at ${o.file} (run \`cairn volume create\`)`);
    const r = def.rebalance;
    if (!def.previous || !r || r.status === 'completed') throw new InvalidArgument('nothing to rebalance: the layout has not changed since the last rebalance');
    if (r.status === 'running' && !ownerGone(r)) throw new InvalidArgument(`a rebalance is already running (pid ${r.owner!.pid} on ${r.owner!.host})`);
    fresh = r.status === 'failed' || r.status === 'pending';
    const next: RebalanceState = {
      ...r,
      status: 'running',
      owner: { pid: process.pid, host: hostname() },
      parallelism: o.parallelism ?? r.parallelism,
      startedAt: new Date().toISOString(),
      stopRequested: false,
    };
    delete next.error;
    delete next.finishedAt;
    if (r.status === 'failed') {
      // Start over: failed names are somewhere behind the checkpoint.
      next.counts = zeroCounts();
      next.elapsedMs = 0;
      delete next.checkpoint;
      delete next.failures;
    }
    return { ...def, rebalance: next };
  });
  let state = claimed!.rebalance!;
  const owned = o.volume === undefined;
  let volume: Volume | undefined;
  try {
    volume = o.volume ?? await openDefined(claimed!, o.base, o.volumeOptions);
    if (!owned) await applyDefinition(volume, claimed!, o.volumeOptions);
    const graceMs = o.graceMs ?? 3 * WATCH_INTERVAL_MS;
    const grace = graceMs - (Date.now() - Date.parse(state.layoutChangedAt));
    if (grace > 0) await pause(grace, o.signal);
    await fixLayout(volume, o.signal);
    if (fresh || state.total === undefined) {
      state = await persist(o.file, { total: await countObjects(volume.sets) });
    }
    o.onProgress?.(state);
    const runStart = Date.now();
    const before = state.elapsedMs;
    const stop = new AbortController();
    const forward = (): void => stop.abort();
    o.signal?.addEventListener('abort', forward, { once: true });
    if (o.signal?.aborted) stop.abort();
    const rebalancer = new Rebalancer(volume, {
      parallelism: state.parallelism,
      ...(state.checkpoint ? { from: state.checkpoint } : {}),
      counts: state.counts,
      signal: stop.signal,
      ...(o.checkpointMs !== undefined ? { checkpointMs: o.checkpointMs } : {}),
      onProgress: (counts) => o.onProgress?.({ ...state, counts, elapsedMs: before + (Date.now() - runStart) }),
      onCheckpoint: async (checkpoint, counts) => {
        const patch: Partial<RebalanceState> = { counts, elapsedMs: before + (Date.now() - runStart), updatedAt: new Date().toISOString() };
        state = await persist(o.file, patch, checkpoint);
        if (state.stopRequested) stop.abort();
        o.onProgress?.(state);
      },
    });
    let outcome;
    try {
      outcome = await rebalancer.run();
    } finally {
      o.signal?.removeEventListener('abort', forward);
    }
    const elapsedMs = before + (Date.now() - runStart);
    const finishedAt = new Date().toISOString();
    const final = await updateVolumeFile(o.file, (def) => {
      const r = mine(def);
      const next: RebalanceState = { ...r, counts: outcome.counts, elapsedMs, updatedAt: finishedAt, status: outcome.status };
      delete next.owner;
      delete next.stopRequested;
      if (outcome.failures.length > 0) next.failures = outcome.failures;
      if (outcome.status === 'stopped') return { ...def!, rebalance: { ...next, checkpoint: outcome.checkpoint! } };
      delete next.checkpoint;
      next.finishedAt = finishedAt;
      if (outcome.status === 'failed') {
        next.error = `${outcome.counts.failed} name(s) could not be moved; run \`cairn rebalance start\` again`;
        return { ...def!, rebalance: next };
      }
      const done: VolumeDefinition = { ...def!, rebalance: next };
      delete done.previous; // every object is on its hashed set: misses are authoritative everywhere
      return done;
    });
    // A volume we were handed follows the file at once (a gateway's watcher does the same for its own).
    if (!owned) await applyDefinition(volume, final!, o.volumeOptions);
    if (outcome.status !== 'completed') return final!.rebalance!;
    // Once every gateway has dropped the previous layout, the linktos have done their job.
    await pause(graceMs, o.signal);
    if (o.signal?.aborted) return final!.rebalance!;
    const reclaimed = await reclaimLinktos(volume.sets.filter((_s, i) => final!.sets[i]?.state !== 'draining'), o.signal);
    const cleaned = await updateVolumeFile(o.file, (def) => {
      const r = def?.rebalance;
      if (!r || r.commit !== final!.rebalance!.commit) return undefined;
      return { ...def, rebalance: { ...r, counts: { ...r.counts, reclaimed: r.counts.reclaimed + reclaimed } } };
    });
    return cleaned!.rebalance!;
  } catch (err) {
    // Leave it resumable: stopped at the last checkpoint, with the error.
    const message = err instanceof Error ? err.message : String(err);
    await updateVolumeFile(o.file, (def) => {
      if (def?.rebalance?.owner?.pid !== process.pid) return undefined;
      const next: RebalanceState = { ...def.rebalance, status: 'stopped', error: message };
      delete next.owner;
      return { ...def, rebalance: next };
    }).catch(() => undefined);
    throw err;
  } finally {
    if (owned) await volume?.close();
  }
}

/** Sleep, cut short by the signal. */
async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return;
  await sleep(ms, undefined, signal ? { signal } : {}).catch(() => undefined);
}

/** The rebalance state this process owns, or an error if someone took it over. */
function mine(def: VolumeDefinition | undefined): RebalanceState {
  const r = def?.rebalance;
  if (!r || r.owner?.pid !== process.pid || r.owner.host !== hostname()) throw new InvalidArgument('the rebalance was taken over by another process');
  return r;
}

/** Merge a patch (and the checkpoint: undefined removes it) into the running state. */
async function persist(file: string, patch: Partial<RebalanceState>, checkpoint?: RebalanceState['checkpoint'] | null): Promise<RebalanceState> {
  const def = await updateVolumeFile(file, (d) => {
    const r: RebalanceState = { ...mine(d), ...patch };
    if (checkpoint) r.checkpoint = checkpoint;
    else if (checkpoint === undefined && 'counts' in patch) delete r.checkpoint;
    return { ...d!, rebalance: r };
  });
  return def!.rebalance!;
}

/**
 * Ask a running rebalance to stop at its next checkpoint (or mark a pending one stopped). Resolves
 * with the state after the request.
 */
export async function requestStop(file: string): Promise<RebalanceState> {
  const def = await updateVolumeFile(file, (d) => {
    const r = d?.rebalance;
    if (!d || !r || !d.previous) throw new InvalidArgument('no rebalance to stop');
    if (r.status !== 'running') throw new InvalidArgument(`the rebalance is not running (it is ${r.status})`);
    if (ownerGone(r)) {
      const next: RebalanceState = { ...r, status: 'stopped', error: 'its process is gone' };
      delete next.owner;
      return { ...d, rebalance: next };
    }
    return { ...d, rebalance: { ...r, stopRequested: true } };
  });
  return def!.rebalance!;
}

/** The current rebalance state, if any. */
export function rebalanceState(file: string): RebalanceState | undefined {
  return readVolumeFile(file)?.rebalance;
}
