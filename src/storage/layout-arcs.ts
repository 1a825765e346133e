/**
 * Layouts after the first: the hash space as a circle of arcs, each owned by a replica set, so that
 * adding or draining sets moves only the hashes that must move (GlusterFS's fix-layout with
 * `dht_selfheal_layout_maximize_overlap`, and the fixed-bucket layout its maintainers proposed in
 * gluster/glusterfs#1242, in one form).
 *
 * The first layout of a volume is layout.ts's weighted layout: per container, contiguous ranges in
 * set order starting at set `hash(account/container) % sets`. Seen as a circle, that is one arc per set
 * in set order (set s starting at S_s, the sum of the spans before it) read from a container-specific
 * origin, S_first. An ArcLayout keeps exactly that: a volume-wide list of arcs and, per container, an
 * origin taken from the *first* layout (`origins`), which never changes afterwards. An object of a
 * container is placed on the owner of position `(gf_dm_hashfn(name) + origin) mod 2^32`.
 *
 * Reweighing (a set added, or a set's weight set to 0 to drain it) computes each set's target share
 * of the circle from its weight; sets holding more than their share give away the excess from the
 * tail of their arcs, sets holding less receive it. Only the given-away positions change owner, so the
 * fraction of objects that moves is exactly the fraction of the circle that changed hands: for one set
 * added to n equal ones, 1/(n+1), the least any layout can move.
 *
 * Converting the weighted layout to arcs is exact except for GlusterFS's stretched last range (the
 * remainder `0xffffffff mod total`, at most 2^20 hashes): in containers whose rotation does not start
 * at set 0 that sliver changes owner, so the first rebalance also moves the few objects in it.
 */
import { InvalidArgument } from './errors.js';
import { dmHash } from './hash.js';
import { Layout, type LayoutSpec } from './layout.js';

/** What placement needs of a layout; both the weighted Layout and ArcLayout provide it. */
export interface HashLayout {
  /** Commit number: higher is newer. */
  readonly version: number;
  /** Per replica set, its weight (0 = no range: the set is being drained). */
  readonly weights: readonly number[];
  readonly sets: number;
  /** The replica set holding `objectName` of the container `key` (layout.ts's containerKey). */
  locate(key: string, objectName: string): number;
  toJSON(): LayoutJSON;
}

/** An ArcLayout as it is persisted. */
export interface ArcLayoutSpec {
  kind: 'arcs';
  version: number;
  weights: number[];
  /** Per set of the volume's first layout, where on the circle a container whose rotation starts there begins. */
  origins: number[];
  /** [start, set] pairs, starts ascending from 0; arc i ends where arc i+1 starts (the last at 2^32). */
  arcs: Array<[start: number, set: number]>;
}

/** A persisted layout of either kind (a weighted one has no `kind`, or `kind: 'weighted'`). */
export type LayoutJSON = ArcLayoutSpec | (LayoutSpec & { kind?: 'weighted' });

const CIRCLE = 2 ** 32;

export class ArcLayout implements HashLayout {
  readonly version: number;
  readonly weights: readonly number[];
  readonly origins: readonly number[];
  private readonly starts: Uint32Array;
  private readonly owners: Uint32Array;

  constructor(spec: Omit<ArcLayoutSpec, 'kind'>) {
    if (!Number.isSafeInteger(spec.version) || spec.version < 0) throw new InvalidArgument(`bad layout version ${spec.version}`);
    if (spec.weights.length === 0) throw new InvalidArgument('a layout needs at least one replica set');
    for (const w of spec.weights) if (!Number.isSafeInteger(w) || w < 0) throw new InvalidArgument(`bad layout weight ${w}`);
    if (!spec.weights.some((w) => w > 0)) throw new InvalidArgument('a layout needs a replica set with a weight above 0');
    if (spec.origins.length === 0 || spec.origins.some((o) => !Number.isSafeInteger(o) || o < 0 || o >= CIRCLE)) {
      throw new InvalidArgument('bad layout origins');
    }
    if (spec.arcs.length === 0 || spec.arcs[0]![0] !== 0) throw new InvalidArgument('layout arcs must start at 0');
    spec.arcs.forEach(([start, set], i) => {
      if (!Number.isSafeInteger(start) || start < 0 || start >= CIRCLE) throw new InvalidArgument(`bad arc start ${start}`);
      if (i > 0 && start <= spec.arcs[i - 1]![0]) throw new InvalidArgument('layout arcs must ascend');
      if (!Number.isSafeInteger(set) || set < 0 || set >= spec.weights.length) throw new InvalidArgument(`arc names set ${set}`);
    });
    this.version = spec.version;
    this.weights = [...spec.weights];
    this.origins = [...spec.origins];
    this.starts = Uint32Array.from(spec.arcs.map((a) => a[0]));
    this.owners = Uint32Array.from(spec.arcs.map((a) => a[1]));
  }

  /** The weighted layout as arcs (see the module doc for the one sliver that differs). */
  static fromWeighted(layout: Layout): ArcLayout {
    const origins: number[] = [];
    const arcs: Array<[number, number]> = [];
    let at = 0;
    for (let s = 0; s < layout.sets; s++) {
      origins.push(at);
      const span = layout.span(s);
      if (span > 0) arcs.push([at, s]);
      at += span;
    }
    return new ArcLayout({ version: layout.version, weights: [...layout.weights], origins, arcs });
  }

