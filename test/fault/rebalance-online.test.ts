/**
 * Rebalance while serving, as it runs in production: the gateway is one Volume that follows the volume
 * file (its watcher), the rebalance is another Volume over the same brick directories (as `cairn
 * rebalance start` in its own process), and a writer and readers keep going through the gateway the
 * whole time:
 * - no read of a live object ever fails or answers 404, and it is never older than the last
 *   acknowledged write before the read began;
 * - deleted objects stay deleted; overwrites during the move keep the newest; no acknowledged write is lost;
 * - at the end every object is on its hashed set, listings show each name once and counts are exact.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { ObjectNotFound } from '../../src/storage/errors.js';
import { containerKey } from '../../src/storage/layout.js';
import { isLinkto } from '../../src/storage/linkto.js';
import { runRebalance } from '../../src/storage/rebalance-run.js';
import type { VolumeSpec } from '../../src/storage/store.js';
import { addBricks } from '../../src/storage/volume-admin.js';
import { readVolumeFile, updateVolumeFile, writeVolumeFile } from '../../src/storage/volume-file.js';
import { definitionOf, openDefined, watchDefinition } from '../../src/storage/volume-runtime.js';
import { openVolume } from '../../src/storage/volume.js';
import { putText, ts } from '../unit/storage/store-helpers.js';

const A = 'AUTH_online';
const CONTAINERS = ['photos', 'logs', 'docs'];
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** Content of version `v` of a name: the version is readable back from it. */
const content = (name: string, v: number): string => `${name}#${v}#${'z'.repeat((v * 37 + name.length * 101) % 6000)}`;
const versionOf = (data: string): number => Number(data.split('#')[1]);

