/** treeCpuSeconds: a process's CPU time from /proc includes the CPU its child processes burn. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { treeCpuSeconds } from '../../../src/bench/proc-cpu.js';

const onLinux = process.platform === 'linux';

describe.skipIf(!onLinux)('treeCpuSeconds', () => {
  it('counts this process', () => {
    const before = treeCpuSeconds(process.pid)!;
    const until = Date.now() + 150;
    while (Date.now() < until) { /* burn CPU */ }
    expect(treeCpuSeconds(process.pid)! - before).toBeGreaterThan(0.05);
  });

  it('adds the CPU of a busy child to its parent tree', async () => {
    const child = spawn(process.execPath, ['-e', 'const t = Date.now() + 600; while (Date.now() < t) {} setTimeout(() => {}, 10000)']);
    try {
      await new Promise((r) => setTimeout(r, 900));
      const own = treeCpuSeconds(child.pid!)!;
      expect(own).toBeGreaterThan(0.3);
      expect(treeCpuSeconds(process.pid)!).toBeGreaterThanOrEqual(own);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('is undefined for a process that is not there', () => {
    expect(treeCpuSeconds(2 ** 22 + 12345)).toBeUndefined();
  });
});
