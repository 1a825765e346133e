/**
 * Peak resident memory of a process, per phase, from /proc/<pid>/status.
 *
 * The kernel keeps the peak (VmHWM) and lets the owner reset it (`echo 5 > /proc/<pid>/clear_refs`),
 * which gives an exact per-phase peak. Where the reset is refused, the meter falls back to sampling
 * VmRSS every 50 ms (a peak shorter than that can be missed; the report says which was used).
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** VmHWM and VmRSS in bytes, or undefined when the process is gone or /proc is not there. */
export function readMemory(pid: number): { hwm: number; rss: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
  } catch {
    return undefined;
  }
}

export class RssMeter {
  private timer: NodeJS.Timeout | undefined;
  private sampled = 0;
  private exact = false;

  constructor(readonly pid: number) {}

  /** Peak since the process started (before any phase reset it). */
  lifetimePeak(): number | undefined { return readMemory(this.pid)?.hwm; }

  /** Begin a phase. */
  start(): void {
    this.stopTimer();
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      this.exact = true;
    } catch {
      this.exact = false;
    }
    this.sampled = readMemory(this.pid)?.rss ?? 0;
    this.timer = setInterval(() => { this.sampled = Math.max(this.sampled, readMemory(this.pid)?.rss ?? 0); }, 50);
    this.timer.unref();
  }

  /** End the phase: its peak RSS in bytes, and whether the kernel's exact peak was used. */
  stop(): { peak: number; exact: boolean } | undefined {
    this.stopTimer();
    const mem = readMemory(this.pid);
    if (!mem) return undefined;
    const peak = this.exact ? mem.hwm : Math.max(this.sampled, mem.rss);
    return { peak, exact: this.exact };
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
