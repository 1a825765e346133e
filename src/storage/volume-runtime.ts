/**
 * A Volume driven by the volume file (volume-file.ts): opened from it, created from the config at
 * first start (pinning the capacity layout it computed), and kept in step with it while serving — a
 * gateway polls the file and, when add-brick, remove-brick, replace-brick or a finished rebalance
 * changes it, opens the new bricks, swaps replica sets and layouts in one tick and closes bricks that
 * left. New writes follow the new layout from that moment (DESIGN.md §4).
 *
 * The volume file wins over the config's `volume.bricks`/`volume.replica`; the config keeps the
 * knobs that are not part of the definition (quorum, timeouts, fsync, secret).
 */
import { watchFile, unwatchFile, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config.js';
import { isRemoteBrick, makeBrick } from './brick-spec.js';
import { InvalidArgument } from './errors.js';
import { layoutFromJSON } from './layout-arcs.js';
import { Member } from './member.js';
import { noteRecordChange } from './record-flight.js';
import { ReplicaSet } from './replica-set.js';
import type { VolumeSpec } from './store.js';
import { bricksOf, readVolumeFile, updateVolumeFile, VOLUME_FILE_FORMAT, type VolumeDefinition } from './volume-file.js';
import type { DefinitionSync, SyncLog } from './definition-sync.js';
import { versionOf } from './definition-version.js';
import { openVolume, type Volume, type VolumeOptions } from './volume.js';

/**
 * Where a volume's file is: the config's volume (the default storage policy's) at `storage.volume_file`,
 * default `<storage root>/volume.json`; any other volume (another policy's) at `<root>/volume-<id>.json`.
 */
export function volumeFilePath(config: Pick<Config, 'storage' | 'volume'>, volumeId = config.volume.id): string {
  if (volumeId === config.volume.id) return config.storage.volumeFile ?? join(config.storage.root, 'volume.json');
  return join(config.storage.root, `volume-${volumeId}.json`);
}

/** Whether a volume is worth a file: memory bricks vanish with the process, and so would its layout. */
export function persistent(spec: Pick<VolumeSpec, 'bricks'>): boolean {
  return spec.bricks.some((b) => !b.startsWith('memory:'));
}

/** The runtime spec: the definition's id, replica and bricks with the config's knobs. */
export function specFor(def: VolumeDefinition, base: VolumeSpec): VolumeSpec {
  if (def.id !== base.id) {
    throw new InvalidArgument(`the volume file defines volume "${def.id}" but the config says volume.id "${base.id}"`);
  }
  return { ...base, replica: def.replica, bricks: bricksOf(def) };
}

/**
 * The config with each volume (its `volume`, and every storage policy's) as its volume file defines
 * it; volumes without a file are left as the config says.
 */
export function resolveVolumeConfig(config: Config): Config {
  const volume = resolveVolumeSpec(config, config.volume);
  if (!config.policies) return { ...config, volume };
  const policies = config.policies.map((p) => ({ ...p, volume: p.volume.id === config.volume.id ? volume : resolveVolumeSpec(config, p.volume) }));
  return { ...config, volume, policies };
}

/** A volume spec as its volume file defines it (unchanged when there is none). */
export function resolveVolumeSpec(config: Pick<Config, 'storage' | 'volume'>, spec: VolumeSpec): VolumeSpec {
  const def = readVolumeFile(volumeFilePath(config, spec.id));
  return def ? specFor(def, spec) : spec;
}

/** A new definition describing an open volume (its bricks and current layout). */
export function definitionOf(volume: Volume): VolumeDefinition {
  const r = volume.spec.replica;
  return {
    format: VOLUME_FILE_FORMAT,
    id: volume.spec.id,
    replica: r,
    sets: volume.sets.map((_s, i) => ({ bricks: volume.spec.bricks.slice(i * r, (i + 1) * r) })),
    layout: volume.layout.toJSON(),
    updatedAt: new Date().toISOString(),
  };
}

/** Open the volume a definition describes. */
export async function openDefined(def: VolumeDefinition, base: VolumeSpec, options: VolumeOptions = {}): Promise<Volume> {
  const volume = await openVolume(specFor(def, base), {
    ...options,
    layout: layoutFromJSON(def.layout),
    ...(def.previous ? { previousLayout: layoutFromJSON(def.previous) } : {}),
  });
  volume.definitionVersion = versionOf(def);
  return volume;
}

export interface ConfiguredVolumeOptions extends VolumeOptions {
  /** Follow changes of the volume file (a serving gateway). Default false. */
  watch?: boolean;
  /** Told about reloads and reload failures. */
  onEvent?: (event: { kind: 'reloaded'; commit: number } | { kind: 'error'; error: Error }) => void;
  /** Where sharing the definition with brick servers logs (a watched volume with remote bricks). */
  log?: SyncLog;
}

/**
 * Open a volume of the config (default: its `volume`; a storage policy's otherwise) from its volume
 * file, creating the file from the config when there is none (and the volume has bricks that persist).
 */
export async function openConfiguredVolume(config: Pick<Config, 'storage' | 'volume'>, options: ConfiguredVolumeOptions = {},
                                          spec: VolumeSpec = config.volume): Promise<Volume> {
  const path = volumeFilePath(config, spec.id);
  const sync = options.watch ? await shareDefinition(path, spec, options) : undefined;
  if (sync) options = sync.follow(options);
  let def = readVolumeFile(path);
  let volume: Volume;
  if (def) {
    volume = await openDefined(def, spec, options);
  } else {
    volume = await openVolume({ ...spec, bricks: [...spec.bricks] }, options);
    if (!persistent(spec)) return volume;
    mkdirSync(dirname(path), { recursive: true });
    // Another process (a cluster worker) may create it first: then its layout is the one, and the
    // file is left as it is (rewriting it would make every other watcher reload for nothing).
    def = (await updateVolumeFile(path, (existing) => (existing ? undefined : definitionOf(volume))))!;
    try {
      await applyDefinition(volume, def, options);
    } catch (err) {
      await volume.close();
      throw err;
    }
  }
  if (options.watch) {
    const reload = watchDefinition(volume, path, options);
    sync?.attach(volume, reload);
  }
  return volume;
}

/**
 * A serving gateway of a volume with remote bricks shares its definition with the brick servers and
 * adopts a newer one they hold, now (before opening) and while serving (definition-sync.ts).
 * Local-brick volumes have nobody to share with.
 */
async function shareDefinition(path: string, spec: VolumeSpec, options: ConfiguredVolumeOptions): Promise<DefinitionSync | undefined> {
  const file = readVolumeFile(path);
  const bricks = file ? bricksOf(file) : spec.bricks;
  if (!spec.secret || !bricks.some(isRemoteBrick)) return undefined;
  const { DefinitionSync } = await import('./definition-sync.js');
  const sync = new DefinitionSync(path, spec.id, spec.secret, options.log);
  await sync.adoptAtStart(bricks);
  return sync;
}

/**
 * Bring an open volume in line with a definition: open bricks it adds, rebuild the replica sets, swap
 * sets and layouts in one synchronous step, then close bricks it dropped. Operations in flight keep
 * the sets they started with (members are shared, so they keep working); a dropped brick is closed
 * once nothing runs on it any more (Member.drained, bounded by the call timeout), not before.
 */
export async function applyDefinition(volume: Volume, def: VolumeDefinition, options: VolumeOptions = {}): Promise<void> {
  const spec = volume.spec;
  if (def.id !== spec.id) throw new InvalidArgument(`volume file is for volume "${def.id}", this is "${spec.id}"`);
  if (def.replica !== spec.replica) throw new InvalidArgument(`volume file has replica ${def.replica}, the volume ${spec.replica}`);
  const layout = layoutFromJSON(def.layout);
  const previous = def.previous ? layoutFromJSON(def.previous) : undefined;
  const bricks = bricksOf(def);
  const same = bricks.length === spec.bricks.length && bricks.every((b, i) => b === spec.bricks[i]);
  const version = versionOf(def);
  if (same) {
    if (layout.sets !== volume.sets.length) throw new InvalidArgument(`layout has ${layout.sets} sets, volume has ${volume.sets.length}`);
    volume.placement.update(layout, previous);
    volume.definitionVersion = version;
    return;
  }
  const r = spec.replica;
  const old = new Map<string, Member>();
  spec.bricks.forEach((b, i) => old.set(b, volume.sets[Math.floor(i / r)]!.members[i % r]!));
  const factory = options.brickFactory ?? makeBrick;
  const writeTimeoutMs = spec.writeTimeoutMs ?? 30000;
  const added: Member[] = [];
  const members = await Promise.all(bricks.map(async (b) => {
    const have = old.get(b);
    if (have) return have;
    // The same settings openVolume gives its members.
    const m = new Member(await factory(b, spec), {
      timeoutMs: options.callTimeoutMs ?? writeTimeoutMs,
      retryMs: options.brickRetryMs ?? 10000,
      minFreeDiskPercent: spec.minFreeDiskPercent ?? 10,
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
    added.push(m);
    return m;
  }));
  await Promise.all(added.map((m) => m.open()));
  const sets: ReplicaSet[] = [];
  for (let s = 0; s * r < members.length; s++) {
    sets.push(new ReplicaSet(s, members.slice(s * r, (s + 1) * r), { quorum: spec.quorum ?? 'auto', writeTimeoutMs }));
  }
  if (layout.sets !== sets.length) {
    await Promise.allSettled(added.map((m) => m.brick.close()));
    throw new InvalidArgument(`layout has ${layout.sets} sets, volume file lists ${sets.length}`);
  }
  const kept = new Set(members);
  const dropped = [...old.values()].filter((m) => !kept.has(m));
  // One tick: sets, brick list and layouts change together. Writes that chose an old set and have not
  // begun writing run again on the new ones (SupersededSet); those already writing finish there.
  for (const s of volume.sets) s.superseded = true;
  volume.sets.splice(0, volume.sets.length, ...sets);
  noteRecordChange(); // record reads in flight asked the old sets: later reads do not join them
  spec.bricks.splice(0, spec.bricks.length, ...bricks);
  volume.placement.update(layout, previous);
  volume.definitionVersion = version;
  // In the background: whoever waits for this reload (a write retrying under the new layout) must not
  // wait for a long upload still running on a brick that left.
  const drainMs = options.callTimeoutMs ?? writeTimeoutMs;
  for (const m of dropped) void m.drained(drainMs).then(() => m.brick.close()).catch(() => undefined);
}

/** How often a gateway looks at the volume file. */
export const WATCH_INTERVAL_MS = 1000;

/**
 * Poll the volume file and apply each change (serialized); stops when the volume closes. Returns a
 * function that looks at the file now (after any check in progress), resolving once that is done.
 */
export function watchDefinition(volume: Volume, path: string, options: ConfiguredVolumeOptions = {}): () => Promise<void> {
  let chain = Promise.resolve();
  // What was last applied, whole but for the time of writing: a file rewritten with the same
  // definition changes nothing, while two changes within one millisecond (one updatedAt) still differ.
  const seen = (d: VolumeDefinition | undefined): string | undefined => (d ? JSON.stringify({ ...d, updatedAt: undefined }) : undefined);
  let last = seen(readVolumeFile(path));
  const listener = (): void => {
    chain = chain.then(async () => {
      const def = readVolumeFile(path);
      const now = seen(def);
      if (!def || now === last) return;
      last = now;
      await applyDefinition(volume, def, options);
      options.onEvent?.({ kind: 'reloaded', commit: volume.layout.version });
      // The rebalance runs in its own process and checkpoints into the file: the gateway's metrics follow it here.
      const r = def.rebalance;
      if (r) {
        const { scanned, moved, failed, bytes, containers } = r.counts;
        options.metrics?.rebalanceProgress?.({ running: r.status === 'running', scanned, moved, failed, bytes, containers });
      }
    }).catch((err: unknown) => {
      options.onEvent?.({ kind: 'error', error: err instanceof Error ? err : new Error(String(err)) });
    });
  };
  // Polling (not fs.watch): the file is replaced by rename, which fs.watch loses track of.
  watchFile(path, { interval: WATCH_INTERVAL_MS, persistent: false }, listener);
  volume.onClose(() => unwatchFile(path, listener));
  return () => {
    listener();
    return chain;
  };
}
