/**
 * What the bench measures: Cairn started in a child process on a temporary volume (so its memory can be
 * read from /proc and nothing it does touches real data), or any Swift endpoint given by auth URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { DEFAULT_PIPELINE } from '../config.js';
import type { Credentials } from './swift-client.js';
import { withServerFlags } from '../cli/server-flags.js';

export interface Target extends Credentials {
  /** One line for the report: what was measured. */
  description: string;
  /** The server's pid, when it is ours to read from /proc. */
  pid?: number;
  /** A directory on the filesystem under test (the raw file-stream baseline writes there). */
  dir: string;
  stop(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../../bin/cairn', import.meta.url));
const START_TIMEOUT_MS = 60_000;

export interface LocalOptions {
  replica: number; sets: number; fsync: boolean; dir?: string; keep?: boolean;
  /** `cairn serve --workers N` (bench/workers.ts); one process when absent. */
  workers?: number;
}

/** Start `cairn serve` on a fresh volume under a temp dir, on a random 127.0.0.1 port. */
export async function startCairn(o: LocalOptions): Promise<Target> {
  const dir = mkdtempSync(join(o.dir ?? tmpdir(), 'cairn-bench-'));
  const bricks = Array.from({ length: o.replica * o.sets }, (_v, i) => `b${i + 1}`);
  const config = {
    storage: { root: '.' },
    volume: { id: 'cairn-bench', bricks, replica: o.replica, fsync: o.fsync },
    pipeline: [...DEFAULT_PIPELINE],
    middleware: {
      tempauth: { reseller_prefix: ['AUTH_'], users: [{ account: 'bench', user: 'bench', key: 'bench', groups: ['.admin'] }] },
    },
    // Request logs off: the bench measures the store path, not the log sink.
    log: { level: 'warn', format: 'json' },
  };
  const file = join(dir, 'bench.yaml');
  writeFileSync(file, stringify(config));
  const workers = o.workers !== undefined && o.workers > 1 ? ['--workers', String(o.workers)] : [];
  const child = spawn(process.execPath, [...withServerFlags([]), BIN, 'serve', '--config', file, '--listen', '127.0.0.1:0', ...workers], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const cleanup = (): void => { if (!o.keep) rmSync(dir, { recursive: true, force: true }); };
  let base: string;
  try {
    base = await waitForListening(child);
  } catch (err) {
    child.kill('SIGKILL');
    cleanup();
    throw err;
  }
  return {
    authUrl: `${base}/auth/v1.0`, user: 'bench:bench', key: 'bench',
    description: `cairn (child pid ${child.pid!}) at ${base}: ${o.sets} replica set${o.sets === 1 ? '' : 's'} × ${o.replica} brick${o.replica === 1 ? '' : 's'}, fsync ${o.fsync ? 'on' : 'off'}`,
    pid: child.pid!,
    dir,
    async stop() {
      await stopChild(child);
      cleanup();
    },
  };
}

/** An endpoint someone else runs (e.g. upstream Swift); its memory is not ours to read. */
export function remoteTarget(c: Credentials, dir?: string): Target {
  const tmp = mkdtempSync(join(dir ?? tmpdir(), 'cairn-bench-raw-'));
  return {
    ...c,
    description: `${c.authUrl} as ${c.user}`,
    dir: tmp,
    async stop() { rmSync(tmp, { recursive: true, force: true }); },
  };
}

/** Resolve with the base URL from the server's `listening on` line; reject with its stderr if it dies. */
function waitForListening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`cairn did not start within ${START_TIMEOUT_MS / 1000}s\n${stderr}`)), START_TIMEOUT_MS);
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    // Keep reading stdout for the child's whole life: a full pipe would stall the server.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`cairn exited (${signal ?? code}) before listening:\n${stderr}`));
    });
  });
}

/** SIGTERM a child (SIGKILL if it is still there after 15 s) and wait for its exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
