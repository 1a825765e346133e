/**
 * A gateway killed with SIGKILL while it holds state on a real `cairn brick` process: a writer whose
 * body is uploaded whole but never committed (its tmp file and descriptor on the server), and a pinned
 * data handle never closed (a descriptor of the data file). The server's idle sweeps are at their
 * defaults (minutes), so only the gateway's session ending can explain the server letting go within
 * seconds: the tmp file is removed and the pinned descriptor closed, while the server keeps running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, startBrickProcess, type BrickProcess } from '../helpers/brick-servers.js';
import { eventually } from '../helpers/objects.js';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const FIXTURE = path.join(ROOT, 'test/fixtures/abandoning-gateway.mjs');
const SECRET = 'session-secret-0123456789abcdef';
const VOLUME = 'session-test';

let dir = '';
let server: BrickProcess | undefined;
let gateway: ChildProcess | undefined;

beforeAll(ensureBuilt, 180_000);

afterEach(async () => {
  gateway?.kill('SIGKILL');
  gateway = undefined;
  await server?.stop();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

/** Start the fixture gateway on `brickUrl`; resolves with what its ready line names once it holds its state. */
function startGateway(brickUrl: string): Promise<{ child: ChildProcess; dataFile: string }> {
  const child = spawn(process.execPath, [FIXTURE, path.join(ROOT, 'dist'), brickUrl, SECRET, VOLUME], { stdio: ['ignore', 'pipe', 'pipe'] });
  gateway = child;
  let output = '';
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway was not ready in 20 s:\n${output}`)), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += `${line}\n`;
      const m = /^ready (\S+)/.exec(line);
      if (m) { clearTimeout(timer); resolve({ child, dataFile: m[1]! }); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the gateway exited (${code}):\n${output}`)); });
  });
}

/** The files process `pid` holds open (Linux /proc), as paths. */
function openFiles(pid: number): string[] {
  const fds = `/proc/${pid}/fd`;
  return readdirSync(fds).flatMap((fd) => {
    try { return [readlinkSync(path.join(fds, fd))]; } catch { return []; } // closed meanwhile
  });
}

describe('a gateway that dies holding a writer and a pinned handle on a brick server', () => {
  it('the server aborts the writer (tmp file gone) and releases the handle within seconds, not at its idle sweep', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cairn-session-'));
    const brickDir = path.join(dir, 'b');
    server = await startBrickProcess(['--dir', brickDir, '--secret', SECRET, '--volume', VOLUME]);
    const { child, dataFile } = await startGateway(`${server.url}/b`);
    const tmp = path.join(brickDir, 'tmp');
    const pinned = path.join(realpathSync(brickDir), dataFile);
    const procFds = existsSync(`/proc/${server.pid}/fd`);

    // What the gateway left on the server is there while it lives.
    expect(readdirSync(tmp), 'the uncommitted upload in tmp/').toHaveLength(1);
    if (procFds) expect(openFiles(server.pid), 'the pinned data file is held open').toContain(pinned);

    await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGKILL'); });
    const t0 = Date.now();
    expect(await eventually(() => readdirSync(tmp).length === 0, 5000), `the abandoned upload is still in tmp/: ${readdirSync(tmp).join(', ')}`).toBe(true);
    if (procFds) expect(await eventually(() => !openFiles(server!.pid).includes(pinned), 5000), 'the pinned data file is still held open').toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    // The server lives on, and the committed object is intact.
    expect(server.child.exitCode).toBeNull();
    expect(existsSync(pinned)).toBe(true);
  }, 60_000);
});
