/**
 * ratelimit: Swift's ratelimit middleware with in-process clocks instead of memcache (one gateway
 * process per volume; with --workers N each worker limits on its own, so the effective rate is up to
 * N times the configured one).
 *
 * Limited, in requests per second:
 * - container PUT/DELETE per account (account_ratelimit);
 * - object PUT/DELETE/POST/COPY per container, by container size (container_ratelimit_<size>: rate
 *   for containers of at least <size> objects, interpolated linearly between the given points);
 * - container GET (listings) per container (container_listing_ratelimit_<size>);
 * - writes per account from the account's X-Account-Sysmeta-Global-Write-Ratelimit.
 * A request over the rate sleeps until its turn; if that would be longer than
 * max_sleep_time_seconds it is refused with 498 "Slow down". Accounts in account_blacklist get 497
 * "Your account has been blacklisted"; account_whitelist is never limited.
 *
 * Pipeline position: before auth (Swift: ... tempurl, formpost, ratelimit, tempauth ...).
 * /info: ratelimit {account_ratelimit, max_sleep_time_seconds, container_ratelimits,
 * container_listing_ratelimits}.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MiddlewareFactory } from '../pipeline.js';
import { ConfigError } from '../pipeline.js';
import type { Handler, SwiftRequest } from '../http.js';
import { getAccountInfo, getContainerInfo } from '../info-cache.js';
import { listOption, numberOption } from './common/options.js';
import { splitSwiftPath, isApiVersion } from './common/swift-path.js';

/** Options: the fixed ones below plus any number of container_ratelimit_<N> / container_listing_ratelimit_<N>. */
export type RateLimitOptions = Record<string, unknown>;

const NAME = 'ratelimit';
const CLOCK_ACCURACY = 1000;
type Line = { size: number; rate: number; at: (size: number) => number };

/** Swift's interpret_conf_limits: sorted (size, rate) points joined by straight lines. */
export function interpretLimits(opts: RateLimitOptions, prefix: string): { lines: Line[]; points: Array<[number, number]> } {
  const points: Array<[number, number]> = [];
  for (const [k, v] of Object.entries(opts)) {
    if (!k.startsWith(prefix)) continue;
    const size = Number(k.slice(prefix.length));
    if (!Number.isInteger(size)) throw new ConfigError(`middleware.${NAME}.${k}`, 'expected <prefix><container size>');
    points.push([size, numberOption(NAME, k, v, { min: 0 })]);
  }
  points.sort((a, b) => a[0] - b[0]);
  const lines = points.map(([size, rate], i): Line => {
    const nextPoint = points[i + 1];
    if (!nextPoint) return { size, rate, at: () => rate };
    const slope = (nextPoint[1] - rate) / (nextPoint[0] - size);
    return { size, rate, at: (x) => (x - size) * slope + rate };
  });
  return { lines, points };
}

/** Swift's get_maxrate: the rate for a container of `size` objects, or undefined when unlimited. */
export function maxRate(lines: Line[], size: number): number | undefined {
  if (!size) return undefined;
  let last: Line | undefined;
  for (const l of lines) {
    if (size < l.size) break;
    last = l;
  }
  return last ? last.at(size) : undefined;
}

class MaxSleepTimeHit extends Error {}

/**
 * The memcache "running time" counters of Swift, in process: each key holds the time (ms) at which
 * its next request may run.
 */
export class RateClock {
  private readonly next = new Map<string, number>();
  constructor(private readonly maxSleepS: number, private readonly rateBufferS: number,
              private readonly now: () => number = Date.now) {}

  /** Seconds the caller must sleep for one request at `rate` per second; throws MaxSleepTimeHit. */
  sleepFor(key: string, rate: number): number {
    const nowM = Math.round(this.now() * (CLOCK_ACCURACY / 1000));
    const perRequestM = Math.round(CLOCK_ACCURACY / rate);
    let running = (this.next.get(key) ?? 0) + perRequestM;
    this.next.set(key, running);
    let needM = 0;
    if (nowM - running > this.rateBufferS * CLOCK_ACCURACY) {
      running = nowM + perRequestM;
      this.next.set(key, running);
    } else {
      needM = Math.max(running - nowM - perRequestM, 0);
    }
    if (this.maxSleepS * CLOCK_ACCURACY - needM <= CLOCK_ACCURACY * 0.01) {
      this.next.set(key, running - perRequestM);
      throw new MaxSleepTimeHit();
    }
    if (this.next.size > 100_000) this.prune(nowM);
    return needM / CLOCK_ACCURACY;
  }

  /** Forget keys whose time has long passed (memcache would have expired them). */
  private prune(nowM: number): void {
    for (const [k, t] of this.next) if (nowM - t > this.rateBufferS * CLOCK_ACCURACY) this.next.delete(k);
  }
}

