/**
 * `cairn volume status` and `cairn volume info` (GlusterFS's `gluster volume status|info VOL`),
 * attached to the shared `volume` command by volume.ts. Registration is light; the bodies are in
 * volume-report.ts and load when a command runs.
 *
 * - status: per brick, online or not (and why: down, read-only, full), free and total space, live
 *   objects held, heal marks pending; the first line says whether every replica set has quorum.
 * - info: the volume's definition: id, type, sets x replica, quorum, bricks by set, layout, options.
 */
import type { Command } from 'commander';
import { commonOptions, print, printReport, runAdmin } from './admin-run.js';

export interface VolumeStatusOptions { config?: string; volume?: string; json?: boolean }

export function registerVolumeStatus(volume: Command): void {
  commonOptions(volume.command('status').description('per brick: online, free space, objects, pending heals (which brick is out, and why)'))
    .action((o: VolumeStatusOptions) => runAdmin(async () => {
      const { volumeStatus } = await import('./volume-report.js');
      printReport(await volumeStatus(o));
    }));
  commonOptions(volume.command('info').description('the volume\'s definition: type, replica sets, bricks, layout, options'))
    .action((o: VolumeStatusOptions) => runAdmin(async () => {
      const { volumeInfo } = await import('./volume-report.js');
      print(await volumeInfo(o));
    }));
}
