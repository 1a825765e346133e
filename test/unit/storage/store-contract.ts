/**
 * The ObjectStore contract suite: every volume shape (and brick kind) runs it (tus's shared store
 * tests, MinIO's ExecObjectLayerTest). Each test gets a fresh store.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AccountNotFound, ChecksumMismatch, ClientDisconnected, Conflict, ContainerNotEmpty, ContainerNotFound, ObjectNotFound, SizeMismatch,
} from '../../../src/storage/errors.js';
import { compareNames, isSubdir, type ListQuery, type ObjectStore } from '../../../src/storage/store.js';
import { body, getText, md5, ODD_NAMES, putText, readObject, referenceList, ts } from './store-helpers.js';

export interface ContractStore { store: ObjectStore; cleanup: () => Promise<void> }

const A = 'AUTH_test';
const C = 'cont';

function names(entries: Array<object>): string[] {
  return entries.map((e) => (isSubdir(e) ? `[${e.subdir}]` : (e as { name: string }).name));
}

export function storeContract(label: string, make: () => Promise<ContractStore>): void {
  describe(`ObjectStore contract: ${label}`, () => {
    let ctx: ContractStore;
    let store: ObjectStore;
    beforeEach(async () => {
      ctx = await make();
      store = ctx.store;
      await store.createContainer({ account: A, container: C }, { timestamp: ts() });
    });
    afterEach(async () => { await ctx.cleanup(); });

    describe('accounts', () => {
      it('creates accounts idempotently and reports counts', async () => {
        expect(await store.createAccount({ account: 'acct2' }, { timestamp: ts(), metadata: { 'x-account-meta-a': '1' } })).toBe(true);
        expect(await store.createAccount({ account: 'acct2' }, { timestamp: ts() })).toBe(false);
        const info = await store.getAccount({ account: 'acct2' });
        expect(info).toMatchObject({ account: 'acct2', containerCount: 0, objectCount: 0, bytesUsed: 0, metadata: { 'x-account-meta-a': '1' } });
        await putText(store, A, C, 'o1', 'hello');
        await store.createContainer({ account: A, container: 'other' }, { timestamp: ts() });
        await putText(store, A, 'other', 'o2', 'abc');
        expect(await store.getAccount({ account: A })).toMatchObject({ containerCount: 2, objectCount: 2, bytesUsed: 8 });
      });

      it('merges and removes account metadata', async () => {
        await store.updateAccountMetadata({ account: A }, { 'x-account-meta-a': '1', 'x-account-meta-b': '2' }, { timestamp: ts() });
        const info = await store.updateAccountMetadata({ account: A }, { 'x-account-meta-a': '' }, { timestamp: ts() });
        expect(info.metadata).toEqual({ 'x-account-meta-b': '2' });
        expect(info.timestamp >= info.createdAt).toBe(true);
      });

      it('unknown and deleted accounts are not found', async () => {
        await expect(store.getAccount({ account: 'nobody' })).rejects.toBeInstanceOf(AccountNotFound);
        await expect(store.listContainers({ account: 'nobody' }, { limit: 10 })).rejects.toBeInstanceOf(AccountNotFound);
        await store.createAccount({ account: 'gone' }, { timestamp: ts() });
        await store.deleteAccount({ account: 'gone' }, { timestamp: ts() });
        await expect(store.getAccount({ account: 'gone' })).rejects.toBeInstanceOf(AccountNotFound);
      });

      it('lists containers with per-container counts, prefix, delimiter, markers and reverse', async () => {
        for (const c of ['a1', 'a2', 'b/x', 'b/y', 'c']) await store.createContainer({ account: A, container: c }, { timestamp: ts() });
        await putText(store, A, 'a2', 'o', '12345');
        await putText(store, A, 'a2', 'p', '123');
        const page = await store.listContainers({ account: A }, { limit: 100 });
        expect(names(page.entries)).toEqual(['a1', 'a2', 'b/x', 'b/y', 'c', C]);
        expect(page.entries[1]).toMatchObject({ name: 'a2', count: 2, bytes: 8 });
        expect(names((await store.listContainers({ account: A }, { limit: 100, delimiter: '/' })).entries)).toEqual(['a1', 'a2', '[b/]', 'c', C]);
        expect(names((await store.listContainers({ account: A }, { limit: 2, marker: 'a1' })).entries)).toEqual(['a2', 'b/x']);
        expect(names((await store.listContainers({ account: A }, { limit: 10, prefix: 'b/' })).entries)).toEqual(['b/x', 'b/y']);
        expect(names((await store.listContainers({ account: A }, { limit: 3, reverse: true })).entries)).toEqual([C, 'c', 'b/y']);
        expect(names((await store.listContainers({ account: A }, { limit: 10, endMarker: 'b' })).entries)).toEqual(['a1', 'a2']);
        await store.deleteContainer({ account: A, container: 'a1' }, { timestamp: ts() });
        expect(names((await store.listContainers({ account: A }, { limit: 1 })).entries)).toEqual(['a2']);
      });
    });

    describe('containers', () => {
      it('creates idempotently, merging metadata, keeping creation time', async () => {
        const first = await store.createContainer({ account: A, container: 'm' }, { timestamp: ts(), metadata: { 'x-container-meta-a': '1' } });
        expect(first.created).toBe(true);
        expect(first.info.storagePolicy).toBe('Policy-0');
        const again = await store.createContainer({ account: A, container: 'm' }, { timestamp: ts(), metadata: { 'x-container-meta-b': '2' } });
        expect(again.created).toBe(false);
        expect(again.info.createdAt).toBe(first.info.createdAt);
        // A PUT of an existing container moves its put timestamp (Swift's X-PUT-Timestamp).
        expect(again.info.timestamp > first.info.timestamp).toBe(true);
        const plain = await store.createContainer({ account: A, container: 'm' }, { timestamp: ts() });
        expect(plain.info.timestamp > again.info.timestamp).toBe(true);
        expect(plain.info.createdAt).toBe(first.info.createdAt);
        expect((await store.getContainer({ account: A, container: 'm' })).timestamp).toBe(plain.info.timestamp);
        expect(again.info.metadata).toEqual({ 'x-container-meta-a': '1', 'x-container-meta-b': '2' });
        const upd = await store.updateContainerMetadata({ account: A, container: 'm' }, { 'x-container-meta-a': '' }, { timestamp: ts() });
        expect(upd.metadata).toEqual({ 'x-container-meta-b': '2' });
        expect(upd.timestamp > upd.createdAt).toBe(true);
      });

      it('counts objects and bytes exactly', async () => {
        await putText(store, A, C, 'x', 'aaaa');
        await putText(store, A, C, 'y', 'bb');
        await putText(store, A, C, 'x', 'cccccc');
        await store.deleteObject({ account: A, container: C, object: 'y' }, { timestamp: ts() });
        expect(await store.getContainer({ account: A, container: C })).toMatchObject({ objectCount: 1, bytesUsed: 6 });
      });

      it('refuses to delete a non-empty container, then deletes it and can re-create it', async () => {
        await putText(store, A, C, 'x', 'a');
        await expect(store.deleteContainer({ account: A, container: C }, { timestamp: ts() })).rejects.toBeInstanceOf(ContainerNotEmpty);
        await store.deleteObject({ account: A, container: C, object: 'x' }, { timestamp: ts() });
        await store.deleteContainer({ account: A, container: C }, { timestamp: ts() });
        await expect(store.getContainer({ account: A, container: C })).rejects.toBeInstanceOf(ContainerNotFound);
        await expect(store.listObjects({ account: A, container: C }, { limit: 10 })).rejects.toBeInstanceOf(ContainerNotFound);
        await expect(store.deleteContainer({ account: A, container: C }, { timestamp: ts() })).rejects.toBeInstanceOf(ContainerNotFound);
        expect((await store.createContainer({ account: A, container: C }, { timestamp: ts() })).created).toBe(true);
        expect(await store.getContainer({ account: A, container: C })).toMatchObject({ objectCount: 0 });
      });

      it('unknown containers are not found', async () => {
        await expect(store.getContainer({ account: A, container: 'nope' })).rejects.toBeInstanceOf(ContainerNotFound);
        await expect(store.updateContainerMetadata({ account: A, container: 'nope' }, {}, { timestamp: ts() })).rejects.toBeInstanceOf(ContainerNotFound);
        await expect(putText(store, A, 'nope', 'o', 'x')).rejects.toBeInstanceOf(ContainerNotFound);
      });
    });

    describe('objects', () => {
      it('round-trips bytes of many sizes with MD5 etags', async () => {
        for (const size of [0, 1, 65535, 65536, 200_001]) {
          const data = Buffer.alloc(size, size % 251);
          for (let i = 0; i < size; i += 997) data[i] = i % 256;
          const info = await store.putObject({ account: A, container: C, object: `s${size}` }, body(data),
            { timestamp: ts(), contentType: 'application/octet-stream', contentLength: size, expectedEtag: md5(data) });
          expect(info).toMatchObject({ size, etag: md5(data) });
          const reader = await store.getObject({ account: A, container: C, object: `s${size}` });
          const chunks: Buffer[] = [];
          for await (const c of reader.read()) chunks.push(c as Buffer);
          reader.close();
          expect(Buffer.concat(chunks).equals(data)).toBe(true);
        }
      });

      it('stores attributes and serves ranges', async () => {
        const t = ts();
        await store.putObject({ account: A, container: C, object: 'o' }, body('0123456789'), {
          timestamp: t, contentType: 'text/x', metadata: { 'x-object-meta-k': 'v' }, systemMetadata: { 'x-object-sysmeta-s': '1' },
          listing: { size: 99, etag: 'e', contentType: 'c/d' },
        });
        const head = await store.headObject({ account: A, container: C, object: 'o' });
        expect(head).toMatchObject({ timestamp: t, dataTimestamp: t, size: 10, contentType: 'text/x', metadata: { 'x-object-meta-k': 'v' },
          systemMetadata: { 'x-object-sysmeta-s': '1' }, listing: { size: 99, etag: 'e', contentType: 'c/d' } });
        const reader = await store.getObject({ account: A, container: C, object: 'o' });
        const { text } = await import('node:stream/consumers');
        expect(await text(reader.read({ start: 2, end: 4 }))).toBe('234');
        expect(await text(reader.read({ start: 9, end: 9 }))).toBe('9');
        reader.close();
        const page = await store.listObjects({ account: A, container: C }, { limit: 10 });
        expect(page.entries[0]).toMatchObject({ name: 'o', bytes: 99, hash: 'e', contentType: 'c/d', systemMetadata: { 'x-object-sysmeta-s': '1' } });
        expect(await store.getContainer({ account: A, container: C })).toMatchObject({ objectCount: 1, bytesUsed: 99 });
      });

      it('newest timestamp wins; older writes are refused with Conflict', async () => {
        const old = ts();
        await putText(store, A, C, 'o', 'new');
        await expect(putText(store, A, C, 'o', 'old', { timestamp: old })).rejects.toBeInstanceOf(Conflict);
        expect(await getText(store, A, C, 'o')).toBe('new');
        await expect(store.deleteObject({ account: A, container: C, object: 'o' }, { timestamp: old })).rejects.toBeInstanceOf(Conflict);
        expect(await getText(store, A, C, 'o')).toBe('new');
      });

      it('an open reader keeps its version after an overwrite or delete', async () => {
        await putText(store, A, C, 'o', 'first');
        const reader = await store.getObject({ account: A, container: C, object: 'o' });
        await putText(store, A, C, 'o', 'second');
        await store.deleteObject({ account: A, container: C, object: 'o' }, { timestamp: ts() });
        expect(await readObject(reader)).toBe('first');
      });

      it('checksum and length mismatches store nothing', async () => {
        await expect(putText(store, A, C, 'o', 'data', { expectedEtag: md5('other') })).rejects.toBeInstanceOf(ChecksumMismatch);
        await expect(putText(store, A, C, 'o', 'data', { contentLength: 5 })).rejects.toBeInstanceOf(SizeMismatch);
        await expect(putText(store, A, C, 'o', 'data', { contentLength: 3 })).rejects.toBeInstanceOf(SizeMismatch);
        await expect(store.headObject({ account: A, container: C, object: 'o' })).rejects.toBeInstanceOf(ObjectNotFound);
        expect((await store.listObjects({ account: A, container: C }, { limit: 10 })).entries).toEqual([]);
        expect(await store.getContainer({ account: A, container: C })).toMatchObject({ objectCount: 0, bytesUsed: 0 });
      });

      it('accepts bodies of unknown length and uppercase expected etags', async () => {
        const info = await store.putObject({ account: A, container: C, object: 'chunked' }, body('abc'),
          { timestamp: ts(), contentType: 'x/y', expectedEtag: md5('abc').toUpperCase() });
        expect(info.size).toBe(3);
      });

      it('a body stream that fails or an aborted signal is ClientDisconnected and stores nothing', async () => {
        const failing = new Readable({ read() { this.push(Buffer.alloc(1000)); this.destroy(new Error('socket reset')); } });
        await expect(store.putObject({ account: A, container: C, object: 'o' }, failing, { timestamp: ts(), contentType: 'x/y' }))
          .rejects.toBeInstanceOf(ClientDisconnected);
        const ac = new AbortController();
        const slow = new Readable({ read() { setTimeout(() => this.push(Buffer.alloc(100)), 5); } });
        setTimeout(() => ac.abort(), 30);
        await expect(store.putObject({ account: A, container: C, object: 'o' }, slow, { timestamp: ts(), contentType: 'x/y', signal: ac.signal }))
          .rejects.toBeInstanceOf(ClientDisconnected);
        await expect(store.headObject({ account: A, container: C, object: 'o' })).rejects.toBeInstanceOf(ObjectNotFound);
        expect(await store.getContainer({ account: A, container: C })).toMatchObject({ objectCount: 0 });
      });

      it('deletes write tombstones and report whether something existed', async () => {
        await putText(store, A, C, 'o', 'x');
        expect(await store.deleteObject({ account: A, container: C, object: 'o' }, { timestamp: ts() })).toEqual({ existed: true });
        const err = await store.headObject({ account: A, container: C, object: 'o' }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ObjectNotFound);
        expect((err as ObjectNotFound).deletedAt).toBeDefined();
        expect(await store.deleteObject({ account: A, container: C, object: 'o' }, { timestamp: ts() })).toEqual({ existed: false });
        expect(await store.deleteObject({ account: A, container: C, object: 'never' }, { timestamp: ts() })).toEqual({ existed: false });
        await putText(store, A, C, 'o', 'back');
        expect(await getText(store, A, C, 'o')).toBe('back');
      });

      it('POST replaces metadata, keeps data, and handles content type and delete-at', async () => {
        const put = await putText(store, A, C, 'o', 'body', { metadata: { 'x-object-meta-a': '1' }, systemMetadata: { 's': '1' }, deleteAt: 4102444800 });
        const t = ts();
        const info = await store.postObject({ account: A, container: C, object: 'o' }, { timestamp: t, metadata: { 'x-object-meta-b': '2' }, contentType: 'new/type' });
        expect(info).toMatchObject({ timestamp: t, dataTimestamp: put.timestamp, metadata: { 'x-object-meta-b': '2' }, systemMetadata: { s: '1' }, contentType: 'new/type' });
        expect(info.deleteAt).toBeUndefined();
        const head = await store.headObject({ account: A, container: C, object: 'o' });
        expect(head.metadata).toEqual({ 'x-object-meta-b': '2' });
        expect(head.deleteAt).toBeUndefined();
        expect(await getText(store, A, C, 'o')).toBe('body');
        await store.postObject({ account: A, container: C, object: 'o' }, { timestamp: ts(), metadata: {}, deleteAt: 4102444800 });
        expect((await store.headObject({ account: A, container: C, object: 'o' })).deleteAt).toBe(4102444800);
        await expect(store.postObject({ account: A, container: C, object: 'o' }, { timestamp: t, metadata: {} })).rejects.toBeInstanceOf(Conflict);
        await expect(store.postObject({ account: A, container: C, object: 'none' }, { timestamp: ts(), metadata: {} })).rejects.toBeInstanceOf(ObjectNotFound);
      });

      it('hides expired objects from reads but lists them and reports them to the expirer', async () => {
        const past = Math.floor(Date.now() / 1000) - 10;
        await putText(store, A, C, 'old', 'x', { deleteAt: past });
        await putText(store, A, C, 'later', 'y', { deleteAt: past + 5 });
        await putText(store, A, C, 'keep', 'z', { deleteAt: 4102444800 });
        await expect(store.headObject({ account: A, container: C, object: 'old' })).rejects.toBeInstanceOf(ObjectNotFound);
        await expect(store.getObject({ account: A, container: C, object: 'old' })).rejects.toBeInstanceOf(ObjectNotFound);
        expect(names((await store.listObjects({ account: A, container: C }, { limit: 10 })).entries)).toEqual(['keep', 'later', 'old']);
        const expired = await store.listExpired(Math.floor(Date.now() / 1000), 10);
        expect(expired.map((o) => o.object)).toEqual(['old', 'later']);
        expect((await store.listExpired(Math.floor(Date.now() / 1000), 1)).map((o) => o.object)).toEqual(['old']);
        expect(await store.deleteObject({ account: A, container: C, object: 'old' }, { timestamp: ts() })).toEqual({ existed: false });
      });

      it('copies within and across containers (linked or streamed), pinning the source version', async () => {
        await store.createContainer({ account: A, container: 'dst' }, { timestamp: ts() });
        const src = await putText(store, A, C, 'src', 'copy me', { metadata: { 'x-object-meta-a': '1' } });
        const seen: string[] = [];
        for (let i = 0; i < 12; i++) {
          const dst = { account: A, container: i % 2 ? 'dst' : C, object: `copy-${i}` };
          const info = await store.copyObject({ account: A, container: C, object: 'src' }, dst, {
            timestamp: ts(),
            describe: (s) => { seen.push(s.timestamp); return { contentType: 'copied/type', metadata: { ...s.metadata, 'x-object-meta-c': '2' }, systemMetadata: {} }; },
          });
          expect(info).toMatchObject({ size: 7, etag: md5('copy me'), contentType: 'copied/type', metadata: { 'x-object-meta-a': '1', 'x-object-meta-c': '2' } });
          expect(await getText(store, dst.account, dst.container, dst.object)).toBe('copy me');
        }
        expect(new Set(seen)).toEqual(new Set([src.timestamp]));
        await store.deleteObject({ account: A, container: C, object: 'src' }, { timestamp: ts() });
        expect(await getText(store, A, 'dst', 'copy-1')).toBe('copy me');
        expect(await getText(store, A, C, 'copy-0')).toBe('copy me');
        await expect(store.copyObject({ account: A, container: C, object: 'src' }, { account: A, container: 'dst', object: 'z' },
          { timestamp: ts(), describe: () => ({ contentType: 'x', metadata: {}, systemMetadata: {} }) })).rejects.toBeInstanceOf(ObjectNotFound);
        await putText(store, A, C, 'src2', 'abc');
        await expect(store.copyObject({ account: A, container: C, object: 'src2' }, { account: A, container: 'nope', object: 'z' },
          { timestamp: ts(), describe: () => ({ contentType: 'x', metadata: {}, systemMetadata: {} }) })).rejects.toBeInstanceOf(ContainerNotFound);
      });
    });

    describe('listings', () => {
      it('orders names by UTF-8 bytes and applies prefix, delimiter, markers and reverse as Swift', async () => {
        for (const n of ODD_NAMES) await putText(store, A, C, n, n);
        const sorted = [...ODD_NAMES].sort(compareNames);
        const list = async (q: Partial<ListQuery>) => names((await store.listObjects({ account: A, container: C }, { limit: 1000, ...q })).entries);
        expect(await list({})).toEqual(sorted);
        expect(await list({ reverse: true })).toEqual([...sorted].reverse());
        expect(await list({ prefix: 'a/' })).toEqual(['a/b', 'a/b/c', 'a/c']);
        expect(await list({ delimiter: '/' })).toEqual(['&+-é"', 'B', 'a', 'a%20b', '[a/]', 'ab', 'b', 'x y', 'z', 'é', 'éa', '日本',
          '\u{E000}', '\u{FFFD}x', '😀', '[😀/]']);
        expect(await list({ prefix: 'a/', delimiter: '/' })).toEqual(['a/b', '[a/b/]', 'a/c']);
        expect(await list({ marker: 'a/b', limit: 3 })).toEqual(['a/b/c', 'a/c', 'ab']);
        expect(await list({ reverse: true, marker: 'b', endMarker: 'a/b' })).toEqual(['ab', 'a/c', 'a/b/c']);
        expect(await list({ delimiter: '/', marker: 'a/' })).not.toContain('[a/]');
        const markers = [undefined, '', 'a', 'a/', 'a/b', 'é', '😀', 'zz', '\u{E000}'];
        for (const marker of markers) {
          for (const endMarker of [undefined, 'b', '😀/1', 'a/b/c']) {
            for (const prefix of [undefined, 'a', 'a/', '😀']) {
              for (const delimiter of [undefined, '/', 'b']) {
                for (const reverse of [false, true]) {
                  for (const limit of [1, 2, 5, 1000]) {
                    const q = { limit, reverse, ...(marker !== undefined ? { marker } : {}), ...(endMarker ? { endMarker } : {}),
                      ...(prefix ? { prefix } : {}), ...(delimiter ? { delimiter } : {}) };
                    expect(await list(q), JSON.stringify(q)).toEqual(referenceList(ODD_NAMES, q));
                  }
                }
              }
            }
          }
        }
      });

      it('fills every page to the limit and pages through a large container without repeats', async () => {
        const all: string[] = [];
        for (let i = 0; i < 180; i++) {
          const n = `d${i % 4}/obj-${String(i).padStart(4, '0')}`;
          all.push(n);
          await putText(store, A, C, n, 'x');
        }
        for (let i = 0; i < 40; i += 3) await store.deleteObject({ account: A, container: C, object: all[i]! }, { timestamp: ts() });
        const live = all.filter((_n, i) => !(i < 40 && i % 3 === 0)).sort(compareNames);
        for (const reverse of [false, true]) {
          const seen: string[] = [];
          let marker: string | undefined;
          for (;;) {
            const page = await store.listObjects({ account: A, container: C }, { limit: 17, reverse, ...(marker ? { marker } : {}) });
            const got = names(page.entries);
            seen.push(...got);
            if (got.length < 17) break;
            marker = got.at(-1);
          }
          expect(seen).toEqual(reverse ? [...live].reverse() : live);
        }
        expect(names((await store.listObjects({ account: A, container: C }, { limit: 10, delimiter: '/' })).entries)).toEqual(['[d0/]', '[d1/]', '[d2/]', '[d3/]']);
        expect((await store.getContainer({ account: A, container: C })).objectCount).toBe(live.length);
      });

      it('caps limits at 10000 and answers limit 0 with nothing', async () => {
        await putText(store, A, C, 'o', 'x');
        expect((await store.listObjects({ account: A, container: C }, { limit: 0 })).entries).toEqual([]);
        expect((await store.listObjects({ account: A, container: C }, { limit: 1e9 })).entries).toHaveLength(1);
      });
    });

    it('reports health of every brick', async () => {
      const h = await store.health();
      expect(h.ok).toBe(true);
      expect(h.bricks.length).toBeGreaterThan(0);
      expect(h.bricks.every((b) => b.up)).toBe(true);
    });
  });
}
