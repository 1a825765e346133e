/**
 * Bounded concurrency for subrequest fan-out (Swift's StreamingPile / GreenAsyncPile): SLO HEADs
 * every segment of a new manifest and deletes every segment of an old one, a few at a time.
 */

/**
 * Run `fn` on every item of `items` (pulled lazily, so an async generator may produce them as it
 * goes) with at most `limit` calls in flight. Resolves when all calls have settled; rejects with the
 * first error once the calls already running have settled (no new ones are started after it).
 */
export async function forEachBounded<T>(items: Iterable<T> | AsyncIterable<T>, limit: number,
                                        fn: (item: T) => Promise<void>): Promise<void> {
  const it = Symbol.asyncIterator in items
    ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
    : (items as Iterable<T>)[Symbol.iterator]();
  let failed: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (failed) return;
      let r: IteratorResult<T>;
      try {
        r = await it.next();
      } catch (err) {
        failed ??= { err };
        return;
      }
      if (r.done) return;
      try {
        await fn(r.value);
      } catch (err) {
        failed ??= { err };
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
  if (failed) throw failed.err;
}

/** `fn` over `items` with at most `limit` in flight; results in the order of `items`. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  await forEachBounded(items.map((item, i) => ({ item, i })), limit, async ({ item, i }) => { out[i] = await fn(item); });
  return out;
}
