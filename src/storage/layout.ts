/**
 * The volume layout (GlusterFS's per-directory DHT layout, `dht_layout`): which replica set owns
 * which part of the 32-bit hash space, for each container.
 *
 * How ranges are assigned follows `dht_selfheal_layout_new_directory` with weighted-rebalance on:
 * - each replica set has a weight, its capacity in 1 MiB chunks (`dht-diskusage.c`);
 * - `chunk = floor(0xffffffff / total)`, set i gets `chunk * weight_i` hashes, contiguous, starting
 *   at 0, and the last range is stretched to end at 0xffffffff (so there is never a hole or a wrap);
 * - the set that gets the first range is `hash(account/container) % sets`
 *   (`dht_selfheal_layout_alloc_start`), the rest follow in set order, wrapping, so small containers
 *   do not all start on set 0.
 * An object of a container is placed on the set whose range holds `gf_dm_hashfn(objectName)`
 * (the full object name, unmunged: Cairn's temporaries never live under the object's name).
 *
 * A layout is immutable and carries a `version` (GlusterFS's commit hash): adding sets makes a new
 * layout with a higher version; rebalance moves objects from the old one to the new one.
 */
import { InvalidArgument } from './errors.js';
import { dmHash } from './hash.js';

/** What is needed to rebuild a layout exactly (persist this, e.g. in volume.json). */
export interface LayoutSpec {
  /** Commit number: higher is newer. */
  version: number;
  /** Per replica set, its weight in 1 MiB chunks (>= 1). */
  weights: number[];
}

/** One set's share of the hash space for one container: hashes start..stop inclusive. */
export interface LayoutRange { set: number; start: number; stop: number }

const MAX_HASH = 0xffffffff;
const MIB = 1024 * 1024;
/**
 * Weights are halved (rounding up) until they sum to at most this. Gluster's integer arithmetic gives
 * the last range the remainder `0xffffffff mod total`, which is up to `total`: with totals near 2^31
 * the last set would get nearly double its share. At 2^20 the excess stays under 0.03% of the space.
 */
const MAX_TOTAL = 2 ** 20;

/** The key a container's layout rotation is hashed from. */
export function containerKey(account: string, container: string): string {
  return `${account}/${container}`;
}

/** Capacity in bytes to a weight in 1 MiB chunks, rounded up, at least 1 (so every set gets a range). */
export function chunksOf(bytes: number): number {
  if (!Number.isFinite(bytes) || bytes <= 0) return 1;
  return Math.max(1, Math.ceil(bytes / MIB));
}

export class Layout {
  readonly version: number;
  /** The weights as given (1 MiB chunks). */
  readonly weights: readonly number[];
  /** Hashes per set (before the last range is stretched), in set order. */
  private readonly spans: readonly number[];

  constructor(spec: LayoutSpec) {
    if (!Number.isSafeInteger(spec.version) || spec.version < 0) throw new InvalidArgument(`bad layout version ${spec.version}`);
    if (spec.weights.length === 0) throw new InvalidArgument('a layout needs at least one replica set');
    for (const w of spec.weights) {
      if (!Number.isSafeInteger(w) || w < 1) throw new InvalidArgument(`bad layout weight ${w}`);
    }
    this.version = spec.version;
    this.weights = [...spec.weights];
    let scaled = [...spec.weights];
    while (scaled.reduce((a, b) => a + b, 0) > MAX_TOTAL) scaled = scaled.map((w) => Math.max(1, Math.ceil(w / 2)));
    const total = scaled.reduce((a, b) => a + b, 0);
    const chunk = Math.floor(MAX_HASH / total);
    this.spans = scaled.map((w) => chunk * w);
  }

  /** A layout weighting each set by its capacity in bytes. */
  static fromCapacities(capacityBytes: number[], version = 1): Layout {
    return new Layout({ version, weights: capacityBytes.map(chunksOf) });
  }

  /** Equal weights for `sets` sets. */
  static uniform(sets: number, version = 1): Layout {
    return new Layout({ version, weights: new Array<number>(sets).fill(1) });
  }

  get sets(): number { return this.weights.length; }

  /** Hashes set `set` owns before the last range is stretched (layout-arcs.ts rebuilds this layout from them). */
  span(set: number): number { return this.spans[set] ?? 0; }

  /** The set that gets the range starting at hash 0 for this container. */
  firstSet(key: string): number {
    return dmHash(key) % this.weights.length;
  }

  /** The container's ranges in hash order: contiguous, from 0 to 0xffffffff, one per set. */
  ranges(key: string): LayoutRange[] {
    const n = this.weights.length;
    const first = this.firstSet(key);
    const out: LayoutRange[] = [];
    let start = 0;
    for (let k = 0; k < n; k++) {
      const set = (first + k) % n;
      const stop = k === n - 1 ? MAX_HASH : start + this.spans[set]! - 1;
      out.push({ set, start, stop });
      start = stop + 1;
    }
    return out;
  }

  /** The replica set holding `objectName` of the container `key` (see `containerKey`). */
  locate(key: string, objectName: string): number {
    return this.setForHash(key, dmHash(objectName));
  }

  /** The replica set whose range (for container `key`) holds `hash`. */
  setForHash(key: string, hash: number): number {
    const n = this.weights.length;
    if (n === 1) return 0;
    const first = this.firstSet(key);
    // Walk the ranges without building them: the same arithmetic as ranges().
    let start = 0;
    for (let k = 0; k < n - 1; k++) {
      const set = (first + k) % n;
      const stop = start + this.spans[set]! - 1;
      if (hash <= stop) return set;
      start = stop + 1;
    }
    return (first + n - 1) % n;
  }

  toJSON(): LayoutSpec {
    return { version: this.version, weights: [...this.weights] };
  }
}