  get sets(): number { return this.weights.length; }

  /** The arcs as [start, end) with their owners. */
  arcs(): Array<{ start: number; end: number; set: number }> {
    return Array.from(this.starts, (start, i) => ({
      start, end: i + 1 < this.starts.length ? this.starts[i + 1]! : CIRCLE, set: this.owners[i]!,
    }));
  }

  /** Positions of the circle each set owns. */
  shares(): number[] {
    const out = new Array<number>(this.sets).fill(0);
    for (const a of this.arcs()) out[a.set]! += a.end - a.start;
    return out;
  }

  locate(key: string, objectName: string): number {
    const origin = this.origins[dmHash(key) % this.origins.length]!;
    return this.ownerAt((dmHash(objectName) + origin) % CIRCLE);
  }

  /** The set owning circle position `p`: the last arc starting at or before it (binary search). */
  ownerAt(p: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= p) lo = mid; else hi = mid - 1;
    }
    return this.owners[lo]!;
  }

  /**
   * A new layout (commit `version`) for `weights` (one per set: append to add sets, 0 to drain one),
   * moving as little of the circle as the new shares allow (see the module doc).
   */
  reweigh(weights: number[], version: number): ArcLayout {
    if (weights.length < this.sets) throw new InvalidArgument('reweigh cannot drop sets (drain them with weight 0, then withoutSet)');
    if (!weights.some((w) => w > 0)) throw new InvalidArgument('a layout needs a replica set with a weight above 0');
    const targets = shareOf(weights);
    const own = [...this.shares(), ...new Array<number>(weights.length - this.sets).fill(0)];
    // Receivers in set order, each with what it still lacks.
    const lack = targets.map((t, s) => Math.max(0, t - own[s]!));
    let receiver = lack.findIndex((l) => l > 0);
    const kept = new Array<number>(weights.length).fill(0);
    const out: Array<[number, number]> = [];
    const push = (start: number, set: number): void => {
      if (out.length > 0 && out[out.length - 1]![1] === set) return; // adjacent arcs of one owner merge
      out.push([start, set]);
    };
    for (const arc of this.arcs()) {
      let start = arc.start;
      // The donor keeps the head of its arcs (in circle order) up to its target.
      const keep = Math.min(arc.end - start, Math.max(0, targets[arc.set]! - kept[arc.set]!));
      if (keep > 0) {
        push(start, arc.set);
        kept[arc.set]! += keep;
        start += keep;
      }
      while (start < arc.end) {
        if (receiver < 0) throw new InvalidArgument('layout arithmetic: nobody to give positions to'); // shares sum to 2^32
        const give = Math.min(arc.end - start, lack[receiver]!);
        push(start, receiver);
        lack[receiver]! -= give;
        start += give;
        if (lack[receiver] === 0) receiver = lack.findIndex((l) => l > 0);
      }
    }
    return new ArcLayout({ version, weights: [...weights], origins: [...this.origins], arcs: out });
  }

  /** The same placement without set `index` (which must own nothing), later sets renumbered down. */
  withoutSet(index: number, version: number): ArcLayout {
    if (index < 0 || index >= this.sets) throw new InvalidArgument(`no replica set ${index}`);
    if (this.shares()[index]! > 0) throw new InvalidArgument(`replica set ${index} still owns part of the layout`);
    const weights = this.weights.filter((_w, s) => s !== index);
    const arcs = Array.from(this.starts, (start, i): [number, number] => {
      const set = this.owners[i]!;
      return [start, set > index ? set - 1 : set];
    });
    return new ArcLayout({ version, weights, origins: [...this.origins], arcs });
  }

  toJSON(): ArcLayoutSpec {
    return { kind: 'arcs', version: this.version, weights: [...this.weights], origins: [...this.origins], arcs: Array.from(this.starts, (s, i) => [s, this.owners[i]!]) };
  }
}

/**
 * Each set's share of the 2^32 circle in proportion to its weight, summing to exactly 2^32 (the few
 * positions lost to rounding go to the heaviest set). BigInt: weights in MiB chunks times 2^32 exceed 2^53.
 */
export function shareOf(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + BigInt(b), 0n);
  const out = weights.map((w) => Number((BigInt(w) * BigInt(CIRCLE)) / total));
  const rest = CIRCLE - out.reduce((a, b) => a + b, 0);
  let heaviest = 0;
  weights.forEach((w, s) => { if (w > weights[heaviest]!) heaviest = s; });
  out[heaviest]! += rest;
  return out;
}

/** A persisted layout back as an object. */
export function layoutFromJSON(json: LayoutJSON): HashLayout {
  if (json.kind === 'arcs') return new ArcLayout(json);
  return new Layout({ version: json.version, weights: json.weights });
}

/** Any layout as arcs (the form every layout after the first takes). */
export function toArcs(layout: HashLayout): ArcLayout {
  if (layout instanceof ArcLayout) return layout;
  if (layout instanceof Layout) return ArcLayout.fromWeighted(layout);
  return new ArcLayout(layout.toJSON() as ArcLayoutSpec);
}
