/**
 * CPU time of a process and all its descendants (cluster workers), from /proc: user + system seconds
 * of every thread, including the kernel time its fsyncs cost. The bench uses it to show how much of
 * the host a server already uses, which bounds what more worker processes can add.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times: 100 on every Linux the bench runs on. */
const TICKS_PER_SECOND = 100;

/** CPU seconds of one process (all its threads), or 0 when it is gone. */
function ownSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Direct children of `pid`, from every thread's children list. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** CPU seconds of `pid` and its live descendants; undefined where /proc is not there. */
export function treeCpuSeconds(pid: number): number | undefined {
  try { readFileSync(`/proc/${pid}/stat`); } catch { return undefined; }
  let total = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const p = pending.pop()!;
    total += ownSeconds(p);
    pending.push(...childrenOf(p));
  }
  return total;
}
