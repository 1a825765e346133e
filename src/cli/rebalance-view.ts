/**
 * How a rebalance looks to an operator: the status block (`cairn rebalance status`, `volume
 * remove-brick status`) with counts, rates and an ETA, and the live progress bar of a foreground run
 * (cli-progress on stderr when it is a terminal, a line every few seconds otherwise).
 */
import cliProgress from 'cli-progress';
import type { RebalanceState } from '../storage/volume-file.js';

const MB = 1024 * 1024;

export interface Rates {
  /** Names scanned per second. */
  scanPerSec: number;
  /** Objects moved per second. */
  movedPerSec: number;
  /** MB (MiB) copied per second. */
  mbPerSec: number;
  /** Seconds left, from the scan rate and the estimated total; undefined when unknown. */
  etaSec?: number;
}

export function rates(s: RebalanceState): Rates {
  const secs = Math.max(s.elapsedMs / 1000, 1e-3);
  const scanPerSec = s.counts.scanned / secs;
  const out: Rates = { scanPerSec, movedPerSec: s.counts.moved / secs, mbPerSec: s.counts.bytes / MB / secs };
  if (s.total !== undefined && scanPerSec > 0 && s.status === 'running') out.etaSec = Math.max(0, s.total - s.counts.scanned) / scanPerSec;
  return out;
}

export function duration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The status block. */
export function formatState(s: RebalanceState | undefined, pendingLayout: boolean): string {
  if (!s) return 'rebalance: none (the layout has not changed since the volume was created)\n';
  const r = rates(s);
  const c = s.counts;
  const lines = [
    `rebalance: ${s.status}${s.stopRequested ? ' (stop requested)' : ''} — to layout commit ${s.commit} (${s.reason})`,
    `  scanned     ${c.scanned}${s.total !== undefined ? ` of ~${s.total}` : ''}`,
    `  moved       ${c.moved} objects, ${(c.bytes / MB).toFixed(1)} MB`,
    `  failed      ${c.failed}`,
    `  containers  ${c.containers} finished`,
    `  reclaimed   ${c.reclaimed} linktos`,
    `  rate        ${r.scanPerSec.toFixed(0)} scanned/s, ${r.movedPerSec.toFixed(1)} objects/s, ${r.mbPerSec.toFixed(2)} MB/s over ${duration(s.elapsedMs / 1000)}`,
    `  parallelism ${s.parallelism}`,
  ];
  if (r.etaSec !== undefined) lines.push(`  eta         ${duration(r.etaSec)}`);
  if (s.checkpoint) lines.push(`  checkpoint  ${s.checkpoint.account}/${s.checkpoint.container} after ${JSON.stringify(s.checkpoint.marker)}`);
  if (s.owner) lines.push(`  running as  pid ${s.owner.pid} on ${s.owner.host}`);
  if (s.error) lines.push(`  error       ${s.error}`);
  for (const f of s.failures ?? []) lines.push(`  failed: ${f}`);
  if (pendingLayout && s.status !== 'running') lines.push('  (lookups fall back to the previous layout until it completes: run `cairn rebalance start`)');
  return `${lines.join('\n')}\n`;
}

export interface ProgressView {
  update(s: RebalanceState): void;
  stop(): void;
}

/** A progress bar (TTY) or a periodic line (anything else); `quiet` shows nothing. */
export function progressView(quiet: boolean): ProgressView {
  if (quiet) return { update() {}, stop() {} };
  if (!process.stderr.isTTY) {
    let last = 0;
    return {
      update(s) {
        if (Date.now() - last < 5000) return;
        last = Date.now();
        const r = rates(s);
        process.stderr.write(`rebalance: ${s.counts.scanned}${s.total !== undefined ? `/~${s.total}` : ''} scanned, ${s.counts.moved} moved, `
          + `${s.counts.failed} failed, ${r.mbPerSec.toFixed(2)} MB/s${r.etaSec !== undefined ? `, eta ${duration(r.etaSec)}` : ''}\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar({
    format: '  rebalance {bar} {percentage}% | {value}/{total} scanned | {moved} moved {mb} MB | {failed} failed | {rate}/s | eta {eta_formatted}',
    stream: process.stderr,
    hideCursor: true,
    etaBuffer: 200,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(s) {
      const total = Math.max(s.total ?? 0, s.counts.scanned, 1);
      const payload = {
        moved: s.counts.moved, failed: s.counts.failed,
        mb: (s.counts.bytes / MB).toFixed(1), rate: rates(s).scanPerSec.toFixed(0),
      };
      if (!started) {
        bar.start(total, s.counts.scanned, payload);
        started = true;
        return;
      }
      bar.setTotal(total);
      bar.update(s.counts.scanned, payload);
    },
    stop() { if (started) bar.stop(); },
  };
}
