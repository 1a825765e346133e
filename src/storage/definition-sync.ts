/**
 * One volume definition for every gateway: a serving gateway whose volume has remote bricks shares its
 * volume file's definition with the volume's brick servers, in GlusterFS's spirit (glusterd keeps the
 * volfile on every peer; clients fetch it from a server and are told when it changes).
 *
 * - Publish: when the gateway opens the volume, and whenever a reload changes the layout commit, it
 *   publishes the file's definition to every brick server (fire and forget, logged). A server that
 *   was down, or holds an older commit, is published to again when it next answers (throttled).
 * - Learn: every answer of a brick server names the commit it holds (remote-client.ts). A newer one
 *   than the volume's makes the gateway fetch the newest definition the servers hold, write it into
 *   its own volume file (only if still newer than the file's, under the file's lock, so a concurrent
 *   local change is never lost) and have the file's watcher apply it at once.
 * - Start: before serving, the newest definition any reachable server holds replaces the local file
 *   when it is newer (or when there is no file yet: a second gateway of an existing volume).
 * - Stale layout: a write placed by an older commit than a server holds is refused there (StaleLayout);
 *   the volume awaits `adopt` and runs the write once more under the new layout (volume.ts `placing`).
 *
 * Definitions are ordered by layout commit only. Changes that keep the commit (replace-brick, a
 * rebalance's progress and completion) stay with the file they were made in.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DefinitionLink } from './brick/remote-client.js';
import { fetchDefinition, publishDefinition, type DefinitionServer } from './brick/remote-definition.js';
import { parseBrickUrl } from './brick/remote-protocol.js';
import { makeBrick } from './brick-spec.js';
import { commitOf, readVolumeFile, updateVolumeFile, type VolumeDefinition } from './volume-file.js';
import type { ConfiguredVolumeOptions } from './volume-runtime.js';
import type { Volume } from './volume.js';

/** What the sync logs through (pino's shape). */
export interface SyncLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** A server that answers with an older definition is published to at most this often. */
const REPUBLISH_MS = 2000;
/** After a failed adoption, answers naming a newer commit start another one at most this often. */
const READOPT_MS = 1000;

/** Whether a brick spec is served by a brick server. */
export function isRemoteBrick(spec: string): boolean {
  return /^https?:\/\//i.test(spec);
}

/** The brick servers (origins) among brick specs, once each. */
export function serversOf(bricks: readonly string[]): string[] {
  return [...new Set(bricks.filter(isRemoteBrick).map((b) => parseBrickUrl(b).origin))];
}

export class DefinitionSync implements DefinitionLink {
  private volume: Volume | undefined;
  private reload: (() => Promise<void>) | undefined;
  private adopting: Promise<void> | undefined;
  private lastAdoption = 0;
  /** The commit last published to every server. */
  private published: number | undefined;
  /** Per server, when a publish was last started. */
  private readonly publishing = new Map<string, number>();

  constructor(private readonly path: string, private readonly volumeId: string, private readonly secret: string,
              private readonly log?: SyncLog) {}

  private server(origin: string): DefinitionServer {
    return { origin, secret: this.secret, volumeId: this.volumeId };
  }

  /** The newest definition the servers of `bricks` hold (unreachable ones are skipped). */
  async newest(bricks: readonly string[]): Promise<VolumeDefinition | undefined> {
    const found = await Promise.allSettled(serversOf(bricks).map((o) => fetchDefinition(this.server(o))));
    let best: VolumeDefinition | undefined;
    for (const r of found) {
      if (r.status === 'fulfilled' && r.value && r.value.id === this.volumeId && (!best || commitOf(r.value) > commitOf(best))) best = r.value;
    }
    return best;
  }

  /** Write `def` into the volume file if it is newer than the file's (or there is none); true if written. */
  private async take(def: VolumeDefinition): Promise<boolean> {
    let taken = false;
    mkdirSync(dirname(this.path), { recursive: true });
    await updateVolumeFile(this.path, (cur) => {
      if (cur && commitOf(cur) >= commitOf(def)) return undefined; // a local change got there first: it wins
      taken = true;
      return def;
    });
    return taken;
  }

  /** At start, before the volume opens: adopt the newest definition the servers of `bricks` hold if it is newer. */
  async adoptAtStart(bricks: readonly string[]): Promise<void> {
    const newest = await this.newest(bricks);
    if (newest && await this.take(newest)) {
      this.log?.info({ volume: this.volumeId, commit: commitOf(newest) }, 'adopted the newer volume definition held by the brick servers');
    }
  }

