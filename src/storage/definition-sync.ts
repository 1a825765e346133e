/**
 * One volume definition for every gateway: a serving gateway whose volume has remote bricks shares its
 * volume file's definition with the volume's brick servers, in GlusterFS's spirit (glusterd keeps the
 * volfile on every peer; clients fetch it from a server and are told when it changes).
 *
 * Definitions are ordered by version (definition-version.ts): layout commit, then revision (bumped by
 * every change of the file: replace-brick and a rebalance's progress travel too), then, for the same
 * commit and revision with other content, the smaller digest.
 *
 * - Publish: when the gateway opens the volume, and whenever a reload changes the definition, it
 *   publishes the file's definition to every brick server of the volume, and to those of the
 *   definition before (a server whose brick was replaced out must learn it is out). Fire and forget,
 *   logged. A server that was down, or holds an older version, is published to again when it next
 *   answers (throttled). The CLI's volume verbs publish the same way, and wait (`publishFile`).
 * - Learn: every answer of a brick server names the version it holds (remote-client.ts). A newer one
 *   than the volume's makes the gateway fetch the newest definition the servers hold, write it into
 *   its own volume file as it is (only if still newer than the file's, under the file's lock, so a
 *   concurrent local change is never lost) and have the file's watcher apply it at once.
 * - Start: before serving, the newest definition any reachable server holds replaces the local file
 *   when it is newer (or when there is no file yet: a second gateway of an existing volume).
 * - Stale layout: a write placed by an older definition than a server holds, that places objects
 *   otherwise, is refused there (StaleLayout); the volume awaits `adopt` and runs the write once more
 *   under the new definition (volume.ts `placing`).
 * - Stale reads: reads are not refused, so a read placed by an old definition could miss an object
 *   written to a set only the new one has. The sync remembers the newest version any answer named
 *   (no extra request: `observed` already sees every answer). A read whose answer a newer placement
 *   could change (an object lookup that found nothing, a listing, a count) asks `caughtUp` with the
 *   version it was placed under: when a newer definition that places objects otherwise was named, it
 *   awaits the adoption (bounded by READ_CATCH_UP_MS; a failed or slow one leaves the answer as it
 *   was) and the volume runs the read once more (volume.ts `reading`). The limit: the gateway learns
 *   of the change only from servers that hold it. If every server a read asked still holds the old
 *   definition, nothing is named and the miss stands until some answer names the new one. Publishing
 *   goes to every server of the volume, old sets and new, so a server the old layout reads from
 *   normally holds the new definition before anything is written under it; a server that was down
 *   during the publish and answers first is the exception.
 *
 * Two gateways that create the first layout of a volume at the same moment make two definitions of
 * commit 1, revision 1. They settle on the one with the smaller digest, on every server and gateway.
 * That is safe when both place objects alike (same sets, same layout: the usual case when both read
 * the same config and bricks). When they do not (other brick capacities measured, say), a write the
 * losing gateway made before it learned it lost stays on the set its own layout chose, which the
 * winning layout does not look at (no previous layout: a miss is authoritative), so it is not found
 * until it is moved there by hand. The window is short (a gateway publishes when it opens the
 * volume, and the servers refuse the loser's writes as soon as they hold the winner), and the sync
 * logs a warning naming both definitions when it sees such a pair; to avoid it, create the volume
 * once (`cairn volume create`, or start one gateway first) and let the others take it.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DefinitionLink } from './brick/remote-client.js';
import { fetchDefinition, publishDefinition, type DefinitionServer } from './brick/remote-definition.js';
import { parseBrickUrl } from './brick/remote-protocol.js';
import { isRemoteBrick, makeBrick } from './brick-spec.js';
import { compareVersions, describeVersion, newer, versionOf, type DefinitionVersion } from './definition-version.js';
import { bricksOf, readVolumeFile, updateVolumeFile, type VolumeDefinition } from './volume-file.js';
import type { ConfiguredVolumeOptions } from './volume-runtime.js';
import type { Volume } from './volume.js';

/** What the sync logs through (pino's shape). */
export interface SyncLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** What publishing to one server came to (publishFile). */
export interface PublishOutcome {
  server: string;
  /**
   * 'stored': it holds ours now; 'held': it held ours already (or won the digest tie-break); 'newer':
   * it holds a newer one (a change made elsewhere); 'failed': see `error`.
   */
  result: 'stored' | 'held' | 'newer' | 'failed';
  /** The version it holds afterwards (when it answered). */
  held?: { commit: number; revision: number };
  error?: string;
}

/** A server that answers with an older definition is published to at most this often. */
const REPUBLISH_MS = 2000;
/** After a failed adoption, answers naming a newer commit start another one at most this often. */
const READOPT_MS = 1000;
/** How long a read waits for the adoption of a newer placement before it answers what it found. */
export const READ_CATCH_UP_MS = 2000;

