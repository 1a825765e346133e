/**
 * Placement across layout changes: the current layout, the previous one while a rebalance is pending,
 * and the lookup rules that keep every existing object readable while objects move
 * (DESIGN.md §4; GlusterFS's lookup-optimize and commit hash, GLUSTER.md §1.2-§1.3).
 *
 * - New writes always go to the object's set under the current layout (the "hashed" set).
 * - No rebalance pending (no previous layout): a lookup asks the hashed set only, and a miss is
 *   authoritative.
 * - Rebalance pending: a container the rebalance has finished carries a stamp for the current commit
 *   (a hidden key of its record, on every brick, like the commit hash in each directory's layout
 *   xattr); for it a miss on the hashed set is authoritative too. For any other container a lookup
 *   asks the hashed set and the previous layout's set together, newest wins; if neither holds the
 *   object, it asks every other set. If all it saw was a linkto (the object moved while it was
 *   looking), it looks again, so a reader racing the mover never gets a 404 for an object that exists.
 * - Listings of an unstamped container merge every set keeping tombstones, so a name held by two
 *   sets (the moment between copy and linkto) lists once, newest wins, a newer tombstone on the hashed
 *   set hides an older copy elsewhere, and linktos are invisible.
 *
 * A set that cannot answer makes the lookup fail (503), never a 404: absence is only concluded from
 * sets that answered.
 */
import type { ContainerRecord, ObjectRecord } from './brick/brick.js';
import type { Catalog } from './catalog.js';
import type { Shared } from './record-flight.js';
import type { HashLayout } from './layout-arcs.js';
import { containerKey } from './layout.js';
import { isLinkto, isPresent } from './linkto.js';
import { moveName } from './rebalance-move.js';
import type { Lookup, ReplicaSet } from './replica-set.js';
import type { ObjectRef } from './store.js';

/** Hidden container metadata key saying "every object of this container is placed by layout `commit`". */
export function stampKey(commit: number): string {
  return `x-backend-cairn-layout-${commit}`;
}

/** What placement needs of the volume. */
export interface PlacementHost {
  readonly sets: readonly ReplicaSet[];
  readonly catalog: Catalog;
}

/** Where a lookup found an object: the set to read, POST or copy it from, and what its replicas hold. */
export interface Found { set: ReplicaSet; lookup: Lookup }

/** How long "this container is not stamped yet" is believed before the records are read again. */
const UNSETTLED_TTL_MS = 1000;
/** Bound on the settledness cache (it is only an optimisation; clearing it is always safe). */
const CACHE_MAX = 100_000;

export class Placement {
  private cur: HashLayout;
  private prev: HashLayout | undefined;
  /** Container key -> until when its answer holds (Infinity: stamped, which stays true for this commit). */
  private readonly settledCache = new Map<string, { settled: boolean; until: number }>();

  constructor(current: HashLayout, previous?: HashLayout) {
    this.cur = current;
    this.prev = previous;
  }

  get current(): HashLayout { return this.cur; }

  /** The layout objects may still be placed by, while a rebalance away from it is pending. */
  get previous(): HashLayout | undefined { return this.prev; }

  /** Whether a rebalance is pending (lookups of unstamped containers fall back). */
  get pending(): boolean { return this.prev !== undefined; }

  /** Switch layouts (a reloaded volume file). The caller swaps the replica sets in the same tick. */
  update(current: HashLayout, previous: HashLayout | undefined): void {
    if (current.version !== this.cur.version || previous?.version !== this.prev?.version) this.settledCache.clear();
    this.cur = current;
    this.prev = previous;
  }

  /** Whether the container record carries the current commit's stamp. */
  isStamped(rec: Shared<ContainerRecord> | undefined): boolean {
    return rec !== undefined && rec.metadata[stampKey(this.cur.version)] !== undefined;
  }

