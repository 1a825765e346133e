/**
 * A real Cairn for client tests: `node bin/cairn serve` as a child process on a temp volume and a
 * random 127.0.0.1 port, ready once /healthcheck answers 200. Also finds the `swift` CLI and a Python
 * that can import swiftclient.
 *
 * Clients missing: the tests are skipped with a message, except under CI=true, where they must fail
 * (a CI machine that silently skipped its client tests would prove nothing).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Pool } from 'undici';
import { afterAll, beforeAll } from 'vitest';
import { stringify } from 'yaml';
import { stopChild } from '../../src/bench/target.js';
import { DEFAULT_PIPELINE } from '../../src/config.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = join(ROOT, 'bin/cairn');

export const USER = 'test:tester';
export const KEY = 'testing';

export interface ChildServer {
  base: string;
  authUrl: string;
  /** The temp dir holding the config, the bricks and whatever the test writes. */
  dir: string;
  /** Everything the server wrote to stdout/stderr (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** `cairn serve` in a child process, once it has printed its `listening on URL` line. */
export interface ServeProcess {
  base: string;
  child: ChildProcess;
  /** Its stdout lines so far (read for its whole life: a full pipe would stall the server). */
  lines: string[];
  /** Its stderr so far. */
  stderr(): string;
  /** stdout and stderr as they came (for failure messages). */
  output(): string;
  /** SIGTERM (SIGKILL after 15 s) and wait; its exit code, null when a signal ended it. */
  stop(): Promise<number | null>;
  /**
   * SIGKILL (a crash, `kill -9`) and wait for it to exit. Spawned with `processGroup`, the whole group
   * gets it at once: the cluster workers die with the primary instead of exiting when it is gone.
   */
  kill(): Promise<void>;
}

export interface SpawnOptions {
  /** Run it as the leader of its own process group (so kill() reaches its cluster workers too). */
  processGroup?: boolean;
}

/**
 * `node bin/cairn serve --config FILE --listen 127.0.0.1:0 [args]` in `cwd`; resolves once it
 * prints `listening on URL`, rejects (the child killed) when it exits first or takes over 30 s.
 */
export async function spawnServe(configFile: string, cwd: string, args: string[] = [], opts: SpawnOptions = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', configFile, '--listen', '127.0.0.1:0', ...args], {
    cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.processGroup ?? false,
  });
  // With a process group of its own, kill -9 goes to the whole group (the primary and its workers).
  const sigkill = (): void => {
    if (!opts.processGroup) { child.kill('SIGKILL'); return; }
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* ESRCH: the group is gone already */ }
  };
  const lines: string[] = [];
  let stderr = '';
  let output = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); output += d.toString(); });
  try {
    const base = await new Promise<string>((resolveBase, reject) => {
      const timer = setTimeout(() => reject(new Error(`cairn serve did not start in 30 s:\n${output}`)), 30_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        output += `${line}\n`;
        const m = /listening on (http:\/\/\S+)/.exec(line);
        if (m) { clearTimeout(timer); resolveBase(m[1]!); }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`cairn serve exited (${code}):\n${output}`)); });
    });
    return {
      base, child, lines, stderr: () => stderr, output: () => output,
      async stop() { await stopChild(child); return child.exitCode; },
      async kill() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
        sigkill();
        await exited;
      },
    };
  } catch (err) {
    sigkill();
    throw err;
  }
}

/**
 * Start a server on a fresh 2×2 volume; resolves once /healthcheck is 200. `over` replaces the
 * pipeline and adds middleware options (e.g. slo, which the default pipeline lacks).
 */
export interface ServerOptions { pipeline?: string[]; middleware?: Record<string, Record<string, unknown>> }

