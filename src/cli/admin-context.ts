/**
 * What the volume-management and rebalance commands share: the config they work from (`--config`,
 * else $CAIRN_CONFIG, else the embedded default), which volume (`--volume ID` picks a storage
 * policy's; default: the config's volume), its volume file, and opening it. Loaded only when a
 * command runs.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { isLocalBrick, loadConfig, type Config } from '../config.js';
import { InvalidArgument } from '../storage/errors.js';
import type { VolumeSpec } from '../storage/store.js';
import { readVolumeFile, updateVolumeFile, type VolumeDefinition } from '../storage/volume-file.js';
import { definitionOf, openDefined, persistent, volumeFilePath } from '../storage/volume-runtime.js';
import { openVolume, type Volume } from '../storage/volume.js';

export interface AdminOptions {
  config?: string;
  /** Volume id (a storage policy's volume); default: the config's volume. */
  volume?: string;
  json?: boolean;
}

export interface AdminContext {
  config: Config;
  /** The config's spec of the chosen volume (knobs: quorum, timeouts, fsync, secret). */
  base: VolumeSpec;
  file: string;
}

export function adminContext(o: AdminOptions): AdminContext {
  const config = loadConfig(o.config);
  const specs: VolumeSpec[] = [config.volume, ...((config as { policies?: Array<{ volume: VolumeSpec }> }).policies ?? []).map((p) => p.volume)];
  const base = o.volume === undefined ? config.volume : specs.find((s) => s.id === o.volume);
  if (!base) throw new InvalidArgument(`no volume "${o.volume}" in the config (volumes: ${[...new Set(specs.map((s) => s.id))].join(', ')})`);
  return { config, base, file: volumeFilePath(config, base.id) };
}

/** The volume file's definition; with `create`, made from the config first when there is none. */
export async function definition(ctx: AdminContext, create = false): Promise<VolumeDefinition> {
  const have = readVolumeFile(ctx.file);
  if (have) return have;
  if (!create) throw new InvalidArgument(`no volume file at ${ctx.file} (run \`cairn volume create\`, or start \`cairn serve\` once)`);
  return createDefinition(ctx, ctx.base);
}

/**
 * Write the volume file for `spec` (bricks created if local, capacity layout pinned). Refuses when one
 * exists. Resolves with what was written.
 */
export async function createDefinition(ctx: AdminContext, spec: VolumeSpec): Promise<VolumeDefinition> {
  if (!persistent(spec)) throw new InvalidArgument('a volume of memory bricks only keeps nothing: no volume file for it');
  prepareBricks(spec.bricks);
  const volume = await openVolume({ ...spec, bricks: [...spec.bricks] });
  try {
    mkdirSync(ctx.config.storage.root, { recursive: true });
    const def = await updateVolumeFile(ctx.file, (existing) => {
      if (existing) throw new InvalidArgument(`${ctx.file} already defines volume ${existing.id}`);
      return definitionOf(volume);
    });
    return def!;
  } finally {
    await volume.close();
  }
}

/** Open the volume a definition describes (the caller closes it). */
export function openAdminVolume(ctx: AdminContext, def: VolumeDefinition): Promise<Volume> {
  return openDefined(def, ctx.base, { brickRetryMs: 1000 });
}

/** Create missing local brick directories (the brick writes its brick.json when opened). */
export function prepareBricks(bricks: string[]): void {
  for (const b of bricks) if (isLocalBrick(b) && !existsSync(b)) mkdirSync(b, { recursive: true });
}

/** Brick arguments as the config would spell them (relative paths under the storage root). */
export function brickSpecs(ctx: AdminContext, bricks: string[]): string[] {
  return bricks.map((b) => (isLocalBrick(b) ? resolve(ctx.config.storage.root, b) : b));
}
