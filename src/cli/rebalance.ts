/**
 * `cairn rebalance start|status|stop` (GlusterFS's `gluster volume rebalance VOL start|status|stop`).
 *
 * start runs the rebalance in this process, in the foreground, with a progress bar and ETA; Ctrl-C
 * (or SIGTERM, or `cairn rebalance stop` from anywhere) stops it at the next checkpoint, and the next
 * start resumes there. Its state (counts, rates, checkpoint) lives in the volume file, which is the
 * status endpoint: `status` reads it, and so can any node or tool (`--json`).
 *
 * Registration is light (commander only); the storage modules load when a command runs.
 */
import type { Command } from 'commander';
import type { RebalanceState } from '../storage/volume-file.js';
import type { AdminContext, AdminOptions } from './admin-context.js';
import { commonOptions, positiveIntArg, print, runAdmin, secondsArg } from './admin-run.js';

export interface RebalanceCliOptions extends AdminOptions {
  parallelism?: number;
  quiet?: boolean;
  /** Seconds to wait after a layout change before crawling (default 3: gateways poll the file every second). */
  grace?: number;
}

export function registerRebalance(program: Command): void {
  const cmd = program.command('rebalance')
    .description('move objects to the replica sets the current layout hashes them to (after add-brick or remove-brick)');
  commonOptions(cmd.command('start').description('run (or resume) the pending rebalance in the foreground, with a progress bar'))
    .option('-p, --parallelism <n>', 'objects moved at once (default 2, GlusterFS rebal-throttle normal)', positiveIntArg)
    .option('--grace <seconds>', 'wait this long after the layout change so every gateway has it (default 3)', secondsArg)
    .option('-q, --quiet', 'no progress output')
    .action((o: RebalanceCliOptions) => runAdmin(async () => {
      const { adminContext } = await import('./admin-context.js');
      const ctx = adminContext(o);
      const final = await foregroundRebalance(ctx, o);
      if (final.status === 'failed') process.exitCode = 1;
    }));
  commonOptions(cmd.command('status').description('counts, rates, ETA and checkpoint of the rebalance (from the volume file)'))
    .action((o: AdminOptions) => runAdmin(async () => {
      const { adminContext, definition } = await import('./admin-context.js');
      const ctx = adminContext(o);
      const def = await definition(ctx);
      const { formatState } = await import('./rebalance-view.js');
      print(o.json ? JSON.stringify(def.rebalance ?? null, null, 2) : formatState(def.rebalance, def.previous !== undefined));
    }));
  commonOptions(cmd.command('stop').description('ask the running rebalance to stop at its next checkpoint (resume with start)'))
    .action((o: AdminOptions) => runAdmin(async () => {
      const { adminContext } = await import('./admin-context.js');
      const ctx = adminContext(o);
      const { requestStop } = await import('../storage/rebalance-run.js');
      const state = await requestStop(ctx.file);
      print(o.json ? JSON.stringify(state, null, 2)
        : state.status === 'running' ? `rebalance: stop requested (pid ${state.owner?.pid ?? '?'} stops at its next checkpoint)` : `rebalance: ${state.status}`);
    }));
}

/**
 * Run the pending rebalance here with a progress view; SIGINT/SIGTERM stop it at the next name (a
 * second signal exits at once). Prints the final status and resolves with it.
 */
/** How often a running rebalance publishes its state to the brick servers. */
const SHARE_EVERY_MS = 3000;

export async function foregroundRebalance(ctx: AdminContext, o: RebalanceCliOptions): Promise<RebalanceState> {
  const [{ runRebalance }, { formatState, progressView }] = await Promise.all([import('../storage/rebalance-run.js'), import('./rebalance-view.js')]);
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    if (++signals > 1) process.exit(130);
    if (!o.quiet) process.stderr.write('\nrebalance: stopping at the next checkpoint (again to quit now)\n');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const view = progressView(o.quiet === true || o.json === true);
  // With bricks on brick servers, the run's state travels to every gateway through them: published
  // every few seconds while it runs (no gateway may be watching this file) and once at the end.
  const share = (await import('./definition-share.js')).definitionShare(ctx);
  let lastShared = Date.now();
  let sharing: Promise<void> | undefined;
  try {
    const final = await runRebalance({
      file: ctx.file, base: ctx.base, signal: stop.signal,
      ...(o.parallelism !== undefined ? { parallelism: o.parallelism } : {}),
      ...(o.grace !== undefined ? { graceMs: o.grace * 1000 } : {}),
      onProgress: (s) => {
        view.update(s);
        if (share && !sharing && Date.now() - lastShared >= SHARE_EVERY_MS) {
          lastShared = Date.now();
          sharing = share.publish([], true).finally(() => { sharing = undefined; });
        }
      },
    });
    view.stop();
    await sharing;
    await share?.publish([], o.json === true || o.quiet === true);
    print(o.json ? JSON.stringify(final, null, 2) : formatState(final, final.status !== 'completed'));
    return final;
  } finally {
    view.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
