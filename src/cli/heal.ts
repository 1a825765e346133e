/**
 * `cairn heal info|full|split-brain` (GlusterFS's `gluster volume heal VOL info|full|info split-brain`).
 *
 * - info: per brick, whether it is up and how many objects it holds pending and dirty heal marks for
 *   (the index the healer works off), with the first few entries.
 * - full: a full heal crawl of the volume now, in the foreground, with a progress bar and a summary:
 *   account and container records merged onto every brick, every replica set's objects compared and
 *   healed, old tombstones reclaimed, then each brick's audit.
 * - split-brain: the objects whose replicas hold different content under one timestamp; by default
 *   those the heal marks point at (quick), with --crawl every object (a dry-run crawl).
 *
 * These run in their own process against the volume's bricks while a gateway serves them (LocalBricks
 * share one SQLite index through WAL; heals are newest-wins, so a gateway's healer and this one may
 * run at the same time). Registration is light (commander only); storage modules load when a command runs.
 */
import type { Command } from 'commander';
import { commonOptions, countArg, print, printReport, runAdmin, secondsArg } from './admin-run.js';

export interface HealCliOptions {
  config?: string;
  volume?: string;
  json?: boolean;
  /** info: entries listed per brick. */
  entries?: number;
  quiet?: boolean;
  crawl?: boolean;
  /** full: seconds a difference must be old before the crawl heals it (its write may still be running). */
  grace?: number;
}

export function registerHeal(program: Command): void {
  const cmd = program.command('heal').description('self-heal of the replica sets: pending heals, full crawl, split-brain');
  commonOptions(cmd.command('info').description('per brick: up or down, pending and dirty heal marks, first entries'))
    .option('--entries <n>', 'entries listed per brick (default 10)', countArg)
    .action((o: HealCliOptions) => runAdmin(async () => {
      const { healInfo } = await import('./heal-run.js');
      print(await healInfo(o));
    }));
  commonOptions(cmd.command('full').description('run a full heal crawl now (progress bar, then a summary)'))
    .option('-q, --quiet', 'no progress output')
    .option('--grace <seconds>', 'leave differences younger than this to the writes still making them (default 5)', secondsArg)
    .action((o: HealCliOptions) => runAdmin(async () => {
      const { healFull } = await import('./heal-run.js');
      printReport(await healFull(o));
    }));
  commonOptions(cmd.command('split-brain').description('list objects in split-brain (same timestamp, different content)'))
    .option('--crawl', 'look at every object (a dry-run full crawl), not only those with heal marks')
    .action((o: HealCliOptions) => runAdmin(async () => {
      const { healSplitBrain } = await import('./heal-run.js');
      print(await healSplitBrain(o));
    }));
}
