import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVolume } from '../../../src/storage/volume.js';
import type { ObjectStore } from '../../../src/storage/store.js';
import { now } from '../../../src/storage/timestamp.js';

describe('a container deleted and created again', () => {
  let store: ObjectStore;
  beforeAll(async () => {
    store = await openVolume({ id: 'v', bricks: ['memory:recreate-1', 'memory:recreate-2'], replica: 2 });
  });
  afterAll(async () => { await store.close(); });

  it('starts without the old metadata (Swift clears it on delete)', async () => {
    const ref = { account: 'AUTH_a', container: 'c' };
    await store.createContainer(ref, { timestamp: now(), metadata: { 'x-container-read': '.r:*', 'x-container-meta-a': '1' } });
    await store.deleteContainer(ref, { timestamp: now() });
    await store.createContainer(ref, { timestamp: now(), metadata: { 'x-container-meta-b': '2' } });
    const info = await store.getContainer(ref);
    expect(info.metadata['x-container-read']).toBeUndefined();
    expect(info.metadata['x-container-meta-a']).toBeUndefined();
    expect(info.metadata['x-container-meta-b']).toBe('2');
  });
});