export async function startServer(over: ServerOptions = {}): Promise<ChildServer> {
  assert.ok(existsSync(join(ROOT, 'dist/cli/main.js')), 'dist/ is missing: run `npm run build` (npm test does)');
  const dir = mkdtempSync(join(tmpdir(), 'cairn-client-'));
  const config = {
    storage: { root: join(dir, 'storage') },
    volume: { id: 'client-tests', bricks: ['b1', 'b2', 'b3', 'b4'], replica: 2 },
    pipeline: over.pipeline ?? [...DEFAULT_PIPELINE],
    middleware: {
      ...over.middleware,
      tempauth: {
        reseller_prefix: ['AUTH_'],
        users: [
          { account: 'test', user: 'tester', key: 'testing', groups: ['.admin'] },
          { account: 'test', user: 'tester3', key: 'testing3', groups: [] },
        ],
      },
    },
    log: { level: 'warn', format: 'json' },
  };
  const file = join(dir, 'cairn.yaml');
  writeFileSync(file, stringify(config));
  let proc: ServeProcess | undefined;
  const stop = async (): Promise<void> => {
    await proc?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    proc = await spawnServe(file, dir);
    await waitForHealth(proc.base);
    return { base: proc.base, authUrl: `${proc.base}/auth/v1.0`, dir, output: proc.output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitForHealth(base: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${base}/healthcheck`);
      if (res.status === 200) return;
    } catch { /* not up yet */ }
    assert.ok(Date.now() <= deadline, `${base}/healthcheck did not answer 200 in 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What suiteServer gives a describe block; read it in hooks and tests, once beforeAll has run. */
export interface SuiteServer { readonly server: ChildServer; readonly work: string }

/**
 * For a describe block: before its tests, a server (startServer(`over`)) and a scratch dir `work`
 * named from `workPrefix`; after them, both gone. `client` is the client the suite drives (its path,
 * and what to call it): missing, beforeAll fails with missingClient (the suite runs only under CI=true then).
 */
export function suiteServer(client: { path: string | undefined; what: string }, workPrefix: string, over: ServerOptions = {}): SuiteServer {
  const ctx: { server?: ChildServer; work?: string } = {};
  beforeAll(async () => {
    if (!client.path) throw missingClient(client.what);
    ctx.server = await startServer(over);
    ctx.work = mkdtempSync(join(tmpdir(), workPrefix));
  }, 60_000);
  afterAll(async () => {
    await ctx.server?.stop();
    if (ctx.work) rmSync(ctx.work, { recursive: true, force: true });
  });
  return {
    get server() { assert.ok(ctx.server, 'suiteServer: no server (beforeAll has not run or failed)'); return ctx.server; },
    get work() { assert.ok(ctx.work, 'suiteServer: no work dir (beforeAll has not run or failed)'); return ctx.work; },
  };
}

// ------------------------------------------------------------------------------------------ clients

/** A clean environment for the `swift` CLI: none of the caller's OS_ or ST_ settings, UTF-8 I/O. */
export function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(OS|ST)_/.test(k)) env[k] = v;
  return { ...env, PYTHONIOENCODING: 'utf-8', LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' };
}

/**
 * Run `swift -A … -U USER -K KEY args` (the CLI at `swift`) in `cwd` against `server`; resolves with
 * stdout, rejects with its stderr and the tail of the server's output.
 */
export function runSwift(swift: string, server: ChildServer, cwd: string, args: string[]): Promise<string> {
  return new Promise((resolveOut, reject) => {
    execFile(swift, ['-A', server.authUrl, '-U', USER, '-K', KEY, ...args],
      { cwd, env: cliEnv(), maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`swift ${args.join(' ')} failed (${err.code ?? err.signal}):\n${stderr}${stdout}\n--- server ---\n${server.output().slice(-4000)}`));
        else resolveOut(stdout);
      });
  });
}

function onPath(name: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(d, name);
    try { accessSync(p, constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}

function canImportSwiftclient(python: string): boolean {
  try {
    execFileSync(python, ['-c', 'import swiftclient'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface Clients {
  /** Path of the `swift` CLI. */
  swift?: string;
  /** A Python interpreter that imports swiftclient: the one the `swift` script runs with, else python3. */
  python?: string;
}

/** Find the clients. The `swift` script's own interpreter comes first (pyenv's python3 may lack the module). */
export function findClients(): Clients {
  const swift = onPath('swift');
  const candidates: string[] = [];
  if (swift) {
    const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(readFileSync(swift, 'utf8').split('\n')[0] ?? '');
    if (shebang) candidates.push(shebang[1]!.endsWith('/env') && shebang[2] ? shebang[2] : shebang[1]!);
  }
  candidates.push('/usr/bin/python3', 'python3');
  const python = candidates.find(canImportSwiftclient);
  return { ...(swift ? { swift } : {}), ...(python ? { python } : {}) };
}

/**
 * Whether the suite needing `what` should be skipped: only when the client is missing and CI is not
 * set. Prints why, so a skip is never silent.
 */
export function shouldSkip(present: boolean, what: string): boolean {
  if (present) return false;
  if (process.env.CI === 'true') return false;
  console.warn(`SKIPPED: ${what} is not installed (apt-get install python3-swiftclient); under CI=true this fails instead`);
  return true;
}

/** Under CI=true a missing client fails the suite with this. */
export function missingClient(what: string): Error {
  return new Error(`${what} is not installed, and CI=true requires the client tests to run (apt-get install python3-swiftclient)`);
}

/** TempAuth v1.0 over `pool`: the token and the account path (`/v1/AUTH_…`) of the storage URL. */
export async function authOverPool(pool: Pool, user: string, key: string): Promise<{ token: string; account: string }> {
  const auth = await pool.request({ method: 'GET', path: '/auth/v1.0', headers: { 'x-auth-user': user, 'x-auth-key': key } });
  await auth.body.dump();
  assert.equal(auth.statusCode, 200, `auth as ${user}`);
  return { token: auth.headers['x-auth-token'] as string, account: new URL(auth.headers['x-storage-url'] as string).pathname };
}
