/**
 * processAlive decides whose tmp/ files a brick's sweep may remove (and which lock owners are gone):
 * a live process is alive, an exited one is not, and neither is a zombie (exited, not yet collected
 * by its parent), which kill(pid, 0) alone would report alive.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../../../src/storage/brick/local-files.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const state = (pid: number): string => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return 'gone';
  }
};

describe('processAlive', () => {
  it('this process is alive; an exited and collected child is not', async () => {
    expect(processAlive(process.pid)).toBe(true);
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => child.once('exit', r));
    expect(processAlive(child.pid!)).toBe(false);
  });

  it.runIf(process.platform === 'linux')('a zombie (exited, its parent never collects it) is not alive', async () => {
    // The shell starts `sleep 0`, prints its pid and becomes `sleep 30`, which never waits for it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => createInterface({ input: parent.stdout! }).once('line', resolve)));
      for (let i = 0; i < 100 && state(pid) !== 'Z'; i++) await sleep(20);
      expect(state(pid)).toBe('Z');
      expect(() => process.kill(pid, 0)).not.toThrow(); // what the old check went by
      expect(processAlive(pid)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
