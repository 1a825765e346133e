/**
 * The streaming check: four objects of `gib` GiB PUT at once. A server that streams holds a few MiB
 * per request whatever the object size; one that buffers bodies shows it in its peak RSS at once.
 */
import { performance } from 'node:perf_hooks';
import type { Progress } from './progress.js';
import { payload } from './payload.js';
import type { RssCheckResult } from './results.js';
import { GiB, mbPerSecond } from './stats.js';
import { expectOk, type SwiftSession } from './swift-client.js';

const OBJECTS = 4;

export async function benchRssCheck(s: SwiftSession, gib: number, progress: Progress): Promise<RssCheckResult> {
  const size = Math.round(gib * GiB);
  const container = 'bench-rss';
  expectOk('PUT container', await s.send('PUT', s.path(container)));
  progress.note(`  streaming check: ${OBJECTS} × ${gib} GiB PUT concurrently`);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: OBJECTS }, async (_v, i) => {
    expectOk(`PUT big-${i}`, await s.send('PUT', s.path(container, `big-${i}`), payload(size), { 'content-length': String(size) }));
  }));
  const seconds = (performance.now() - t0) / 1000;
  for (let i = 0; i < OBJECTS; i++) expectOk(`DELETE big-${i}`, await s.send('DELETE', s.path(container, `big-${i}`)));
  expectOk('DELETE container', await s.send('DELETE', s.path(container)));
  return { objects: OBJECTS, gib, seconds, MBps: mbPerSecond(OBJECTS * size, seconds) };
}
