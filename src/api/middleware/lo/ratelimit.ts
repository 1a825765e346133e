/**
 * Swift's RateLimitedIterator + ratelimit_sleep (swift/common/utils.py): after `limitAfter`
 * elements that match `predicate`, further matching elements are let through at most
 * `perSecond` per second (with Swift's 5-second burst buffer). A rate of 0 or less disables it.
 * SLO and DLO use it so that a manifest of many tiny segments cannot hammer the store.
 */
import { setTimeout as sleep } from 'node:timers/promises';

const RATE_BUFFER_MS = 5000;

export async function* rateLimited<T>(src: AsyncIterable<T>, perSecond: number, limitAfter: number,
                                      predicate: (item: T) => boolean = () => true): AsyncGenerator<T> {
  let after = limitAfter;
  let running = 0;
  for await (const item of src) {
    if (predicate(item)) {
      if (after > 0) {
        after -= 1;
      } else if (perSecond > 0) {
        const now = Date.now();
        const per = 1000 / perSecond;
        if (now - running > RATE_BUFFER_MS) {
          running = now;
        } else if (running - now > per) {
          await sleep(running - now);
        }
        running += per;
      }
    }
    yield item;
  }
}
