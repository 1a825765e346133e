/**
 * DELETE ?multipart-manifest=delete (Swift's handle_multipart_delete, which reuses bulk delete's
 * handle_delete_iter): delete every segment of the manifest, descending into nested manifests, then
 * the manifests themselves (each after its own segments), a few at a time.
 *
 * The answer is always 200 and streamed: a keep-alive space every yield_frequency seconds (the XML
 * declaration first for XML), then the bulk-delete result body ("Number Deleted", "Number Not Found",
 * "Response Status", "Response Body", "Errors") in the format the Accept header picks. A manifest
 * that cannot be read (missing, not an SLO, unreadable) is listed in Errors and not deleted.
 */
import { Readable } from 'node:stream';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import { subrequest } from '../../http.js';
import { SwiftHttpError, httpError } from '../../errors.js';
import { discardBody, isSuccess } from '../common/body.js';
import { pyQuote } from '../common/quote.js';
import { IGNORE_RANGE, inheritHeaders, queryParam, readBody } from '../lo/subrequest.js';
import { statusLine } from '../bulk/response.js';
import { isTrue } from '../common/options.js';
import { callBelow } from '../common/call-below.js';
import { forEachBounded } from '../lo/pool.js';
import { getResponseBody, outContentType, type ErrorList } from './bulk-body.js';
import type { SloEnv } from './env.js';

/** Bulk's max_failed_deletes: stop after this many failures. */
const MAX_FAILED_DELETES = 1000;
const MAX_STORED_MANIFEST = 32 * 1024 * 1024;

interface DeleteItem {
  name: string;
  subSlo: boolean;
  /** The version to delete (only the manifest named by the request, with ?version-id=). */
  versionId?: string;
  /** Why this manifest could not be read (it is then reported, not deleted). */
  error?: { code: number; message: string };
}

export function handleMultipartDelete(req: SwiftRequest, env: SloEnv, version: string, account: string,
                                      container: string, object: string): SwiftResponse {
  const format = outContentType(req.headers['accept'], undefined);
  const headers: Record<string, string> = { 'content-type': format ?? 'text/html; charset=UTF-8' };
  return { status: 200, headers, body: Readable.from(deleteBody(req, env, format, version, account, container, object), { objectMode: false }) };
}

async function* deleteBody(req: SwiftRequest, env: SloEnv, format: string | undefined, version: string,
                           account: string, container: string, object: string): AsyncGenerator<Buffer> {
  let toYield = format?.endsWith('/xml') ? '<?xml version="1.0" encoding="UTF-8"?>\n' : ' ';
  let separator = '';
  const result: Record<string, string | number> = {
    'Response Status': statusLine(200), 'Response Body': '', 'Number Deleted': 0, 'Number Not Found': 0,
  };
  const failed: ErrorList = [];
  let settled = false;
  const work = run(req, env, format, version, account, container, object, result, failed)
    .finally(() => { settled = true; });
  while (!settled) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([work, new Promise((r) => { timer = setTimeout(r, env.opts.yield_frequency * 1000); })]);
    clearTimeout(timer);
    if (!settled) {
      yield Buffer.from(toYield, 'utf8');
      toYield = ' ';
      separator = '\r\n\r\n';
    }
  }
  await work;
  yield Buffer.from(separator + getResponseBody(format, result, failed, 'delete'), 'utf8');
}

/** Do the deletes, filling `result` and `failed`; never rejects (problems end up in the result). */
async function run(req: SwiftRequest, env: SloEnv, format: string | undefined, version: string, account: string,
                   container: string, object: string, result: Record<string, string | number>, failed: ErrorList): Promise<void> {
  let failType = 400;
  try {
    if (!format) throw httpError(406, '');
    await forEachBounded(toDelete(req, env, version, account, container, object), env.opts.delete_concurrency, async (item) => {
      // Bulk delete's filter: objects only (a name without a '/' would be a container).
      if (!item.name.replace(/^\/+|\/+$/g, '').includes('/')) return;
      if (item.error) {
        if (item.error.code === 404) result['Number Not Found'] = Number(result['Number Not Found']) + 1;
        else failed.push([pyQuote(item.name), item.error.message]);
        return;
      }
      const res = await deleteOne(req, env, version, account, item.name, item.versionId);
      if (isSuccess(res.status)) result['Number Deleted'] = Number(result['Number Deleted']) + 1;
      else if (res.status === 404) result['Number Not Found'] = Number(result['Number Not Found']) + 1;
      else {
        if (res.status >= 500) failType = 502;
        failed.push([pyQuote(item.name), statusLine(res.status)]);
      }
      if (failed.length >= MAX_FAILED_DELETES) throw httpError(400, 'Max delete failures exceeded');
    });
    if (failed.length) {
      result['Response Status'] = statusLine(failType);
    } else if (!result['Number Deleted'] && !result['Number Not Found']) {
      result['Response Status'] = statusLine(400);
      result['Response Body'] = 'Invalid bulk delete.';
    }
  } catch (err) {
    if (err instanceof SwiftHttpError) {
      result['Response Status'] = statusLine(err.status);
      result['Response Body'] = err.body ?? '';
    } else {
      req.ctx.log.error({ err }, 'Error in bulk delete.');
      result['Response Status'] = statusLine(500);
    }
  }
}

