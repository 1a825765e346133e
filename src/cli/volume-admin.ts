/**
 * `cairn volume create | add-brick | remove-brick start|status|commit | replace-brick`: GlusterFS's
 * volume-management verbs over the volume file (storage/volume-admin.ts says what each one changes).
 * Every running gateway follows the file within a second; with bricks on brick servers, the verbs
 * also publish the new definition to the servers, which every gateway follows within seconds
 * (definition-share.ts). The rebalance is `cairn rebalance start` (remove-brick start runs it at
 * once, as GlusterFS's does).
 *
 * Bricks are named as in the config: a path (relative ones resolve against storage.root), or
 * `http://host:port/NAME` for a brick server.
 */
import type { Command } from 'commander';
import { InvalidArgument } from '../storage/errors.js';
import type { VolumeDefinition } from '../storage/volume-file.js';
import type { AdminContext, AdminOptions } from './admin-context.js';
import type { DefinitionShare } from './definition-share.js';
import { commonOptions, positiveIntArg, print, runAdmin } from './admin-run.js';
import { foregroundRebalance, type RebalanceCliOptions } from './rebalance.js';

/** The command bodies' shared helpers, loaded when a command runs. */
const ctxModule = (): Promise<typeof import('./admin-context.js')> => import('./admin-context.js');

/** A definition's bricks in set order (volume-file.ts bricksOf, without loading the storage modules here). */
const bricksIn = (def: VolumeDefinition): string[] => def.sets.flatMap((s) => s.bricks);

function describeSets(def: VolumeDefinition): string {
  return def.sets.map((s, i) => `  set ${i}${s.state ? ` (${s.state})` : ''}: ${s.bricks.join('  ')}`).join('\n');
}

