/** The ObjectStore contract over volumes of several shapes (memory bricks, and LocalBricks once). */
import { describe, expect, it } from 'vitest';
import { storeContract } from './store-contract.js';
import { localVolume, memoryVolume, shapeName, type VolumeShape } from './store-helpers.js';

const SHAPES: VolumeShape[] = [
  { sets: 1, replica: 1 },
  { sets: 1, replica: 3 },
  { sets: 2, replica: 2 },
  { sets: 3, replica: 2 },
];

for (const shape of SHAPES) {
  storeContract(`${shapeName(shape)} memory bricks`, async () => {
    const v = await memoryVolume(shape);
    return { store: v, cleanup: () => v.close() };
  });
}

storeContract('2x2 LocalBricks', async () => {
  const { volume, cleanup } = await localVolume({ sets: 2, replica: 2 });
  return { store: volume, cleanup };
});

describe('volume shapes', () => {
  it.each(SHAPES)('$sets sets of $replica make the volume the contract runs on', async (shape) => {
    const v = await memoryVolume(shape);
    try {
      expect(v.sets).toHaveLength(shape.sets);
      expect(v.sets.every((s) => s.members.length === shape.replica)).toBe(true);
    } finally {
      await v.close();
    }
  });
});