  /**
   * The volume's options with this sync in them: remote bricks are linked to it (their requests name
   * the layout commit, their answers report the servers'), and each reload may publish.
   */
  follow(options: ConfiguredVolumeOptions): ConfiguredVolumeOptions {
    const factory = options.brickFactory ?? makeBrick;
    const onEvent = options.onEvent;
    return {
      ...options,
      brickFactory: async (spec, volume) => {
        const brick = await factory(spec, volume);
        (brick as { linkDefinition?: (link: DefinitionLink) => void }).linkDefinition?.(this);
        return brick;
      },
      onEvent: (event) => {
        onEvent?.(event);
        if (event.kind === 'reloaded') this.reloaded();
      },
    };
  }

  /** Serving: the volume is open and its file watched (`reload` applies the file now). Publishes the definition. */
  attach(volume: Volume, reload: () => Promise<void>): void {
    this.volume = volume;
    this.reload = reload;
    volume.staleLayoutHandler = async (err) => {
      this.log?.info({ volume: this.volumeId, held: err.held, sent: err.sent }, 'write refused under a stale layout: adopting the newer definition');
      await this.adopt();
    };
    this.publishAll();
  }

  /** The file was reloaded: publish when its layout commit changed. */
  reloaded(): void {
    if (this.volume && this.volume.layout.version !== this.published) this.publishAll();
  }

  // -- DefinitionLink ------------------------------------------------------------------------------

  commit(): number | undefined { return this.volume?.layout.version; }

  observed(origin: string, held: number | undefined): void {
    const own = this.commit();
    if (own === undefined) return;
    if (held !== undefined && held > own) {
      if (!this.adopting && Date.now() - this.lastAdoption >= READOPT_MS) void this.adopt();
    } else if (held === undefined || held < own) {
      const last = this.publishing.get(origin) ?? 0;
      if (Date.now() - last >= REPUBLISH_MS) void this.publishTo(origin);
    }
  }

  // -- adopting and publishing ---------------------------------------------------------------------

  /** Fetch the newest definition the servers hold; if newer than the file, write it and apply it now. */
  adopt(): Promise<void> {
    this.adopting ??= this.adoptNow().finally(() => {
      this.adopting = undefined;
      this.lastAdoption = Date.now();
    });
    return this.adopting;
  }

  private async adoptNow(): Promise<void> {
    const volume = this.volume;
    if (!volume) return;
    try {
      const newest = await this.newest(volume.spec.bricks);
      if (!newest || commitOf(newest) <= volume.layout.version) return;
      if (await this.take(newest)) {
        this.log?.info({ volume: this.volumeId, commit: commitOf(newest) }, 'adopted a newer volume definition from the brick servers');
      }
      await this.reload?.();
    } catch (err) {
      this.log?.warn({ err, volume: this.volumeId }, 'adopting the brick servers\' volume definition failed');
    }
  }

  /**
   * The server kept its own definition of our commit: fine if it places objects as ours does, worth
   * an operator's attention if not (two gateways that made a first layout each, say).
   */
  private compare(origin: string, def: VolumeDefinition, theirs: VolumeDefinition): void {
    const placement = (d: VolumeDefinition | undefined): string => JSON.stringify(d && [d.sets, d.layout, d.previous]);
    if (placement(theirs) !== placement(def)) {
      this.log?.warn({ server: origin, commit: commitOf(def), ours: def, theirs },
        'the brick server holds another volume definition under the same layout commit: gateways may place objects differently');
    }
  }

  private publishAll(): void {
    const volume = this.volume;
    if (!volume) return;
    this.published = volume.layout.version;
    for (const origin of serversOf(volume.spec.bricks)) void this.publishTo(origin);
  }

  private async publishTo(origin: string): Promise<void> {
    this.publishing.set(origin, Date.now());
    const def = readVolumeFile(this.path);
    if (!def) return;
    try {
      const answer = await publishDefinition(this.server(origin), def);
      if (answer.commit > commitOf(def)) void this.adopt(); // someone else's newer definition got there first
      else if (answer.held && answer.commit === commitOf(def)) this.compare(origin, def, answer.held);
    } catch (err) {
      // A server that is down gets it when it answers again (observed()).
      this.log?.warn({ err, server: origin, commit: commitOf(def) }, 'publishing the volume definition failed');
    }
  }
}