  /** Whether a miss on the hashed set is authoritative for this container. `rec`: its record, if already read. */
  async settled(host: PlacementHost, account: string, container: string, rec?: Shared<ContainerRecord>): Promise<boolean> {
    if (!this.prev) return true;
    const key = containerKey(account, container);
    const now = Date.now();
    const cached = this.settledCache.get(key);
    if (cached && cached.until > now) return cached.settled;
    const record = rec ?? await host.catalog.getContainer(account, container);
    const settled = this.isStamped(record);
    if (this.settledCache.size >= CACHE_MAX) this.settledCache.clear();
    this.settledCache.set(key, { settled, until: settled ? Infinity : now + UNSETTLED_TTL_MS });
    return settled;
  }

  /** The hashed set of an object under the current layout. */
  hashedSet(host: PlacementHost, ref: ObjectRef): ReplicaSet {
    return host.sets[this.cur.locate(containerKey(ref.account, ref.container), ref.object)]!;
  }

  /**
   * Find an object by the rules above. The result's `lookup.newest` is the newest record that is
   * really there (a tombstone counts, a linkto does not), or undefined; when nothing is found the
   * result names the hashed set.
   */
  async find(host: PlacementHost, ref: ObjectRef): Promise<Found> {
    const hashed = this.hashedSet(host, ref);
    const prev = this.prev;
    if (!prev || await this.settled(host, ref.account, ref.container)) {
      return { set: hashed, lookup: hideLinkto(await hashed.lookup(ref)) };
    }
    const key = containerKey(ref.account, ref.container);
    let hashedLookup: Lookup | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      // The hashed set first in the list: on equal timestamps it wins.
      const first = unique([hashed.index, prev.locate(key, ref.object)]);
      const near = await lookupAll(host, first, ref);
      hashedLookup = near[0]!.lookup;
      const best = newest(near);
      if (best) return best;
      const rest = host.sets.map((s) => s.index).filter((i) => !first.includes(i));
      const far = await lookupAll(host, rest, ref);
      const found = newest(far);
      if (found) return found;
      // Only linktos (or nothing) anywhere: if something moved while we looked, look again.
      if (![...near, ...far].some((f) => [...f.lookup.answers.values()].some(isLinkto))) break;
    }
    return { set: hashed, lookup: hideLinkto(hashedLookup!) };
  }

  /**
   * `find` for an operation that updates the version it finds in place (a POST). An object found
   * outside its hashed set is moved there first, exactly as the rebalance would move it, so the
   * update lands where every later lookup looks; otherwise an update applied to the old set just
   * after the rebalance moved the name would be left behind there (GlusterFS redirects writes to a
   * file being migrated for the same reason).
   */
  async findForUpdate(host: PlacementHost, ref: ObjectRef): Promise<Found> {
    const found = await this.find(host, ref);
    const hashed = this.hashedSet(host, ref);
    if (found.set === hashed || !isPresent(found.lookup.newest)) return found;
    await moveName(host.sets, ref, hashed.index, [found.set.index]);
    return { set: hashed, lookup: hideLinkto(await hashed.lookup(ref)) };
  }

  /** Listing merge across sets of an unstamped container: the newest present record, dropped if a tombstone. */
  static visible(items: ObjectRecord[]): ObjectRecord | undefined {
    let best: ObjectRecord | undefined;
    for (const r of items) if (isPresent(r) && (!best || r.timestamp > best.timestamp)) best = r;
    return best && !best.deleted ? best : undefined;
  }
}

function unique(xs: number[]): number[] { return [...new Set(xs)]; }

async function lookupAll(host: PlacementHost, indexes: number[], ref: ObjectRef): Promise<Found[]> {
  return Promise.all(indexes.map(async (i) => {
    const set = host.sets[i]!;
    return { set, lookup: await set.lookup(ref) };
  }));
}

/** The found entry whose newest record is present and newest (first wins ties), with linktos hidden. */
function newest(found: Found[]): Found | undefined {
  let best: Found | undefined;
  for (const f of found) {
    const r = f.lookup.newest;
    if (isPresent(r) && (!best || r.timestamp > best.lookup.newest!.timestamp)) best = f;
  }
  return best;
}

/** A lookup whose newest record is a linkto reads as "holds none". */
function hideLinkto(lookup: Lookup): Lookup {
  return isLinkto(lookup.newest) ? { ...lookup, newest: undefined } : lookup;
}
