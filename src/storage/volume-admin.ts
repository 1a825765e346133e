/**
 * Volume management as changes of the volume definition (GlusterFS's `gluster volume add-brick |
 * remove-brick start|status|commit | replace-brick`). Each function takes the current definition and
 * returns the next one; the CLI applies them under the volume file's lock, and every gateway follows
 * the file (volume-runtime.ts).
 *
 * - add-brick: whole replica sets are appended; the layout gets a new commit in which the new sets
 *   own their weight's share of the hash circle, taken from the others so that only that share moves
 *   (layout-arcs.ts). New writes go to the new hashed sets at once; `cairn rebalance start` moves the
 *   existing objects whose range moved.
 * - remove-brick start: the set's weight becomes 0 (a new commit gives its range to the others) and it
 *   is marked draining; the rebalance moves everything off it. commit: only once that rebalance has
 *   completed and the set holds no live object, the set leaves the definition (and the layout
 *   renumbers the later sets, moving nothing).
 * - replace-brick: one brick of a set is swapped for a new empty one; the layout does not change. The
 *   set's other replicas serve meanwhile, and heal fills the new brick (reads already blame it, so
 *   the index heal finds it; a full heal crawl fills it at once).
 *
 * A layout change is refused while a rebalance is pending: there is at most one previous layout, so
 * every object is always on its current or previous hashed set (or found by the look-everywhere step).
 */
import { InvalidArgument } from './errors.js';
import { layoutFromJSON, toArcs } from './layout-arcs.js';
import { zeroCounts } from './rebalance.js';
import { bricksOf, type RebalanceState, type VolumeDefinition } from './volume-file.js';

/** GlusterFS's rebal-throttle "normal": two files in flight. */
export const DEFAULT_PARALLELISM = 2;

/** Whether a rebalance to the current layout has still to complete. */
export function rebalancePending(def: VolumeDefinition): boolean {
  return def.previous !== undefined;
}

function requireSettled(def: VolumeDefinition, verb: string): void {
  if (rebalancePending(def)) {
    const r = def.rebalance;
    throw new InvalidArgument(`cannot ${verb}: the rebalance to layout commit ${r?.commit ?? '?'} is ${r?.status ?? 'pending'}; `
      + 'run `cairn rebalance start` until it completes first');
  }
}

function newRebalance(commit: number, reason: RebalanceState['reason']): RebalanceState {
  return {
    commit, status: 'pending', reason, counts: zeroCounts(), parallelism: DEFAULT_PARALLELISM, elapsedMs: 0,
    layoutChangedAt: new Date().toISOString(),
  };
}

/**
 * Append replica sets made of `bricks` (a multiple of the replica count, in set order), weighted by
 * `weights` (one per new set, in 1 MiB chunks like the first layout's).
 */
export function addBricks(def: VolumeDefinition, bricks: string[], weights: number[]): VolumeDefinition {
  requireSettled(def, 'add bricks');
  if (bricks.length === 0 || bricks.length % def.replica !== 0) {
    throw new InvalidArgument(`add-brick needs whole replica sets: a multiple of ${def.replica} bricks, got ${bricks.length}`);
  }
  const sets = bricks.length / def.replica;
  if (weights.length !== sets) throw new InvalidArgument(`one weight per new set: ${sets} sets, ${weights.length} weights`);
  const have = new Set(bricksOf(def));
  for (const b of bricks) {
    if (have.has(b)) throw new InvalidArgument(`brick ${b} is already in volume ${def.id}`);
    have.add(b);
  }
  const current = layoutFromJSON(def.layout);
  const commit = current.version + 1;
  const layout = toArcs(current).reweigh([...current.weights, ...weights], commit);
  const added = Array.from({ length: sets }, (_x, i) => ({ bricks: bricks.slice(i * def.replica, (i + 1) * def.replica) }));
  return {
    ...def,
    sets: [...def.sets, ...added],
    layout: layout.toJSON(),
    previous: current.toJSON(),
    rebalance: newRebalance(commit, 'add-brick'),
  };
}