async function deleteOne(req: SwiftRequest, env: SloEnv, version: string, account: string, name: string,
                         versionId: string | undefined): Promise<SwiftResponse> {
  const headers = inheritHeaders(req);
  const res = await callBelow(env.next, subrequest(req, {
    method: 'DELETE', path: `/${version}/${account}/${name.replace(/^\/+/, '')}`, headers, source: 'SLO',
    ...(versionId !== undefined ? { query: `version-id=${pyQuote(versionId)}` } : {}),
  }));
  discardBody(res.body);
  return res;
}

/**
 * Swift's get_segments_to_delete_iter: breadth-first over the manifest tree; every manifest comes
 * back (as a plain item) after the segments it lists.
 */
async function* toDelete(req: SwiftRequest, env: SloEnv, version: string, account: string, container: string,
                         object: string): AsyncGenerator<DeleteItem> {
  if (!req.pathIsUtf8) throw httpError(412, 'Invalid UTF8 or contains NULL');
  // ?version-id= names a version of the manifest itself (object versioning): that version is read
  // and deleted; the segments it lists are deleted as they are now.
  const versionId = queryParam(req, 'version-id');
  const queue: Array<DeleteItem & { data?: boolean }> = [
    { name: `/${container}/${object}`, subSlo: true, ...(versionId !== undefined ? { versionId } : {}) },
  ];
  while (queue.length) {
    // Bounded (not at max_manifest_segments, which an operator may since have lowered).
    if (queue.length > env.opts.max_manifest_segments * 10) throw httpError(400, 'Too many buffered slo segments to delete.');
    const item = queue.shift()!;
    if (item.data) continue;
    if (item.subSlo) {
      try {
        queue.push(...await manifestSegments(req, env, version, account, item.name));
      } catch (err) {
        if (!(err instanceof SwiftHttpError)) throw err;
        item.error = { code: err.status, message: err.body ?? '' };
      }
      // The manifest itself goes after its segments.
      queue.push({ ...item, subSlo: false });
    } else {
      yield item;
    }
  }
}

/** Swift's get_slo_segments: the entries of the manifest `name` ("/c/o"), or an HTTP error saying why not. */
async function manifestSegments(req: SwiftRequest, env: SloEnv, version: string, account: string,
                                name: string): Promise<Array<DeleteItem & { data?: boolean }>> {
  const path = `/${version}/${account}/${name.replace(/^\/+/, '')}`;
  // Swift reads every manifest of the tree with the request's version-id, if it has one.
  const versionId = queryParam(req, 'version-id');
  const query = versionId === undefined ? 'multipart-manifest=get' : `multipart-manifest=get&version-id=${pyQuote(versionId)}`;
  // Only the last byte of a non-manifest is worth reading; a manifest comes whole regardless.
  const get = async (ranged: boolean): Promise<SwiftResponse> => callBelow(env.next, subrequest(req, {
    method: 'GET', path, query, source: 'SLO',
    headers: inheritHeaders(req, ranged ? { range: 'bytes=-1', [IGNORE_RANGE]: 'x-static-large-object' } : {}),
  }));
  let res = await get(true);
  let body = isSuccess(res.status) ? await readBody(res, MAX_STORED_MANIFEST) : undefined;
  if (body !== undefined && isTrue(res.headers['x-static-large-object']) && body.length === 1) {
    // A backend that ignored X-Backend-Ignore-Range-If-Metadata-Present: read it whole.
    res = await get(false);
    body = isSuccess(res.status) ? await readBody(res, MAX_STORED_MANIFEST) : undefined;
  }
  if (body !== undefined) {
    if (!isTrue(res.headers['x-static-large-object'])) throw httpError(400, 'Not an SLO manifest');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw httpError(500, 'Unable to load SLO manifest');
    }
    if (!Array.isArray(parsed)) throw httpError(500, 'Unable to load SLO manifest');
    return parsed.map((e: Record<string, unknown>) => ({
      name: typeof e['name'] === 'string' ? e['name'] : '',
      subSlo: isTrue(String(e['sub_slo'] ?? '')),
      ...('data' in e ? { data: true } : {}),
    }));
  }
  discardBody(res.body);
  if (res.status === 404) throw httpError(404, 'SLO manifest not found');
  if (res.status === 401) throw httpError(401, '401 Unauthorized');
  throw httpError(500, 'Unable to load SLO manifest or segment.');
}
