/**
 * Account and container info for the request being served, fetched from the store at most once per
 * request (Swift's env-cached get_account_info / get_container_info). Controllers use it for
 * existence, ACLs and policy; middlewares use it for their container settings (tempurl keys,
 * versions location, quotas, CORS).
 */
import type { AccountInfo, AccountSettings, ContainerInfo, ContainerSettings, ObjectStore } from '../storage/store.js';
import { AccountNotFound, ContainerNotFound } from '../storage/errors.js';
import type { SwiftRequest } from './http.js';

/** A memoized lookup; `counts` says whether `info` carries the counts. */
interface Entry<T> { info: T | undefined; counts: boolean }

/**
 * The request's memo of one record: a counts-less entry is never served to a caller that needs
 * counts (it is fetched again, with them); a missing record is memoized once for both forms.
 */
async function memoized<T>(req: SwiftRequest, key: string, counts: boolean, fetch: () => Promise<T>,
                           missing: (err: unknown) => boolean): Promise<T | undefined> {
  const cached = req.ctx.infoCache.get(key) as Entry<T> | undefined;
  if (cached && (cached.counts || !counts || cached.info === undefined)) return cached.info;
  let info: T | undefined;
  try {
    info = await fetch();
  } catch (err) {
    if (!missing(err)) throw err;
  }
  req.ctx.infoCache.set(key, { info, counts } satisfies Entry<T>);
  return info;
}

/**
 * The container's info without its counts (store.getContainerSettings: no counter reads), or with
 * them when `counts` is set (container GET/HEAD, quotas, rate limits by size).
 */
export async function getContainerInfo(req: SwiftRequest, store: ObjectStore, account: string,
                                       container: string): Promise<ContainerSettings | undefined>;
export async function getContainerInfo(req: SwiftRequest, store: ObjectStore, account: string,
                                       container: string, opts: { counts: true }): Promise<ContainerInfo | undefined>;
export async function getContainerInfo(req: SwiftRequest, store: ObjectStore, account: string,
                                       container: string, opts?: { counts: true }): Promise<ContainerSettings | undefined> {
  const ref = { account, container };
  const counts = opts?.counts === true;
  return memoized<ContainerSettings>(req, `c\0${account}\0${container}`, counts,
    () => (counts ? store.getContainer(ref) : store.getContainerSettings(ref)),
    (err) => err instanceof ContainerNotFound || err instanceof AccountNotFound);
}

/**
 * The account's info without its counts (store.getAccountSettings: counting reads every set's usage
 * and walks the account's containers), or with them when `counts` is set (account GET/HEAD, account quotas).
 */
export async function getAccountInfo(req: SwiftRequest, store: ObjectStore, account: string): Promise<AccountSettings | undefined>;
export async function getAccountInfo(req: SwiftRequest, store: ObjectStore, account: string,
                                     opts: { counts: true }): Promise<AccountInfo | undefined>;
export async function getAccountInfo(req: SwiftRequest, store: ObjectStore, account: string,
                                     opts?: { counts: true }): Promise<AccountSettings | undefined> {
  const counts = opts?.counts === true;
  return memoized<AccountSettings>(req, `a\0${account}`, counts,
    () => (counts ? store.getAccount({ account }) : store.getAccountSettings({ account })),
    (err) => err instanceof AccountNotFound);
}

/** Forget cached info after this request changed it (so later subrequests see the change). */
export function invalidateInfo(req: SwiftRequest, account: string, container?: string): void {
  req.ctx.infoCache.delete(container === undefined ? `a\0${account}` : `c\0${account}\0${container}`);
  if (container !== undefined) req.ctx.infoCache.delete(`a\0${account}`);
}
