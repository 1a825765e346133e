/**
 * PolicyStore (storage/policy-store.ts): one volume per storage policy behind one ObjectStore.
 * Accounts and container records live in the default policy's volume; a container's objects,
 * listings and counts in its policy's volume.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerNotEmpty, ContainerNotFound, Conflict, InvalidArgument, ObjectNotFound } from '../../../src/storage/errors.js';
import { openPolicyStore, PolicyConflict, PolicyStore, policySpecs } from '../../../src/storage/policy-store.js';
import { isSubdir, type ObjectStore, type VolumeSpec } from '../../../src/storage/store.js';
import type { Volume } from '../../../src/storage/volume.js';
import { storeContract } from './store-contract.js';
import { getText, md5, memoryVolume, putText, ts } from './store-helpers.js';

const A = 'AUTH_p';

/**
 * The contract with every container in the second, non-default policy (named 'Policy-0', the name
 * the contract expects a container's policy to have): every object operation, listing and count
 * then crosses from the default volume's records to the other volume.
 */
storeContract('PolicyStore, containers in the non-default policy', async () => {
  const main = await memoryVolume({ sets: 1, replica: 1 });
  const other = await memoryVolume({ sets: 2, replica: 2 });
  const ps = new PolicyStore([{ name: 'main', store: main }, { name: 'Policy-0', store: other }], 'main');
  const store = new Proxy(ps, {
    get(target, prop, receiver) {
      if (prop === 'createContainer') {
        return (ref: Parameters<ObjectStore['createContainer']>[0], opts: Parameters<ObjectStore['createContainer']>[1]) =>
          target.createContainer(ref, { storagePolicy: 'Policy-0', ...opts });
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store, cleanup: () => ps.close() };
});

storeContract('PolicyStore, one policy (pass-through)', async () => {
  const v = await memoryVolume({ sets: 2, replica: 2 });
  const ps = new PolicyStore([{ name: 'Policy-0', store: v }], 'Policy-0');
  return { store: ps, cleanup: () => ps.close() };
});

describe('PolicyStore', () => {
  let gold: Volume;
  let silver: Volume;
  let store: PolicyStore;
  beforeEach(async () => {
    gold = await memoryVolume({ sets: 2, replica: 2 });
    silver = await memoryVolume({ sets: 1, replica: 2 });
    store = new PolicyStore([{ name: 'gold', store: gold }, { name: 'silver', store: silver }], 'gold');
    await store.createContainer({ account: A, container: 'g' }, { timestamp: ts(), storagePolicy: 'gold' });
    await store.createContainer({ account: A, container: 's' }, { timestamp: ts(), storagePolicy: 'silver' });
  });
  afterEach(async () => { await store.close(); });

  it('keeps every container record in the default volume and a mirror in the policy\'s own', async () => {
    expect((await gold.getContainer({ account: A, container: 's' })).storagePolicy).toBe('silver');
    expect((await silver.getContainer({ account: A, container: 's' })).storagePolicy).toBe('silver');
    await expect(silver.getContainer({ account: A, container: 'g' })).rejects.toBeInstanceOf(ContainerNotFound);
    expect((await store.getContainer({ account: A, container: 's' })).storagePolicy).toBe('silver');
  });

  it('stores a container\'s objects in its policy\'s volume only', async () => {
    await putText(store, A, 's', 'o', 'silver data');
    await putText(store, A, 'g', 'o', 'gold');
    expect(await getText(store, A, 's', 'o')).toBe('silver data');
    expect(await getText(silver, A, 's', 'o')).toBe('silver data');
    await expect(gold.headObject({ account: A, container: 's', object: 'o' })).rejects.toBeInstanceOf(ObjectNotFound);
    await expect(silver.headObject({ account: A, container: 'g', object: 'o' })).rejects.toBeInstanceOf(ObjectNotFound);
    expect((await store.listObjects({ account: A, container: 's' }, { limit: 10 })).entries.map((e) => (e as { name: string }).name)).toEqual(['o']);
    await store.postObject({ account: A, container: 's', object: 'o' }, { timestamp: ts(), metadata: { 'x-object-meta-k': 'v' } });
    expect((await store.headObject({ account: A, container: 's', object: 'o' })).metadata).toEqual({ 'x-object-meta-k': 'v' });
    expect(await store.deleteObject({ account: A, container: 's', object: 'o' }, { timestamp: ts() })).toEqual({ existed: true });
    await expect(silver.headObject({ account: A, container: 's', object: 'o' })).rejects.toBeInstanceOf(ObjectNotFound);
  });

  it('counts a container\'s objects where they are, in container info and account listings', async () => {
    await putText(store, A, 's', 'a', '12345');
    await putText(store, A, 's', 'b', '123');
    await putText(store, A, 'g', 'a', '1');
    expect(await store.getContainer({ account: A, container: 's' })).toMatchObject({ objectCount: 2, bytesUsed: 8 });
    expect(await store.getContainer({ account: A, container: 'g' })).toMatchObject({ objectCount: 1, bytesUsed: 1 });
    await store.createContainer({ account: A, container: 'x/1' }, { timestamp: ts(), storagePolicy: 'silver' });
    const page = await store.listContainers({ account: A }, { limit: 10 });
    expect(page.entries).toMatchObject([{ name: 'g', count: 1, bytes: 1 }, { name: 's', count: 2, bytes: 8 }, { name: 'x/1', count: 0 }]);
    const rolled = await store.listContainers({ account: A }, { limit: 10, delimiter: '/', reverse: true });
    expect(rolled.entries.map((e) => (isSubdir(e) ? e.subdir : `${e.name}:${e.count}`))).toEqual(['x/', 's:2', 'g:1']);
    const updated = await store.updateContainerMetadata({ account: A, container: 's' }, { 'x-container-meta-a': '1' }, { timestamp: ts() });
    expect(updated).toMatchObject({ objectCount: 2, bytesUsed: 8, metadata: { 'x-container-meta-a': '1' } });
  });

  it('sums the account over the policies and gives per-policy statistics for the policies in use', async () => {
    await putText(store, A, 's', 'a', '12345');
    await putText(store, A, 'g', 'a', '12');
    const info = await store.getAccount({ account: A });
    expect(info).toMatchObject({ containerCount: 2, objectCount: 2, bytesUsed: 7 });
    expect(info.policyStats).toEqual({
      gold: { containerCount: 1, objectCount: 1, bytesUsed: 2 },
      silver: { containerCount: 1, objectCount: 1, bytesUsed: 5 },
    });
    await store.createContainer({ account: 'AUTH_q', container: 'only-gold' }, { timestamp: ts() });
    expect((await store.getAccount({ account: 'AUTH_q' })).policyStats).toEqual({ gold: { containerCount: 1, objectCount: 0, bytesUsed: 0 } });
    const meta = await store.updateAccountMetadata({ account: A }, { 'x-account-meta-a': '1' }, { timestamp: ts() });
    expect(meta).toMatchObject({ objectCount: 2, bytesUsed: 7, metadata: { 'x-account-meta-a': '1' } });
    expect(meta.policyStats?.silver).toEqual({ containerCount: 1, objectCount: 1, bytesUsed: 5 });
  });

  it('refuses to change an existing container\'s policy, accepts the same one or none', async () => {
    const err = await store.createContainer({ account: A, container: 's' }, { timestamp: ts(), storagePolicy: 'gold' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyConflict);
    expect(err).toBeInstanceOf(Conflict); // the API answers 409
    expect((await store.createContainer({ account: A, container: 's' }, { timestamp: ts(), storagePolicy: 'silver' })).created).toBe(false);
    const again = await store.createContainer({ account: A, container: 's' }, { timestamp: ts(), metadata: { 'x-container-meta-b': '2' } });
    expect(again.info).toMatchObject({ storagePolicy: 'silver', metadata: { 'x-container-meta-b': '2' } });
    // A new container without a policy gets the default.
    expect((await store.createContainer({ account: A, container: 'n' }, { timestamp: ts() })).info.storagePolicy).toBe('gold');
  });

  it('deletes a container only once its policy\'s volume has no objects, then record and mirror go', async () => {
    await putText(store, A, 's', 'o', 'x');
    await expect(store.deleteContainer({ account: A, container: 's' }, { timestamp: ts() })).rejects.toBeInstanceOf(ContainerNotEmpty);
    expect((await store.getContainer({ account: A, container: 's' })).objectCount).toBe(1);
    await store.deleteObject({ account: A, container: 's', object: 'o' }, { timestamp: ts() });
    await store.deleteContainer({ account: A, container: 's' }, { timestamp: ts() });
    await expect(store.getContainer({ account: A, container: 's' })).rejects.toBeInstanceOf(ContainerNotFound);
    await expect(silver.getContainer({ account: A, container: 's' })).rejects.toBeInstanceOf(ContainerNotFound);
    await expect(putText(store, A, 's', 'o', 'x')).rejects.toBeInstanceOf(ContainerNotFound);
    // Re-created under another policy: its objects now go to that volume.
    const re = await store.createContainer({ account: A, container: 's' }, { timestamp: ts(), storagePolicy: 'gold' });
    expect(re).toMatchObject({ created: true, info: { storagePolicy: 'gold' } });
    await putText(store, A, 's', 'o', 'now gold');
    expect(await getText(gold, A, 's', 'o')).toBe('now gold');
  });

  it('copies across policies by streaming, with the attributes describe() gives', async () => {
    await putText(store, A, 's', 'src', 'cross-policy bytes', { metadata: { 'x-object-meta-a': '1' } });
    const info = await store.copyObject({ account: A, container: 's', object: 'src' }, { account: A, container: 'g', object: 'dst' }, {
      timestamp: ts(),
      describe: (src) => ({ contentType: 'text/copied', metadata: { ...src.metadata, 'x-object-meta-b': '2' }, systemMetadata: {} }),
    });
    expect(info).toMatchObject({ size: 18, etag: md5('cross-policy bytes'), contentType: 'text/copied' });
    expect(await getText(gold, A, 'g', 'dst')).toBe('cross-policy bytes');
    expect((await store.headObject({ account: A, container: 'g', object: 'dst' })).metadata).toEqual({ 'x-object-meta-a': '1', 'x-object-meta-b': '2' });
    const back = await store.copyObject({ account: A, container: 'g', object: 'dst' }, { account: A, container: 's', object: 'back' }, {
      timestamp: ts(), describe: (src) => ({ contentType: src.contentType, metadata: {}, systemMetadata: {} }),
    });
    expect(back.etag).toBe(md5('cross-policy bytes'));
    expect(await getText(silver, A, 's', 'back')).toBe('cross-policy bytes');
    // Within one policy the volume copies by itself.
    await store.copyObject({ account: A, container: 's', object: 'back' }, { account: A, container: 's', object: 'same' }, {
      timestamp: ts(), describe: (src) => ({ contentType: src.contentType, metadata: {}, systemMetadata: {} }),
    });
    expect(await getText(store, A, 's', 'same')).toBe('cross-policy bytes');
    await expect(store.copyObject({ account: A, container: 's', object: 'missing' }, { account: A, container: 'g', object: 'x' }, {
      timestamp: ts(), describe: (src) => ({ contentType: src.contentType, metadata: {}, systemMetadata: {} }),
    })).rejects.toBeInstanceOf(ObjectNotFound);
  });

  it('restores a missing mirror when an object is written', async () => {
    // As if the container had been created before its policy had a volume.
    await silver.deleteContainer({ account: A, container: 's' }, { timestamp: ts() });
    expect((await store.listObjects({ account: A, container: 's' }, { limit: 10 })).entries).toEqual([]);
    await putText(store, A, 's', 'o', 'healed');
    expect(await getText(silver, A, 's', 'o')).toBe('healed');
  });

  it('treats a policy name it does not know as the default', async () => {
    await gold.createContainer({ account: A, container: 'legacy' }, { timestamp: ts(), storagePolicy: 'Policy-0' });
    await putText(store, A, 'legacy', 'o', 'old');
    expect(await getText(gold, A, 'legacy', 'o')).toBe('old');
    expect(store.storeOf('Policy-0')).toBe(gold);
    expect(store.storeOf('silver')).toBe(silver);
  });

  it('merges expired objects of every volume in deleteAt order, and health of every brick', async () => {
    const past = Math.floor(Date.now() / 1000) - 100;
    await putText(store, A, 's', 'late', 'x', { deleteAt: past + 2 });
    await putText(store, A, 'g', 'early', 'x', { deleteAt: past + 1 });
    await putText(store, A, 's', 'earliest', 'x', { deleteAt: past });
    expect((await store.listExpired(past + 10, 10)).map((o) => o.object)).toEqual(['earliest', 'early', 'late']);
    expect((await store.listExpired(past + 10, 2)).map((o) => o.object)).toEqual(['earliest', 'early']);
    const health = await store.health();
    expect(health.ok).toBe(true);
    expect(health.bricks).toHaveLength(6);
  });
});

describe('openPolicyStore and policySpecs', () => {
  const vol = (id: string): VolumeSpec => ({ id, bricks: [`memory:${id}-${process.pid}`], replica: 1 });

  it('a config without policies is one policy, Policy-0, on its volume', () => {
    expect(policySpecs({ volume: vol('v') })).toEqual([{ name: 'Policy-0', aliases: [], default: true, volume: vol('v') }]);
  });

  it('opens a store per policy with the default one holding the records', async () => {
    const opened: string[] = [];
    const store = await openPolicyStore([
      { name: 'a', aliases: [], default: false, volume: vol('pa') },
      { name: 'b', aliases: [], default: true, volume: vol('pb') },
    ], async (spec, policy) => {
      opened.push(policy.name);
      return memoryVolume({ sets: 1, replica: 1 }, { id: spec.id });
    });
    try {
      expect(opened).toEqual(['a', 'b']);
      expect(store.defaultName).toBe('b');
      await store.createContainer({ account: A, container: 'c' }, { timestamp: ts() });
      expect((await store.getContainer({ account: A, container: 'c' })).storagePolicy).toBe('b');
    } finally {
      await store.close();
    }
  });

  it('closes what it opened when a later policy cannot be opened', async () => {
    const first = await memoryVolume({ sets: 1, replica: 1 });
    let closed = false;
    const close = first.close.bind(first);
    first.close = async () => { closed = true; await close(); };
    await expect(openPolicyStore([
      { name: 'a', aliases: [], default: true, volume: vol('qa') },
      { name: 'b', aliases: [], default: false, volume: vol('qb') },
    ], async (_spec, policy) => {
      if (policy.name === 'b') throw new InvalidArgument('no bricks');
      return first;
    })).rejects.toBeInstanceOf(InvalidArgument);
    expect(closed).toBe(true);
  });
});
