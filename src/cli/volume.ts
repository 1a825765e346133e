/**
 * `cairn volume …`: one commander command shared by the volume-management verbs (volume-admin.ts:
 * create, add-brick, remove-brick, replace-brick) and the heal side's status/info (volume-status.ts,
 * registered here when that module is present and exports `registerVolumeStatus`). Whoever registers
 * first creates the `volume` command; the others attach their subcommands to the same one.
 */
import type { Command } from 'commander';

/** The program's `volume` command, created if nobody has yet. */
export function volumeCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'volume')
    ?? program.command('volume').description('manage the volume: create, add-brick, remove-brick, replace-brick, status, info');
}

export async function registerVolume(program: Command): Promise<void> {
  const volume = volumeCommand(program);
  const { registerVolumeAdmin } = await import('./volume-admin.js');
  registerVolumeAdmin(volume);
  // Loaded by name: the module belongs to the heal work and may not exist in every build.
  const statusModule = './volume-status.js';
  const status = await import(statusModule).catch(() => undefined) as { registerVolumeStatus?: (volume: Command) => void } | undefined;
  if (typeof status?.registerVolumeStatus === 'function' && !volume.commands.some((c) => c.name() === 'status')) {
    status.registerVolumeStatus(volume);
  }
}
