/**
 * The self-heal daemon inside `cairn serve`: one Healer per volume the gateway opens (one per storage
 * policy), started when the config's `heal.enabled` says so, stopped before the volumes close.
 *
 * With --workers N only one worker heals (GlusterFS runs one shd per node, not one per client): the
 * one in timestamp lane 0, a lane its replacement takes over when it dies (serve.ts). Several healers
 * would still be safe (every heal is newest-wins), only wasteful.
 */
import type { Config } from '../config.js';
import { healConfigOf, healerOptions } from '../config-heal.js';
import { Healer, type HealLog } from '../storage/heal.js';
import type { StoreMetricsSink } from '../storage/metrics-sink.js';
import type { Volume } from '../storage/volume.js';

/** Whether this process runs the healers: a lone server always, a cluster worker in lane 0. */
export function runsHealer(isWorker: boolean, lane: number): boolean {
  return !isWorker || lane === 0;
}

/** How long a shutdown waits for the healers to stop. */
const STOP_WAIT_MS = 5000;

export class GatewayHealers {
  private readonly healers: Healer[] = [];

  constructor(private readonly config: Config, private readonly log: HealLog, private readonly metrics: StoreMetricsSink | undefined,
              private readonly active: boolean) {}

  /** Start a healer on `volume` (when enabled here); resolves with the volume, for use in a `.then`. */
  attach(volume: Volume): Volume {
    const heal = healConfigOf(this.config);
    if (!this.active || !heal.enabled) return volume;
    this.healers.push(new Healer(volume, { ...healerOptions(heal), log: this.log, ...(this.metrics ? { metrics: this.metrics } : {}) }).start());
    return volume;
  }

  get running(): readonly Healer[] { return this.healers; }

  /** Stop every healer: a crawl stops at once, a pass after the objects it is healing (marks left stay for the next start). */
  async stop(): Promise<void> {
    const stopped = Promise.allSettled(this.healers.splice(0).map((h) => h.stop()));
    // A heal stuck on a brick that does not answer must not hold the shutdown for a whole call timeout:
    // whatever it had not finished is still marked, and the next start picks it up.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([stopped, new Promise<void>((res) => { timer = setTimeout(res, STOP_WAIT_MS); })]);
    clearTimeout(timer);
  }
}