/** Whether `v` is newer than `placed` and places objects otherwise (what the brick servers' write guard checks too). */
function placesOtherwise(v: DefinitionVersion | undefined, placed: DefinitionVersion): boolean {
  return v !== undefined && compareVersions(v, placed) > 0 && v.placement !== placed.placement;
}

/** Whether `p` settles within `ms` (it is left running either way). */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((res) => { timer = setTimeout(() => res(false), ms); });
  try {
    return await Promise.race([p.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
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
  /**
   * The newest version an answer named that is newer than the applied one, and when (`step`): a read
   * only waits for an adoption begun after that moment, which fetched at least that version.
   */
  private seen: { version: DefinitionVersion; step: number } | undefined;
  /** When (`step`) the last adoption began. */
  private adoptionStep = 0;
  /** Orders `seen` and adoption starts (a counter: two can happen in one millisecond). */
  private step = 0;
  /** The version last published to every server. */
  private published: DefinitionVersion | undefined;
  /** The servers of the definition last published (a server dropped by the next one still gets it). */
  private publishedServers: string[] = [];
  /** Per server, when a publish was last started. */
  private readonly publishing = new Map<string, number>();

  constructor(private readonly path: string, private readonly volumeId: string, private readonly secret: string,
              private readonly log?: SyncLog) {}

  private server(origin: string): DefinitionServer {
    return { origin, secret: this.secret, volumeId: this.volumeId };
  }

  /** The newest definition the servers of `bricks` hold (unreachable ones are skipped). */
  newest(bricks: readonly string[]): Promise<VolumeDefinition | undefined> {
    return this.newestAt(serversOf(bricks));
  }

  /** The newest definition the servers at `origins` hold (unreachable ones are skipped). */
  private async newestAt(origins: readonly string[]): Promise<VolumeDefinition | undefined> {
    const found = await Promise.allSettled(origins.map((o) => fetchDefinition(this.server(o))));
    let best: VolumeDefinition | undefined;
    for (const r of found) {
      if (r.status === 'fulfilled' && r.value && r.value.id === this.volumeId && newer(r.value, best)) best = r.value;
    }
    return best;
  }

  /** Write `def` as it is into the volume file if it is newer than the file's (or there is none); true if written. */
  private async take(def: VolumeDefinition): Promise<boolean> {
    let taken = false;
    mkdirSync(dirname(this.path), { recursive: true });
    await updateVolumeFile(this.path, (cur) => {
      if (!newer(def, cur)) return undefined; // a local change got there first: it wins
      taken = true;
      return def;
    }, { asIs: true });
    return taken;
  }

  /** At start, before the volume opens: adopt the newest definition the servers of `bricks` hold if it is newer. */
  async adoptAtStart(bricks: readonly string[]): Promise<boolean> {
    const newest = await this.newest(bricks);
    if (newest && await this.take(newest)) {
      this.log?.info({ volume: this.volumeId, version: describeVersion(versionOf(newest)) }, 'adopted the newer volume definition held by the brick servers');
      return true;
    }
    return false;
  }

  /**
   * The volume's options with this sync in them: remote bricks are linked to it (their requests name
   * the definition's version, their answers report the servers'), and each reload may publish.
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
    volume.placementCatchUp = (placed) => this.caughtUp(placed);
    volume.staleLayoutHandler = async (err) => {
      this.log?.info({ volume: this.volumeId, held: err.held, sent: err.sent, heldRevision: err.heldRevision, sentRevision: err.sentRevision },
        'write refused under a stale layout: adopting the newer definition');
      await this.adopt();
    };
    this.publishAll();
  }

  /** The file was reloaded: publish when the applied definition changed. */
  reloaded(): void {
    const v = this.volume?.definitionVersion;
    if (v && (!this.published || compareVersions(v, this.published) !== 0)) this.publishAll();
  }

  // -- DefinitionLink ------------------------------------------------------------------------------

  version(): DefinitionVersion | undefined { return this.volume?.definitionVersion; }

  observed(origin: string, held: DefinitionVersion | undefined): void {
    const own = this.version();
    if (own === undefined) return;
    const order = held === undefined ? -1 : compareVersions(held, own);
    if (order > 0) {
      if (!this.seen || compareVersions(held!, this.seen.version) > 0) this.seen = { version: held!, step: ++this.step };
      if (!this.adopting && Date.now() - this.lastAdoption >= READOPT_MS) void this.adopt();
    } else if (order < 0) {
      const last = this.publishing.get(origin) ?? 0;
      if (Date.now() - last >= REPUBLISH_MS) void this.publishTo(origin);
    }
  }

  // -- adopting and publishing ---------------------------------------------------------------------

  /** Fetch the newest definition the servers hold; if newer than the applied one, write it (if newer than the file) and apply the file now. */
  adopt(): Promise<void> {
    if (!this.adopting) this.adoptionStep = ++this.step;
    this.adopting ??= this.adoptNow().finally(() => {
      this.adopting = undefined;
      this.lastAdoption = Date.now();
    });
    return this.adopting;
  }

  /**
   * A read placed under `placed` came to an answer that a newer placement could change: true when the
   * volume now applies a definition that places objects otherwise, so the read is worth running once
   * more. Waits (at most READ_CATCH_UP_MS) for the adoption of such a definition when an answer named
   * one; resolves false at once when none did, which is the normal path.
   */
  async caughtUp(placed: DefinitionVersion): Promise<boolean> {
    const deadline = Date.now() + READ_CATCH_UP_MS;
    for (;;) {
      if (placesOtherwise(this.version(), placed)) return true; // applied meanwhile (by this read's own answers, say)
      const seen = this.seen;
      if (!seen || !placesOtherwise(seen.version, placed)) return false;
      // An adoption begun after the answer fetched what it named; if that did not bring it, another
      // one waits for the throttle, as for answers, rather than one per read.
      const fetched = seen.step < this.adoptionStep;
      if (!this.adopting && fetched && Date.now() - this.lastAdoption < READOPT_MS) return false;
      const left = deadline - Date.now();
      if (left <= 0 || !await settlesWithin(this.adopt(), left)) return false;
    }
  }

  private async adoptNow(): Promise<void> {
    const volume = this.volume;
    if (!volume) return;
    try {
      // The servers of the definition published before too: one whose brick was replaced out may be
      // the one that refused us.
      const newest = await this.newestAt([...new Set([...serversOf(volume.spec.bricks), ...this.publishedServers])]);
      const applied = volume.definitionVersion;
      if (!newest || (applied && compareVersions(versionOf(newest), applied) <= 0)) return;
      if (await this.take(newest)) {
        this.log?.info({ volume: this.volumeId, version: describeVersion(versionOf(newest)) }, 'adopted a newer volume definition from the brick servers');
      }
      await this.reload?.();
    } catch (err) {
      this.log?.warn({ err, volume: this.volumeId }, 'adopting the brick servers\' volume definition failed');
    }
  }

  /**
   * The server kept its own definition of our commit and revision: the digest settles which one every
   * node keeps; worth an operator's attention when they place objects differently.
   */
  private compare(origin: string, def: VolumeDefinition, theirs: VolumeDefinition): void {
    const ours = versionOf(def);
    const held = versionOf(theirs);
    if (ours.commit !== held.commit || ours.revision !== held.revision || ours.digest === held.digest) return;
    const kept = compareVersions(held, ours) > 0 ? 'theirs' : 'ours';
    const log = ours.placement === held.placement ? this.log?.info.bind(this.log) : this.log?.warn.bind(this.log);
    log?.({ server: origin, version: describeVersion(ours), kept, ours: def, theirs },
      ours.placement === held.placement
        ? 'the brick server holds another volume definition of the same revision (it places objects alike); settled by digest'
        : 'the brick server holds another volume definition of the same revision, placing objects differently: settled by digest, '
          + 'writes made under the other one may need moving');
  }

  private publishAll(): void {
    const volume = this.volume;
    if (!volume) return;
    this.published = volume.definitionVersion;
    const current = serversOf(volume.spec.bricks);
    const targets = [...new Set([...current, ...this.publishedServers])];
    this.publishedServers = current;
    for (const origin of targets) void this.publishTo(origin);
  }

  private async publishTo(origin: string): Promise<void> {
    this.publishing.set(origin, Date.now());
    const def = readVolumeFile(this.path);
    if (!def) return;
    try {
      const answer = await publishDefinition(this.server(origin), def);
      if (answer.held) {
        this.compare(origin, def, answer.held);
        if (newer(answer.held, def)) void this.adopt(); // someone else's newer definition got there first
      }
    } catch (err) {
      // A server that is down gets it when it answers again (observed()).
      this.log?.warn({ err, server: origin, version: describeVersion(versionOf(def)) }, 'publishing the volume definition failed');
    }
  }

  /**
   * Publish the volume file's definition to the brick servers of `bricks` and of the file's own
   * bricks, and wait for every answer (the CLI's volume verbs, which have no gateway to do it).
   */
  async publishFile(bricks: readonly string[] = []): Promise<PublishOutcome[]> {
    const def = readVolumeFile(this.path);
    if (!def) return [];
    const mine = versionOf(def);
    return Promise.all(serversOf([...bricksOf(def), ...bricks]).map(async (server): Promise<PublishOutcome> => {
      try {
        const a = await publishDefinition(this.server(server), def);
        const held = { commit: a.commit, revision: a.revision };
        if (a.held) this.compare(server, def, a.held);
        const result = a.stored ? 'stored' : a.held && compareVersions(versionOf(a.held), mine) > 0
          && (a.held.layout.version !== mine.commit || (a.held.revision ?? 0) !== mine.revision) ? 'newer' : 'held';
        return { server, result, held };
      } catch (err) {
        return { server, result: 'failed', error: (err as Error).message };
      }
    }));
  }
}
