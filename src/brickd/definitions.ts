/**
 * The volume definitions a brick server holds, per volume (GlusterFS's glusterd keeps the volfile on
 * every peer): each brick of the volume on this server keeps the newest definition gateways published
 * (held-definition.ts); the server's answer for a volume is the newest among them.
 *
 * Publishing only ever moves forward: a definition is stored on a brick when its layout commit is newer
 * than the brick's; an equal commit with other content keeps the held one (the first published wins, so
 * every gateway converges on one); an older one is answered with the held commit. Publishes are
 * serialised per server, so two gateways publishing at once cannot interleave their writes.
 *
 * The stale-layout guard: a write placed by an older commit than the held one is refused (StaleLayout).
 */
import { BrickIdentityMismatch } from '../storage/brick/local.js';
import { NOT_FOUND, WireFailure } from '../storage/brick/remote-errors.js';
import { StaleLayout } from '../storage/errors.js';
import { checkDefinition, commitOf, type VolumeDefinition } from '../storage/volume-file.js';
import type { ServedBrick } from './served-brick.js';

export interface PublishAnswer {
  /** The commit held after the publish. */
  commit: number;
  /** Whether the published definition was stored (on at least one brick). */
  stored: boolean;
  /** When it was not: the definition held instead (an equal commit may differ in content). */
  definition?: VolumeDefinition;
}

export class Definitions {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly bricks: ReadonlyMap<string, ServedBrick>) {}

  /** The bricks of `volume` on this server. */
  private of(volume: string): ServedBrick[] {
    return [...this.bricks.values()].filter((b) => b.volume === volume);
  }

  /** The newest definition held for `volume`, if any. */
  newest(volume: string): VolumeDefinition | undefined {
    let best: VolumeDefinition | undefined;
    for (const b of this.of(volume)) {
      const d = b.held.definition;
      if (d && d.id === volume && (!best || commitOf(d) > commitOf(best))) best = d;
    }
    return best;
  }

  /** The layout commit held for `volume`, if any. */
  commit(volume: string): number | undefined {
    const d = this.newest(volume);
    return d ? commitOf(d) : undefined;
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
    const commit = commitOf(def);
    let stored = false;
    for (const b of bricks) {
      const held = b.held.definition;
      if (held && held.id === volume && commitOf(held) >= commit) continue;
      await b.held.store(def);
      stored = true;
    }
    return { commit: this.commit(volume)!, stored, ...(stored ? {} : { definition: this.newest(volume)! }) };
  }

  /** Refuse a write placed by layout commit `sent` when a newer one is held (no commit sent: not checked). */
  check(volume: string, sent: number | undefined): void {
    if (sent === undefined) return;
    const held = this.commit(volume);
    if (held !== undefined && held > sent) throw new StaleLayout(held, sent);
  }
}
