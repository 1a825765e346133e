/**
 * The volume definitions a brick server holds, per volume (GlusterFS's glusterd keeps the volfile on
 * every peer): each brick of the volume on this server keeps the newest definition gateways published
 * (held-definition.ts); the server's answer for a volume is the newest among them.
 *
 * Publishing only ever moves forward, by version (definition-version.ts: layout commit, then revision):
 * a definition is stored on a brick when it is newer than the brick's; an older one is answered with
 * the held one. The same commit and revision with other content (two gateways that made a first layout
 * at the same moment) is settled by digest: the smaller one is kept, whichever came first, so every
 * server and gateway ends on the same one. Publishes are serialised per server, so two gateways
 * publishing at once cannot interleave their writes.
 *
 * The stale-layout guard: a write sent under an older definition than the held one is refused
 * (StaleLayout) when the two place objects differently (other sets or bricks, another layout); a
 * gateway that only lags in a rebalance's bookkeeping still places correctly and is let through.
 */
import { BrickIdentityMismatch } from '../storage/brick/local.js';
import { NOT_FOUND, WireFailure } from '../storage/brick/remote-errors.js';
import { compareVersions, versionOf, type DefinitionVersion } from '../storage/definition-version.js';
import { StaleLayout } from '../storage/errors.js';
import { checkDefinition, type VolumeDefinition } from '../storage/volume-file.js';
import type { ServedBrick } from './served-brick.js';

export interface PublishAnswer {
  /** The commit held after the publish. */
  commit: number;
  /** The revision held after the publish. */
  revision: number;
  /** Whether the published definition was stored (on at least one brick). */
  stored: boolean;
  /** When it was not: the definition held instead (the same version may differ in content). */
  definition?: VolumeDefinition;
}

/** What a request says it acts under: a commit, and (from current gateways) the whole version. */
export interface SentDefinition { commit: number; version?: DefinitionVersion }

export class Definitions {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly bricks: ReadonlyMap<string, ServedBrick>) {}

  /** The bricks of `volume` on this server. */
  private of(volume: string): ServedBrick[] {
    return [...this.bricks.values()].filter((b) => b.volume === volume);
  }

  /** The brick holding the newest definition of `volume`, if any. */
  private newestHolder(volume: string): ServedBrick | undefined {
    let best: ServedBrick | undefined;
    for (const b of this.of(volume)) {
      const v = b.held.version;
      if (v && b.held.definition!.id === volume && (!best || compareVersions(v, best.held.version!) > 0)) best = b;
    }
    return best;
  }

  /** The newest definition held for `volume`, if any. */
  newest(volume: string): VolumeDefinition | undefined {
    return this.newestHolder(volume)?.held.definition;
  }

  /** The version of the newest definition held for `volume`, if any. */
  version(volume: string): DefinitionVersion | undefined {
    return this.newestHolder(volume)?.held.version;
  }

  /** The layout commit held for `volume`, if any. */
  commit(volume: string): number | undefined {
    return this.version(volume)?.commit;
  }

  /** The held definition, or NOT_FOUND. */
  get(volume: string): VolumeDefinition {
    const d = this.newest(volume);
    if (!d) throw new WireFailure(NOT_FOUND, `this server holds no definition of volume ${JSON.stringify(volume)}`);
    return d;
  }

  /** Store `raw` (a request's definition) on every brick of `volume` holding an older one. */
  publish(volume: string, raw: unknown): Promise<PublishAnswer> {
    const run = this.chain.then(() => this.store(volume, raw));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async store(volume: string, raw: unknown): Promise<PublishAnswer> {
    const def = checkDefinition(raw, 'published definition');
    if (def.id !== volume) {
      throw new BrickIdentityMismatch(`volume ${volume}`, `the request is for volume ${JSON.stringify(volume)} but publishes volume ${JSON.stringify(def.id)}`);
    }
    const bricks = this.of(volume);
    if (bricks.length === 0) {
      throw new BrickIdentityMismatch(`volume ${volume}`,
        `this server serves no brick of volume ${JSON.stringify(volume)} (bricks: ${[...this.bricks.values()].map((b) => `${b.name}=${b.volume ?? 'unbound'}`).join(', ')})`);
    }
    const version = versionOf(def);
    let stored = false;
    for (const b of bricks) {
      const held = b.held.definition;
      if (held && held.id === volume && compareVersions(b.held.version!, version) >= 0) continue;
      await b.held.store(def);
      stored = true;
    }
    const now = this.version(volume)!;
    return { commit: now.commit, revision: now.revision, stored, ...(stored ? {} : { definition: this.newest(volume)! }) };
  }

  /**
   * Refuse a write sent under an older definition than the held one that places objects otherwise
   * (nothing sent: not checked; only a commit sent: checked by commit, as before revisions existed).
   */
  check(volume: string, sent: SentDefinition | undefined): void {
    if (sent === undefined) return;
    const held = this.version(volume);
    if (held === undefined) return;
    if (!sent.version) {
      if (held.commit > sent.commit) throw new StaleLayout(held.commit, sent.commit);
      return;
    }
    if (compareVersions(held, sent.version) > 0 && held.placement !== sent.version.placement) {
      throw new StaleLayout(held.commit, sent.commit, held.revision, sent.version.revision);
    }
  }
}
