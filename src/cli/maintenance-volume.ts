/**
 * Opening a volume for an operator command that works beside a running gateway (`cairn heal …`,
 * `cairn volume status|info`): the volume its volume file defines (as the gateway opens it), or, with
 * no volume file yet, the config's volume. Bricks that cannot be opened are reported down, not fatal.
 */
import { healConfigOf, type HealConfig } from '../config-heal.js';
import { readVolumeFile } from '../storage/volume-file.js';
import { openVolume, type Volume } from '../storage/volume.js';
import { adminContext, openAdminVolume, prepareBricks, type AdminContext, type AdminOptions } from './admin-context.js';

export interface Maintenance {
  ctx: AdminContext;
  volume: Volume;
  heal: HealConfig;
  /** Whether the volume came from its volume file (else from the config). */
  fromFile: boolean;
}

export async function openMaintenance(o: AdminOptions): Promise<Maintenance> {
  const ctx = adminContext(o);
  const heal = healConfigOf(ctx.config);
  const def = readVolumeFile(ctx.file);
  if (def) return { ctx, volume: await openAdminVolume(ctx, def), heal, fromFile: true };
  prepareBricks(ctx.base.bricks);
  const volume = await openVolume({ ...ctx.base, bricks: [...ctx.base.bricks] }, { brickRetryMs: 1000 });
  return { ctx, volume, heal, fromFile: false };
}
