/**
 * Real `cairn brick` processes for tests: `node bin/cairn brick --dir … --listen 127.0.0.1:0`, ready
 * once it prints its `listening on URL` line. Needs dist/ (built by `npx tsc -p .`, which `npm test`
 * runs first); `ensureBuilt` rebuilds it when sources are newer.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const BIN = path.join(ROOT, 'bin/cairn');

export interface BrickProcess {
  /** `http://127.0.0.1:PORT`; bricks are `${url}/${name}`. */
  url: string;
  pid: number;
  child: ChildProcess;
  /** Everything it printed (for failure messages). */
  output(): string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash) and wait for the exit. */
  kill(): Promise<void>;
}

/** Newest mtime of the .ts files under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Rebuild dist/ when the CLI or the brick server is missing or older than the sources. */
export function ensureBuilt(): void {
  const outs = ['dist/cli/main.js', 'dist/cli/brick.js', 'dist/brickd/server.js'].map((f) => path.join(ROOT, f));
  const built = outs.every((f) => existsSync(f)) ? Math.min(...outs.map((f) => statSync(f).mtimeMs)) : 0;
  if (built >= newestSource(path.join(ROOT, 'src'))) return;
  // Other engineers' files may not compile at every moment; tsc still emits, so only the output is checked.
  spawnSync('npx', ['tsc', '-p', ROOT], { cwd: ROOT, stdio: 'ignore' });
  for (const f of outs) assert.ok(existsSync(f), `tsc did not produce ${f}`);
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Start `cairn brick` with `args` (e.g. ['--dir', d, '--secret', s]); listens on a random loopback port. */
export async function startBrickProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BrickProcess> {
  const child = spawn(process.execPath, [BIN, 'brick', '--listen', '127.0.0.1:0', '--log-level', 'warn', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
  });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cairn brick did not start in 20 s:\n${output}`)), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += `${line}\n`;
      const m = /^cairn brick: listening on (http:\/\/\S+)/.exec(line);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`cairn brick exited (${code}):\n${output}`)); });
  });
  return {
    url,
    pid: child.pid!,
    child,
    output: () => output,
    async stop() { child.kill('SIGTERM'); await waitExit(child); },
    async kill() { child.kill('SIGKILL'); await waitExit(child); },
  };
}

/** Run `cairn brick` expecting it to refuse to start; resolves with its exit code and stderr. */
export function runBrickExpectingFailure(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'brick', '--listen', '127.0.0.1:0', ...args], {
    env: { ...process.env, CAIRN_SECRET: '', ...env }, encoding: 'utf8', timeout: 20_000,
  });
  return { code: r.status, stderr: r.stderr };
}