describe('rebalance online', () => {
  it('keeps every object readable and every write while a set is added and objects move', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-rebalance-online-'));
    const bricks = Array.from({ length: 4 }, (_x, i) => join(dir, `b${i}`));
    const base: VolumeSpec = { id: 'online', bricks, replica: 2, fsync: false };
    const gateway = await openVolume({ ...base, bricks: [...bricks] });
    cleanup.push(async () => { await gateway.close(); rmSync(dir, { recursive: true, force: true }); });
    const file = join(dir, 'volume.json');
    writeVolumeFile(file, definitionOf(gateway));
    watchDefinition(gateway, file);

    // A populated volume: what is acknowledged, per name (a version number, or -1 once deleted).
    const acked = new Map<string, number>();
    for (const c of CONTAINERS) await gateway.createContainer({ account: A, container: c }, { timestamp: ts() });
    const names: Array<[string, string]> = [];
    for (const c of CONTAINERS) for (let i = 0; i < 400; i++) names.push([c, `item-${i % 10}/${String(i).padStart(5, '0')}.dat`]);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map(async ([c, n]) => {
        await putText(gateway, A, c, n, content(n, 1));
        acked.set(`${c}/${n}`, 1);
      }));
    }

    // add-brick: the gateway follows the file within its poll interval.
    const def = (await updateVolumeFile(file, (d) => addBricks(d!, [join(dir, 'b4'), join(dir, 'b5')], [gateway.layout.weights[0]!])))!;
    for (let t = 0; gateway.layout.version !== def.layout.version; t++) {
      expect(t).toBeLessThan(100);
      await sleep(50);
    }
    expect(gateway.sets).toHaveLength(3);
    // The rebalance's own view of the volume (another process in production). Opened before the load
    // starts: a LocalBrick opening sweeps tmp/ of dead processes and of its own pid, which here is the
    // gateway's too.
    const mover = await openDefined(readVolumeFile(file)!, base);
    cleanup.push(() => mover.close());

    let stop = false;
    const errors: string[] = [];
    const ops = { reads: 0, writes: 0, deletes: 0, creates: 0 };
    /** The metadata value of the last acknowledged POST per name (a later PUT replaces it). */
    const posted = new Map<string, string>();
    /**
     * Names whose DELETE has been sent (acknowledged or not): a read that began before the DELETE was
     * acknowledged may see it or not, as any reader racing a writer may (it failed a run once).
     */
    const deleting = new Set<string>();

    // Writer: overwrites the hot names over and over, creates new names, deletes some old ones.
    const hot = names.filter((_x, i) => i % 9 === 0);
    const doomed = names.filter((_x, i) => i % 23 === 5 && i % 9 !== 0);
    const writer = (async () => {
      let round = 0;
      while (!stop) {
        round++;
        for (const [c, n] of hot) {
          if (stop) break;
          const key = `${c}/${n}`;
          const v = (acked.get(key) ?? 0) + 1;
          try {
            await putText(gateway, A, c, n, content(n, v));
            acked.set(key, v);
            posted.delete(key);
            ops.writes++;
          } catch (err) {
            errors.push(`PUT ${key} v${v}: ${(err as Error).message}`);
          }
          if (ops.writes % 10 === 0) {
            const fresh = `new/${round}-${ops.writes}`;
            await putText(gateway, A, c, fresh, content(fresh, 1));
            acked.set(`${c}/${fresh}`, 1);
            ops.creates++;
          }
          if (ops.writes % 5 === 0) {
            // A POST on a live name that may not have moved yet (it is moved first, then updated).
            const [pc, pn] = names[(ops.writes * 31) % names.length]!;
            const pk = `${pc}/${pn}`;
            if ((acked.get(pk) ?? -1) > 0 && !doomed.some(([dc, dn]) => dc === pc && dn === pn)) {
              try {
                await gateway.postObject({ account: A, container: pc, object: pn }, { timestamp: ts(), metadata: { 'x-object-meta-n': String(ops.writes) } });
                posted.set(pk, String(ops.writes));
              } catch (err) {
                errors.push(`POST ${pk}: ${(err as Error).message}`);
              }
            }
          }
          const del = doomed[ops.deletes];
          if (ops.writes % 7 === 0 && del) {
            deleting.add(`${del[0]}/${del[1]}`);
            await gateway.deleteObject({ account: A, container: del[0], object: del[1] }, { timestamp: ts() });
            acked.set(`${del[0]}/${del[1]}`, -1);
            ops.deletes++;
          }
        }
      }
    })();

    // Readers: any acknowledged name; never a 404 for a live one, never older than acknowledged.
    const reader = async (seed: number): Promise<void> => {
      let i = seed;
      while (!stop) {
        const keys = [...acked.keys()];
        const key = keys[(i = (i * 7919 + 13) % keys.length)]!;
        const want = acked.get(key)!;
        const at = key.indexOf('/');
        const ref = { account: A, container: key.slice(0, at), object: key.slice(at + 1) };
        try {
          const r = await gateway.getObject(ref);
          let data: string;
          try { data = await text(r.read()); } finally { r.close(); }
          if (want === -1) errors.push(`GET ${key}: deleted object came back (v${versionOf(data)})`);
          else if (versionOf(data) < want) errors.push(`GET ${key}: v${versionOf(data)} older than acknowledged v${want}`);
          else if (data !== content(ref.object, versionOf(data))) errors.push(`GET ${key}: corrupt content`);
        } catch (err) {
          if ((want === -1 || deleting.has(key)) && err instanceof ObjectNotFound) continue;
          errors.push(`GET ${key} (v${want}): ${(err as Error).message}${err instanceof ObjectNotFound ? ` [${await whereIs(ref)}]` : ''}`);
        }
        ops.reads++;
      }
    };
    /** For a failure message: what each set's replicas hold for `ref` right now, and whether a rebalance is pending. */
    const whereIs = async (ref: { account: string; container: string; object: string }): Promise<string> => {
      const sets = await Promise.all(gateway.sets.map(async (s) => {
        const l = await s.lookup(ref).catch(() => undefined);
        const held = l ? [...l.answers.values()].map((r) => (r ? `${r.timestamp}${isLinkto(r) ? ' linkto' : r.deleted ? ' deleted' : ''}` : '-')) : ['no answer'];
        return `set ${s.index}: ${held.join(', ')}`;
      }));
      return `${sets.join('; ')}; rebalance pending: ${gateway.placement.pending}`;
    };
    const readers = [reader(1), reader(2), reader(3)];

    await sleep(300);
    let final;
    try {
      final = await runRebalance({ file, base, volume: mover, graceMs: 2500, checkpointMs: 200, parallelism: 2 });
      // The gateway drops the previous layout within its poll interval; keep the load on meanwhile.
      for (let t = 0; gateway.placement.pending; t++) {
        expect(t).toBeLessThan(100);
        await sleep(50);
      }
      await sleep(200);
    } finally {
      stop = true;
      await Promise.all([writer, ...readers]);
    }
    expect(errors.slice(0, 10).join('\n')).toBe('');
    expect(final.status).toBe('completed');
    expect(final.counts.failed).toBe(0);
    expect(final.counts.moved).toBeGreaterThan(100);
    expect(ops.reads).toBeGreaterThan(200);
    expect(ops.writes).toBeGreaterThan(50);
    expect(posted.size).toBeGreaterThan(5);

    // No lost write: every name reads back exactly as last acknowledged, from its hashed set only.
    for (const [key, want] of acked) {
      const at = key.indexOf('/');
      const ref = { account: A, container: key.slice(0, at), object: key.slice(at + 1) };
      if (want === -1) {
        await expect(gateway.headObject(ref)).rejects.toBeInstanceOf(ObjectNotFound);
        continue;
      }
      const r = await gateway.getObject(ref);
      try { expect(await text(r.read())).toBe(content(ref.object, want)); } finally { r.close(); }
      const meta = posted.get(key);
      if (meta !== undefined) expect(r.info.metadata, `POST on ${key} kept`).toEqual({ 'x-object-meta-n': meta });
      const target = gateway.layout.locate(containerKey(A, ref.container), ref.object);
      for (const set of gateway.sets) {
        const { newest } = await set.lookup(ref);
        if (set.index === target) expect(newest?.deleted, key).toBe(false);
        else expect(newest === undefined || newest.deleted || isLinkto(newest), `${key} left on set ${set.index}`).toBe(true);
      }
    }
    // Listings: each live name once; counts exact.
    for (const c of CONTAINERS) {
      const live = [...acked].filter(([k, v]) => k.startsWith(`${c}/`) && v !== -1).map(([k]) => k.slice(c.length + 1)).sort();
      const listed: string[] = [];
      let marker: string | undefined;
      for (;;) {
        const page = await gateway.listObjects({ account: A, container: c }, { limit: 500, ...(marker ? { marker } : {}) });
        const namesOnPage = page.entries.map((e) => ('name' in e ? e.name : e.subdir));
        listed.push(...namesOnPage);
        if (namesOnPage.length < 500) break;
        marker = namesOnPage[namesOnPage.length - 1];
      }
      expect(listed).toEqual(live);
      expect((await gateway.getContainer({ account: A, container: c })).objectCount).toBe(live.length);
    }
  }, 120_000);
});
