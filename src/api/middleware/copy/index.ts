/**
 * copy: server-side copy (Swift 2.30's copy middleware).
 *
 *   PUT  /v1/a/c/o  X-Copy-From: /c2/o2 [X-Copy-From-Account: a2]      (put.ts)
 *   COPY /v1/a/c/o  Destination: /c2/o2 [Destination-Account: a2]      rewritten into the PUT above
 *   OPTIONS on an object: COPY is added to Allow / Access-Control-Allow-Methods
 *
 * The source is read with a GET subrequest below copy (so a large object is copied assembled, unless
 * ?multipart-manifest=get asks for the manifest itself), the destination written with a PUT below
 * copy. A plain source object is not streamed at all: the PUT carries X-Backend-Copy-From and the
 * object controller asks the store for a server-side copy (a hard link within one brick).
 *
 * Pipeline position: a required filter, inserted right after tempauth when missing; it must sit
 * above slo, dlo, versioned_writes and symlink (Swift: ... tempauth staticweb copy
 * container-quotas account-quotas slo dlo versioned_writes symlink).
 */
import type { MiddlewareFactory } from '../../pipeline.js';
import type { Handler, SwiftRequest, SwiftResponse } from '../../http.js';
import { httpError } from '../../errors.js';
import { isSuccess } from '../common/body.js';
import { pyQuote } from '../common/quote.js';
import { splitSwiftPath } from '../common/swift-path.js';
import { unquoteHeader } from '../lo/subrequest.js';
import { retarget, withHeaders } from '../common/call-below.js';
import { checkAccountFormat, checkPathHeader, handleCopyPut } from './put.js';

const NAME = 'copy';

export const copy: MiddlewareFactory<Record<string, never>> = {
  name: NAME,
  defaults: {},
  requiredAfter: 'tempauth',
  create(_opts, deps) {
    const maxFileSize = deps.constraints.max_file_size;
    return (next: Handler): Handler => async (req) => {
      const p = splitSwiftPath(req.path);
      if (!p || !p.container || !p.object) return next(req);
      if (req.method === 'PUT' && req.headers['x-copy-from']) return handleCopyPut(req, next, maxFileSize);
      if (req.method === 'COPY') return handleCopy(req, next, maxFileSize, p.version, p.account, p.container, p.object);
      if (req.method === 'OPTIONS') return handleOptions(req, next);
      return next(req);
    };
  },
};

/** COPY becomes a PUT of the destination with X-Copy-From naming the source (Swift's handle_COPY). */
async function handleCopy(req: SwiftRequest, next: Handler, maxFileSize: number, version: string, account: string,
                          container: string, object: string): Promise<SwiftResponse> {
  if (!req.headers['destination']) throw httpError(412, 'Destination header required');
  const changes: Record<string, string | undefined> = { destination: undefined, 'destination-account': undefined };
  let destAccount = account;
  if ('destination-account' in req.headers) {
    destAccount = checkAccountFormat(unquoteHeader(req.headers['destination-account']!));
    changes['x-copy-from-account'] = pyQuote(account);
  }
  const [destContainer, destObject] = checkPathHeader(req.headers['destination']!, 'Destination');
  changes['content-length'] = '0';
  changes['x-copy-from'] = pyQuote(`/${container}/${object}`);
  const put = retarget(withHeaders(req, changes), { method: 'PUT', path: `/${version}/${destAccount}/${destContainer}/${destObject}` });
  return handleCopyPut(put, next, maxFileSize);
}

/** OPTIONS: the object allows COPY too. */
async function handleOptions(req: SwiftRequest, next: Handler): Promise<SwiftResponse> {
  const res = await next(req);
  if (!isSuccess(res.status)) return res;
  const headers = { ...res.headers };
  for (const h of ['allow', 'access-control-allow-methods']) {
    const v = headers[h];
    if (v !== undefined && !v.includes('COPY')) headers[h] = `${v}, COPY`;
  }
  return { ...res, headers };
}
