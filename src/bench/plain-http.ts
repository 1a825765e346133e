/**
 * The second yardstick for the large-object phase: what a bare Node HTTP server does on this machine,
 * on this filesystem, with this client. Raw file streams leave out loopback HTTP and the MD5 that
 * every Swift server must compute for the ETag; this server has both and nothing else, so
 * Cairn / plain HTTP is the share of the machine's achievable rate that Cairn reaches.
 *
 * It runs in its own process, as Cairn does, so client and server do not share an event loop.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SwiftSession, timeRoundTrip } from './swift-client.js';
import { stopChild } from './target.js';

const START_TIMEOUT_MS = 30_000;

/**
 * The child's whole program, sent with `node -e` as this function's source: it must be
 * self-contained (requires only, nothing from this module's scope) so that it runs the same from
 * dist/ after tsc and from src/ under vitest.
 * PUT /NAME: body -> file (1 MiB writes) with MD5 on the way, fsync, then 201 with the ETag.
 * GET /NAME: the file in 1 MiB reads, with Content-Length. DELETE /NAME: remove it.
 */
function serve(dir: string): void {
  const http = require('node:http') as typeof import('node:http');
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const { pipeline, Transform } = require('node:stream') as typeof import('node:stream');
  const CHUNK = 1 << 20;

  // One path segment, no traversal: the server only ever touches files directly in `dir`.
  const fileOf = (url: string): string | undefined => {
    let name: string;
    try { name = decodeURIComponent(url.split('?')[0]!.slice(1)); } catch { return undefined; }
    if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) return undefined;
    return path.join(dir, name);
  };
  const empty = (res: import('node:http').ServerResponse, status: number, headers: Record<string, string> = {}): void => {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'content-length': '0', ...headers });
    res.end();
  };

  const server = http.createServer((req, res) => {
    const file = fileOf(req.url ?? '/');
    if (file === undefined) { req.resume(); empty(res, 400); return; }
    if (req.method === 'PUT') {
      const md5 = createHash('md5');
      const tap = new Transform({ highWaterMark: CHUNK, transform(chunk: Buffer, _enc, cb) { md5.update(chunk); cb(null, chunk); } });
      // flush: fsync before close, as raw-fs does and as Cairn does before a write counts.
      pipeline(req, tap, fs.createWriteStream(file, { highWaterMark: CHUNK, flush: true }), (err) => {
        if (err) { fs.rm(file, { force: true }, () => undefined); empty(res, 500); return; }
        empty(res, 201, { etag: md5.digest('hex') });
      });
    } else if (req.method === 'GET') {
      fs.stat(file, (err, st) => {
        if (err) { empty(res, 404); return; }
        res.writeHead(200, { 'content-length': String(st.size) });
        pipeline(fs.createReadStream(file, { highWaterMark: CHUNK }), res, () => undefined);
      });
    } else if (req.method === 'DELETE') {
      fs.rm(file, (err) => empty(res, err ? 404 : 204));
    } else {
      req.resume();
      empty(res, 405);
    }
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening ${(server.address() as import('node:net').AddressInfo).port}\n`);
  });
  // The parent holds our stdin: once it closes (the parent is gone), so do we, rather than linger.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

export interface PlainHttpServer {
  /** http://127.0.0.1:PORT */
  url: string;
  pid: number;
  /** The directory its files go in: a fresh one under the directory it was given. */
  dir: string;
  /** Stop the process and remove its directory. */
  stop(): Promise<void>;
}

/** Start the plain server in a child process, its files in a new directory under `dir`. */
export async function startPlainHttp(dir: string): Promise<PlainHttpServer> {
  const home = mkdtempSync(join(dir, 'plain-http-'));
  const child = spawn(process.execPath, ['-e', `(${serve.toString()})(${JSON.stringify(home)});`], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let stderr = '';
      const timer = setTimeout(() => reject(new Error(`plain HTTP server did not start within ${START_TIMEOUT_MS / 1000}s\n${stderr}`)), START_TIMEOUT_MS);
      child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
      // Keep reading stdout while it lives: a full pipe would stall it.
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /^listening (\d+)$/.exec(line);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`plain HTTP server exited (${signal ?? code}) before listening:\n${stderr}`));
      });
    });
    return {
      url: `http://127.0.0.1:${port}`,
      pid: child.pid!,
      dir: home,
      async stop() {
        await stopChild(child);
        rmSync(home, { recursive: true, force: true });
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
}

export interface PlainRates { putSeconds: number; getSeconds: number }

/**
 * One PUT and one GET of `size` bytes against a fresh plain server, through the bench's Swift
 * client (same pool, same payload source, same body consumption as the target's requests; the
 * server ignores the token header it sends).
 */
export async function measurePlainHttp(dir: string, size: number): Promise<PlainRates> {
  const server = await startPlainHttp(dir);
  const s = new SwiftSession(new URL(server.url), 'unused', 1);
  try {
    return await timeRoundTrip(s, s.path('large.bin'), size, 'plain HTTP');
  } finally {
    await s.close().catch(() => undefined);
    await server.stop();
  }
}
