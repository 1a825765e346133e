/**
 * Account and container info for the request being served, fetched from the store at most once per
 * request (Swift's env-cached get_account_info / get_container_info). Controllers use it for
 * existence, ACLs and policy; middlewares use it for their container settings (tempurl keys,
 * versions location, quotas, CORS).
 */
import type { AccountInfo, AccountSettings, ContainerInfo, ContainerSettings, ObjectStore } from '../storage/store.js';
import { AccountNotFound, ContainerNotFound } from '../storage/errors.js';
import type { SwiftRequest } from './http.js';

/** A memoized container lookup; `counts` says whether `info` carries objectCount/bytesUsed. */
interface ContainerEntry { info: ContainerSettings | ContainerInfo | undefined; counts: boolean }

/**
 * The container's info without its counts (store.getContainerSettings: no counter reads), or with
 * them when `counts` is set (container GET/HEAD, quotas, rate limits by size). A counts-less entry
 * memoized earlier in the request is never served to a caller that needs counts: it is fetched again.
 * A missing container is memoized once for both forms.
 */
export async function getContainerInfo(req: SwiftRequest, store: ObjectStore, account: string,
                                       container: string): Promise<ContainerSettings | undefined>;
export async function getContainerInfo(req: SwiftRequest, store: ObjectStore, account: string,
                                       container: string, opts: { counts: true }): Promise<ContainerInfo | undefined>;
export async function getContainerInfo(req: SwiftRequest, store: ObjectStore, account: string,
                                       container: string, opts?: { counts: true }): Promise<ContainerSettings | undefined> {
  const key = `c\0${account}\0${container}`;
  const counts = opts?.counts === true;
  const cached = req.ctx.infoCache.get(key) as ContainerEntry | undefined;
  if (cached && (cached.counts || !counts || cached.info === undefined)) return cached.info;
  let info: ContainerSettings | undefined;
  try {
    const ref = { account, container };
    info = counts ? await store.getContainer(ref) : await store.getContainerSettings(ref);
  } catch (err) {
    if (!(err instanceof ContainerNotFound) && !(err instanceof AccountNotFound)) throw err;
  }
  req.ctx.infoCache.set(key, { info, counts } satisfies ContainerEntry);
  return info;
}

/** A memoized account lookup; `counts` says whether `info` carries the counts. */
interface AccountEntry { info: AccountSettings | AccountInfo | undefined; counts: boolean }

/**
 * The account's info without its counts (store.getAccountSettings: counting reads every set's usage
 * and walks the account's containers), or with them when `counts` is set (account GET/HEAD, account
 * quotas). Memoized as getContainerInfo is.
 */
export async function getAccountInfo(req: SwiftRequest, store: ObjectStore, account: string): Promise<AccountSettings | undefined>;
export async function getAccountInfo(req: SwiftRequest, store: ObjectStore, account: string,
                                     opts: { counts: true }): Promise<AccountInfo | undefined>;
export async function getAccountInfo(req: SwiftRequest, store: ObjectStore, account: string,
                                     opts?: { counts: true }): Promise<AccountSettings | undefined> {
  const key = `a\0${account}`;
  const counts = opts?.counts === true;
  const cached = req.ctx.infoCache.get(key) as AccountEntry | undefined;
  if (cached && (cached.counts || !counts || cached.info === undefined)) return cached.info;
  let info: AccountSettings | undefined;
  try {
    info = counts ? await store.getAccount({ account }) : await store.getAccountSettings({ account });
  } catch (err) {
    if (!(err instanceof AccountNotFound)) throw err;
  }
  req.ctx.infoCache.set(key, { info, counts } satisfies AccountEntry);
  return info;
}

/** Forget cached info after this request changed it (so later subrequests see the change). */
export function invalidateInfo(req: SwiftRequest, account: string, container?: string): void {
  req.ctx.infoCache.delete(container === undefined ? `a\0${account}` : `c\0${account}\0${container}`);
  if (container !== undefined) req.ctx.infoCache.delete(`a\0${account}`);
}