/** The set index whose bricks are exactly `bricks` (any order), for remove-brick. */
export function setOfBricks(def: VolumeDefinition, bricks: string[]): number {
  const want = new Set(bricks);
  const i = def.sets.findIndex((s) => s.bricks.length === want.size && s.bricks.every((b) => want.has(b)));
  if (i < 0) {
    throw new InvalidArgument(`remove-brick takes the bricks of one whole replica set: ${bricks.join(' ')} is not one (sets: ${
      def.sets.map((s) => `[${s.bricks.join(' ')}]`).join(' ')})`);
  }
  return i;
}

/** remove-brick start: drain set `index` (weight 0 in a new layout commit). */
export function startRemove(def: VolumeDefinition, index: number): VolumeDefinition {
  requireSettled(def, 'start removing bricks');
  const set = def.sets[index];
  if (!set) throw new InvalidArgument(`no replica set ${index}`);
  if (set.state === 'draining') throw new InvalidArgument(`replica set ${index} is already being removed`);
  const current = layoutFromJSON(def.layout);
  const weights = [...current.weights];
  weights[index] = 0;
  if (!weights.some((w) => w > 0)) throw new InvalidArgument('cannot remove the last replica set that holds data');
  const commit = current.version + 1;
  return {
    ...def,
    sets: def.sets.map((s, i) => (i === index ? { ...s, state: 'draining' as const } : s)),
    layout: toArcs(current).reweigh(weights, commit).toJSON(),
    previous: current.toJSON(),
    rebalance: newRebalance(commit, 'remove-brick'),
  };
}

/** The set being drained by remove-brick, if any. */
export function drainingSet(def: VolumeDefinition): number | undefined {
  const i = def.sets.findIndex((s) => s.state === 'draining');
  return i < 0 ? undefined : i;
}

/**
 * remove-brick commit: drop the drained set. `liveObjects` is what the caller counted on it (must be 0).
 * The layout is renumbered under a new commit; no object moves.
 */
export function commitRemove(def: VolumeDefinition, liveObjects: number): VolumeDefinition {
  const index = drainingSet(def);
  if (index === undefined) throw new InvalidArgument('no remove-brick in progress (run `cairn volume remove-brick start` first)');
  if (rebalancePending(def)) {
    throw new InvalidArgument(`the drain of replica set ${index} has not completed (rebalance ${def.rebalance?.status ?? 'pending'}); `
      + 'see `cairn volume remove-brick status`');
  }
  if (liveObjects > 0) throw new InvalidArgument(`replica set ${index} still holds ${liveObjects} live object(s); run \`cairn rebalance start\` again`);
  const current = layoutFromJSON(def.layout);
  const next = { ...def, sets: def.sets.filter((_s, i) => i !== index), layout: toArcs(current).withoutSet(index, current.version + 1).toJSON() };
  delete next.previous;
  delete next.rebalance;
  return next;
}

/** replace-brick: `oldBrick` (in a set) becomes `newBrick`; the layout is unchanged. */
export function replaceBrick(def: VolumeDefinition, oldBrick: string, newBrick: string): VolumeDefinition {
  if (def.replica < 2) {
    throw new InvalidArgument('replace-brick needs replicas to heal from; on a volume without replication use add-brick then remove-brick');
  }
  if (bricksOf(def).includes(newBrick)) throw new InvalidArgument(`brick ${newBrick} is already in volume ${def.id}`);
  const index = def.sets.findIndex((s) => s.bricks.includes(oldBrick));
  if (index < 0) throw new InvalidArgument(`brick ${oldBrick} is not in volume ${def.id}`);
  if (def.rebalance?.status === 'running') throw new InvalidArgument('cannot replace a brick while a rebalance is running (stop it first)');
  return {
    ...def,
    sets: def.sets.map((s, i) => (i === index ? { ...s, bricks: s.bricks.map((b) => (b === oldBrick ? newBrick : b)) } : s)),
  };
}
