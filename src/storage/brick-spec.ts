/**
 * Brick spec strings of a VolumeSpec to Brick objects:
 * - `memory:NAME`: a MemoryBrick with id NAME (tests, throwaway volumes);
 * - `http://host:port/NAME` / `https://…`: brick NAME of a brick server (`cairn brick`), a RemoteBrick
 *   authenticated with the volume's `secret`;
 * - anything else: a local directory, served by LocalBrick (created on first open).
 */
import { resolve } from 'node:path';
import type { Brick } from './brick/brick.js';
import { MemoryBrick } from './brick/memory.js';
import { InvalidArgument } from './errors.js';
import type { VolumeSpec } from './store.js';

export type BrickFactory = (spec: string, volume: VolumeSpec) => Promise<Brick>;

/** Whether a brick spec names a brick of a brick server (`http://` or `https://`). */
export function isRemoteBrick(spec: string): boolean {
  return /^https?:\/\//i.test(spec);
}

export const makeBrick: BrickFactory = async (spec, volume) => {
  if (spec.startsWith('memory:')) {
    const name = spec.slice('memory:'.length);
    if (name === '') throw new InvalidArgument(`memory brick needs a name: ${spec}`);
    return new MemoryBrick(name);
  }
  if (isRemoteBrick(spec)) {
    if (!volume.secret) throw new InvalidArgument(`remote brick ${spec} needs the volume's shared secret (volume.secret)`);
    // Loaded on demand so volumes without remote bricks never load the HTTP client.
    const { RemoteBrick } = await import('./brick/remote.js');
    return new RemoteBrick(spec, { secret: volume.secret, volumeId: volume.id, callTimeoutMs: volume.writeTimeoutMs ?? 30_000 });
  }
  // Loaded on demand so a memory-only volume never loads SQLite.
  const { LocalBrick } = await import('./brick/local.js');
  return new LocalBrick(resolve(spec), { volumeId: volume.id, fsync: volume.fsync ?? true });
};