export const ratelimit: MiddlewareFactory<RateLimitOptions> = {
  name: NAME,
  // Per-size container limits are open-ended keys; they are accepted by the prefix check in validate.
  defaults: new Proxy({
    account_ratelimit: 0, max_sleep_time_seconds: 60, log_sleep_time_seconds: 0, rate_buffer_seconds: 5,
    account_whitelist: '', account_blacklist: '',
  } as RateLimitOptions, {
    has(target, key) {
      return typeof key === 'string'
        && (key in target || key.startsWith('container_ratelimit_') || key.startsWith('container_listing_ratelimit_'));
    },
  }),
  validate(o) {
    for (const k of ['account_ratelimit', 'max_sleep_time_seconds', 'log_sleep_time_seconds', 'rate_buffer_seconds']) {
      numberOption(NAME, k, o[k], { min: 0 });
    }
    interpretLimits(o, 'container_ratelimit_');
    interpretLimits(o, 'container_listing_ratelimit_');
  },
  registerInfo(o, info) {
    info.register(NAME, {
      account_ratelimit: numberOption(NAME, 'account_ratelimit', o['account_ratelimit']),
      max_sleep_time_seconds: numberOption(NAME, 'max_sleep_time_seconds', o['max_sleep_time_seconds']),
      container_ratelimits: interpretLimits(o, 'container_ratelimit_').points,
      container_listing_ratelimits: interpretLimits(o, 'container_listing_ratelimit_').points,
    });
  },
  create(o, deps) {
    const accountRate = numberOption(NAME, 'account_ratelimit', o['account_ratelimit']);
    const clock = new RateClock(numberOption(NAME, 'max_sleep_time_seconds', o['max_sleep_time_seconds']),
      numberOption(NAME, 'rate_buffer_seconds', o['rate_buffer_seconds']));
    const logSleep = numberOption(NAME, 'log_sleep_time_seconds', o['log_sleep_time_seconds']);
    const containerLines = interpretLimits(o, 'container_ratelimit_').lines;
    const listingLines = interpretLimits(o, 'container_listing_ratelimit_').lines;
    const whitelist = new Set(listOption(NAME, 'account_whitelist', o['account_whitelist']));
    const blacklist = new Set(listOption(NAME, 'account_blacklist', o['account_blacklist']));
    const WRITES = ['PUT', 'DELETE', 'POST', 'COPY'];

    async function keys(req: SwiftRequest, account: string, container?: string, obj?: string): Promise<Array<[string, number]>> {
      const out: Array<[string, number]> = [];
      if (accountRate && container && !obj && (req.method === 'PUT' || req.method === 'DELETE')) {
        out.push([`ratelimit/${account}`, accountRate]);
      }
      if (container && obj && WRITES.includes(req.method) && containerLines.length) {
        const info = await getContainerInfo(req, deps.store, account, container, { counts: true });
        const rate = maxRate(containerLines, info?.objectCount ?? 0);
        if (rate) out.push([`ratelimit/${account}/${container}`, rate]);
      }
      if (container && !obj && req.method === 'GET' && listingLines.length) {
        const info = await getContainerInfo(req, deps.store, account, container, { counts: true });
        const rate = maxRate(listingLines, info?.objectCount ?? 0);
        if (rate) out.push([`ratelimit_listing/${account}/${container}`, rate]);
      }
      return out;
    }

    return (next: Handler): Handler => async (req) => {
      const sp = splitSwiftPath(req.path);
      if (!sp || !isApiVersion(sp.version)) return next(req);
      const { account, container, object } = sp;
      if (blacklist.has(account)) {
        const body = 'Your account has been blacklisted';
        return { status: 497, headers: { 'content-type': 'text/html; charset=UTF-8', 'content-length': String(body.length) }, body };
      }
      if (whitelist.has(account)) return next(req);
      const limits = await keys(req, account, container, object);
      if (WRITES.includes(req.method)) {
        const acct = await getAccountInfo(req, deps.store, account);
        const global = acct?.metadata['x-account-sysmeta-global-write-ratelimit'];
        if (global === 'WHITELIST') return next(req);
        if (global === 'BLACKLIST') {
          const body = 'Your account has been blacklisted';
          return { status: 497, headers: { 'content-type': 'text/html; charset=UTF-8', 'content-length': String(body.length) }, body };
        }
        const g = global !== undefined ? Number(global) : NaN;
        if (g > 0) limits.push([`ratelimit/global-write/${account}`, g]);
      }
      for (const [key, rate] of limits) {
        let wait: number;
        try {
          wait = clock.sleepFor(key, rate);
        } catch (err) {
          if (!(err instanceof MaxSleepTimeHit)) throw err;
          req.ctx.log.error({ key, rate }, 'Returning 498 for rate limit');
          const body = 'Slow down';
          return { status: 498, headers: { 'content-type': 'text/html; charset=UTF-8', 'content-length': String(body.length) }, body };
        }
        if (logSleep && wait > logSleep) req.ctx.log.info({ key, wait }, 'Ratelimit sleep log');
        if (wait > 0) await sleep(wait * 1000);
      }
      return next(req);
    };
  },
};
