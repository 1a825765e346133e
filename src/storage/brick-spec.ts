/**
 * Brick spec strings of a VolumeSpec to Brick objects:
 * - `memory:NAME`: a MemoryBrick with id NAME (tests, throwaway volumes);
 * - `http://…` / `https://…`: a remote brick server (not implemented yet: refused);
 * - anything else: a local directory, served by LocalBrick (created on first open).
 */
import { resolve } from 'node:path';
import type { Brick } from './brick/brick.js';
import { MemoryBrick } from './brick/memory.js';
import { InvalidArgument } from './errors.js';
import type { VolumeSpec } from './store.js';

export type BrickFactory = (spec: string, volume: VolumeSpec) => Promise<Brick>;

export const makeBrick: BrickFactory = async (spec, volume) => {
  if (spec.startsWith('memory:')) {
    const name = spec.slice('memory:'.length);
    if (name === '') throw new InvalidArgument(`memory brick needs a name: ${spec}`);
    return new MemoryBrick(name);
  }
  if (/^https?:\/\//i.test(spec)) throw new InvalidArgument(`remote bricks are not supported yet: ${spec}`);
  // Loaded on demand so a memory-only volume never loads SQLite.
  const { LocalBrick } = await import('./brick/local.js');
  return new LocalBrick(resolve(spec), { volumeId: volume.id, fsync: volume.fsync ?? true });
};