export function registerVolumeAdmin(volume: Command): void {
  commonOptions(volume.command('create').description('write the volume file (default: the config\'s bricks and replica count)'))
    .argument('[bricks...]', 'bricks, in replica-set order (default: volume.bricks of the config)')
    .option('-r, --replica <n>', 'bricks per replica set (default: volume.replica of the config)', positiveIntArg)
    .action((bricks: string[], o: AdminOptions & { replica?: number }) => runAdmin(async () => {
      const { adminContext, brickSpecs, createDefinition } = await ctxModule();
      const ctx = adminContext(o);
      const spec = { ...ctx.base, ...(bricks.length > 0 ? { bricks: brickSpecs(ctx, bricks) } : {}), ...(o.replica ? { replica: o.replica } : {}) };
      if (spec.bricks.length % spec.replica !== 0) throw new InvalidArgument(`${spec.bricks.length} bricks cannot form replica sets of ${spec.replica}`);
      const def = await createDefinition(ctx, spec);
      print(o.json ? JSON.stringify(def, null, 2)
        : `volume ${def.id} created: ${def.sets.length} replica set(s) of ${def.replica}, layout commit ${def.layout.version}\n${describeSets(def)}\n  file: ${ctx.file}`);
    }));

  commonOptions(volume.command('add-brick').description('add whole replica sets; new writes use them at once, `cairn rebalance start` moves existing objects'))
    .argument('<bricks...>', 'new bricks, a multiple of the replica count, in set order')
    .option('--weight <chunks>', 'weight of each new set in 1 MiB chunks (default: its smallest brick\'s capacity)', positiveIntArg)
    .option('--force', 'accept bricks that already hold objects')
    .action((bricks: string[], o: AdminOptions & { weight?: number; force?: boolean }) => runAdmin(async () => {
      const { adminContext, brickSpecs, definition } = await ctxModule();
      const ctx = adminContext(o);
      const specs = brickSpecs(ctx, bricks);
      const share = await shareWithServers(ctx);
      const current = await definition(ctx, true);
      if (specs.length % current.replica !== 0) {
        throw new InvalidArgument(`add-brick needs whole replica sets: a multiple of ${current.replica} bricks, got ${specs.length}`);
      }
      const { probeNewBricks } = await import('./volume-probe.js');
      const weights = await probeNewBricks(ctx, specs, current.replica, { force: o.force === true, ...(o.weight ? { weight: o.weight } : {}) });
      const { addBricks } = await import('../storage/volume-admin.js');
      const { updateVolumeFile } = await import('../storage/volume-file.js');
      const { shareOf } = await import('../storage/layout-arcs.js');
      const def = (await updateVolumeFile(ctx.file, (d) => addBricks(d!, specs, weights)))!;
      await share?.publish(bricksIn(current));
      await copyRecords(ctx, def);
      const shares = shareOf(def.layout.weights);
      const moving = shares.slice(current.sets.length).reduce((a, b) => a + b, 0) / 2 ** 32;
      print(o.json ? JSON.stringify(def, null, 2)
        : `volume ${def.id}: added ${specs.length / def.replica} replica set(s); layout commit ${def.layout.version}\n${describeSets(def)}\n`
          + `  new writes go to the new sets now; about ${(moving * 100).toFixed(1)}% of existing objects will move.\n`
          + '  run `cairn rebalance start` to move them (lookups fall back to the old layout until it completes)');
    }));

  const remove = volume.command('remove-brick').description('drain a replica set and remove it (start | status | commit)');
  commonOptions(remove.command('start').description('give the set no range (new layout commit) and move everything off it, in the foreground'))
    .argument('<bricks...>', 'the bricks of one whole replica set')
    .option('-p, --parallelism <n>', 'objects moved at once (default 2)', positiveIntArg)
    .option('--no-wait', 'only change the layout; run `cairn rebalance start` later')
    .option('-q, --quiet', 'no progress output')
    .action((bricks: string[], o: RebalanceCliOptions & { wait: boolean }) => runAdmin(async () => {
      const { adminContext, brickSpecs } = await ctxModule();
      const ctx = adminContext(o);
      const specs = brickSpecs(ctx, bricks);
      const share = await shareWithServers(ctx);
      const { setOfBricks, startRemove } = await import('../storage/volume-admin.js');
      const { updateVolumeFile } = await import('../storage/volume-file.js');
      let index = -1;
      const def = (await updateVolumeFile(ctx.file, (d) => {
        if (!d) throw new InvalidArgument(`no volume file at ${ctx.file}`);
        index = setOfBricks(d, specs);
        return startRemove(d, index);
      }))!;
      await share?.publish([]);
      if (!o.json) print(`volume ${def.id}: replica set ${index} is draining (layout commit ${def.layout.version}); new writes avoid it now`);
      if (o.wait === false) {
        if (!o.json) print('  run `cairn rebalance start` to move its objects, then `cairn volume remove-brick commit`');
        return;
      }
      const final = await foregroundRebalance(ctx, o);
      if (final.status === 'completed' && !o.json) print('drained: run `cairn volume remove-brick commit` to remove the set');
      if (final.status === 'failed') process.exitCode = 1;
    }));
  commonOptions(remove.command('status').description('the drain\'s progress and what the set still holds'))
    .action((o: AdminOptions) => runAdmin(async () => {
      const { adminContext, definition } = await ctxModule();
      const ctx = adminContext(o);
      const def = await definition(ctx);
      const { drainingSet } = await import('../storage/volume-admin.js');
      const index = drainingSet(def);
      if (index === undefined) throw new InvalidArgument('no remove-brick in progress');
      const live = await liveOn(ctx, def, index);
      const { formatState } = await import('./rebalance-view.js');
      print(o.json ? JSON.stringify({ set: index, bricks: def.sets[index]!.bricks, liveObjects: live, rebalance: def.rebalance ?? null }, null, 2)
        : `remove-brick: replica set ${index} (${def.sets[index]!.bricks.join(' ')}) still holds ${live} live object(s)\n`
          + formatState(def.rebalance, def.previous !== undefined));
    }));
  commonOptions(remove.command('commit').description('remove the drained set from the volume (only when it holds no live object)'))
    .action((o: AdminOptions) => runAdmin(async () => {
      const { adminContext, definition } = await ctxModule();
      const ctx = adminContext(o);
      const share = await shareWithServers(ctx);
      const def = await definition(ctx);
      const { commitRemove, drainingSet } = await import('../storage/volume-admin.js');
      const { updateVolumeFile } = await import('../storage/volume-file.js');
      const index = drainingSet(def);
      if (index === undefined) throw new InvalidArgument('no remove-brick in progress');
      const live = def.previous === undefined ? await liveOn(ctx, def, index) : 0;
      const removed = def.sets[index]!.bricks;
      const next = (await updateVolumeFile(ctx.file, (d) => commitRemove(d!, live)))!;
      await share?.publish(bricksIn(def)); // the removed set's servers learn it is out too
      print(o.json ? JSON.stringify(next, null, 2)
        : `volume ${next.id}: removed replica set ${index} (${removed.join(' ')}); layout commit ${next.layout.version}\n${describeSets(next)}\n`
          + '  the removed bricks keep their files: delete them when you are sure');
    }));

  commonOptions(volume.command('replace-brick').description('swap one brick of a replica set for a new, empty one (heal fills it)'))
    .argument('<old>', 'the brick to take out')
    .argument('<new>', 'the brick to put in its place')
    .option('--force', 'accept a new brick that already holds objects')
    .option('--no-heal', 'do not run a full heal of the set afterwards')
    .action((oldBrick: string, newBrick: string, o: AdminOptions & { force?: boolean; heal: boolean }) => runAdmin(async () => {
      const { adminContext, brickSpecs, definition } = await ctxModule();
      const ctx = adminContext(o);
      const [from, to] = brickSpecs(ctx, [oldBrick, newBrick]) as [string, string];
      const share = await shareWithServers(ctx);
      const current = await definition(ctx, true);
      const { probeNewBricks, fillReplaced } = await import('./volume-probe.js');
      await probeNewBricks(ctx, [to], 1, { force: o.force === true });
      const { replaceBrick } = await import('../storage/volume-admin.js');
      const { updateVolumeFile } = await import('../storage/volume-file.js');
      const def = (await updateVolumeFile(ctx.file, (d) => replaceBrick(d!, from, to)))!;
      await share?.publish(bricksIn(current)); // the old brick's server must refuse writes under the old set
      if (!o.json) print(`volume ${def.id}: ${from} replaced by ${to}\n${describeSets(def)}`);
      const filled = await fillReplaced(ctx, def, to, o.heal !== false);
      print(o.json ? JSON.stringify({ definition: def, fill: filled }, null, 2) : `  fill: ${filled}`);
    }));
}

/** With remote bricks: the servers' newer definition taken into the file first, and the share to publish with after. */
async function shareWithServers(ctx: AdminContext): Promise<DefinitionShare | undefined> {
  const { definitionShare } = await import('./definition-share.js');
  const share = definitionShare(ctx);
  await share?.adopt();
  return share;
}

/** fix-layout now: account and container records onto the new bricks (the rebalance does it again). */
async function copyRecords(ctx: AdminContext, def: VolumeDefinition): Promise<void> {
  const volume = await (await ctxModule()).openAdminVolume(ctx, def);
  try {
    const { fixLayout } = await import('../storage/rebalance-fixlayout.js');
    await fixLayout(volume);
  } finally {
    await volume.close();
  }
}

/** Live objects the set still holds (opens the volume). */
async function liveOn(ctx: AdminContext, def: VolumeDefinition, index: number): Promise<number> {
  const volume = await (await ctxModule()).openAdminVolume(ctx, def);
  try {
    const { liveObjectsIn } = await import('../storage/rebalance-crawl.js');
    return await liveObjectsIn(volume.sets[index]!);
  } finally {
    await volume.close();
  }
}
