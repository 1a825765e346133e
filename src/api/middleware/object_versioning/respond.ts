/**
 * Small shared pieces of object versioning: answering with a response from deep inside a handler
 * (Swift raises an HTTPException there), the subrequest error rule, and the write-access check.
 */
import { authorize } from '../../authorize.js';
import { httpError, SwiftHttpError } from '../../errors.js';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import { getContainerInfo } from '../../info-cache.js';
import type { AppDeps } from '../../pipeline.js';
import { drain } from '../common/call-below.js';
import { isClientError, isSuccess } from '../common/body.js';

/** Thrown to answer with an existing response (a denial, or an error from below passed through). */
export class RespondWith extends Error {
  constructor(readonly response: SwiftResponse) {
    super(`respond ${response.status}`);
    this.name = 'RespondWith';
  }
}

/** The 500 Swift answers when the hidden versions container is gone. */
export function versionsContainerMissing(): SwiftHttpError {
  return httpError(500, 'The versions container does not exist. You may want to re-enable object versioning.',
                   { 'content-type': 'text/plain' });
}

/**
 * Swift's ObjectContext._check_response_error: success passes; a 404 below is 412 (missing
 * container); another client error is passed through as it is; anything else is 503.
 */
export function checkResponse(res: SwiftResponse): void {
  if (isSuccess(res.status)) return;
  if (isClientError(res.status)) {
    if (res.status === 404) {
      drain(res);
      throw httpError(412);
    }
    throw new RespondWith(res);
  }
  drain(res);
  throw httpError(503);
}

/** The client must be able to write to the versioned container before anything is copied. */
export async function checkWriteAccess(req: SwiftRequest, deps: AppDeps, account: string, container: string,
                                       object: string): Promise<void> {
  const info = await getContainerInfo(req, deps.store, account, container);
  const acl = info?.metadata['x-container-write'];
  const denied = await authorize(req, { account, container, object, ...(acl ? { acl } : {}) });
  if (denied) throw new RespondWith(denied);
}
