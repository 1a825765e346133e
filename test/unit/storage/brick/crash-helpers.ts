/**
 * Helpers of the LocalBrick crash tests: a compiled brick for the writer fixtures (child processes run
 * dist/, not the TypeScript sources), and a writer child killed with SIGKILL mid-run.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const dist = path.join(repo, 'dist');

/** Rebuild dist/ when the compiled brick is missing or older than its sources (src/storage/brick and src/storage). */
export function ensureBuilt(): void {
  const out = path.join(dist, 'storage/brick/local.js');
  const srcDir = path.join(repo, 'src/storage/brick');
  const newest = Math.max(...[srcDir, path.dirname(srcDir)].flatMap((d) =>
    readdirSync(d).filter((f) => f.endsWith('.ts')).map((f) => statSync(path.join(d, f)).mtimeMs)));
  if (existsSync(out) && statSync(out).mtimeMs >= newest) return;
  // Other engineers' files may not compile yet; tsc still emits, so only the output is checked.
  spawnSync('npx', ['tsc', '-p', repo], { cwd: repo, stdio: 'ignore' });
  if (!existsSync(out)) throw new Error('tsc did not produce dist/storage/brick/local.js');
}

/**
 * Run the writer `fixture` (args: dist, dir, volume, first version) from version `start`; SIGKILL it
 * `delayMs` after its first `committed N` line. Resolves with the last version it reported committed.
 */
export function runAndKill(fixture: string, dir: string, volume: string, start: number, delayMs: number): Promise<number> {
  assert.ok(existsSync(fixture), `writer fixture ${fixture} is missing`);
  assert.ok(delayMs >= 0 && start >= 0, 'start and delay are not negative');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, dist, dir, volume, String(start)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let last = -1;
    let stderr = '';
    let out = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const l of lines) {
        const m = /^committed (\d+)$/.exec(l);
        if (!m) continue;
        if (last < 0) setTimeout(() => child.kill('SIGKILL'), delayMs);
        last = Number(m[1]);
      }
    });
    child.on('exit', (code, signal) => {
      // A writer killed before it committed anything would make the crash test prove nothing.
      if (signal === 'SIGKILL' && last < 0) reject(new Error(`writer was killed before its first commit: ${stderr}`));
      else if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`writer exited (${code}): ${stderr}`));
    });
  });
}
