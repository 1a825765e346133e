/**
 * `?bulk-delete`: delete a newline-separated list of (percent-encoded) /container/object and
 * /container names, objects first, then containers, a few at a time, each as a DELETE subrequest
 * carrying the caller's token (Swift's Bulk.handle_delete_iter).
 */
import { subrequest, type Handler, type SwiftRequest } from '../../http.js';
import { discardBody } from '../common/body.js';
import { pyQuote, unquoteBytes } from '../common/quote.js';
import { splitSwiftPath } from '../common/swift-path.js';
import { BulkAbort, formatResult, statusLine, type ResultDict } from './response.js';

export interface DeleteLimits {
  maxDeletesPerRequest: number;
  maxFailedDeletes: number;
  deleteConcurrency: number;
  /** Longest accepted name: max object name + max container name + 2. */
  maxPathLength: number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Percent-decode a name as Swift does; undefined when the bytes are not valid UTF-8 (or contain NUL). */
export function unquoteName(raw: Buffer): string | undefined {
  const bytes = unquoteBytes(raw.toString('latin1').trim(), true);
  try {
    const s = strictUtf8.decode(bytes);
    return s.includes('\0') ? undefined : s;
  } catch {
    return undefined;
  }
}

interface Name { name: string | undefined; raw: string }

/** Read the list from the body: capped by count and by line length (Swift's get_objs_to_delete). */
async function readNames(req: SwiftRequest, limits: DeleteLimits): Promise<Name[]> {
  if (req.headers['content-length'] === undefined
      && (req.headers['transfer-encoding'] ?? '').toLowerCase() !== 'chunked') {
    throw new BulkAbort(411);
  }
  const names: Name[] = [];
  let line: Buffer = Buffer.alloc(0);
  const push = (raw: Buffer): void => {
    const name = unquoteName(raw);
    names.push({ name, raw: raw.toString('latin1').trim() });
    if (names.length > limits.maxDeletesPerRequest) {
      throw new BulkAbort(413, `Maximum Bulk Deletes: ${limits.maxDeletesPerRequest} per request`);
    }
  };
  for await (const chunk of req.body) {
    line = line.length ? Buffer.concat([line, chunk as Buffer]) : (chunk as Buffer);
    let nl: number;
    while ((nl = line.indexOf(0x0a)) >= 0) {
      push(line.subarray(0, nl));
      line = line.subarray(nl + 1);
    }
    if (line.length > limits.maxPathLength * 2) throw new BulkAbort(400, 'Invalid File Name');
  }
  if (line.toString('latin1').trim()) push(line);
  return names;
}

/** Run the bulk delete; resolves with the formatted result document. */
export async function runBulkDelete(req: SwiftRequest, next: Handler, format: string | undefined,
                                    limits: DeleteLimits): Promise<string> {
  const result: ResultDict = {
    'Response Status': statusLine(200), 'Response Body': '', 'Number Deleted': 0, 'Number Not Found': 0,
  };
  const failed: Array<[string, string]> = [];
  let failedStatus = 400;
  try {
    if (!format) throw new BulkAbort(406);
    const sp = splitSwiftPath(req.path);
    if (!sp) throw new BulkAbort(404);
    const incoming = req.headers['content-type'];
    if (incoming && !incoming.startsWith('text/plain')) throw new BulkAbort(406);
    const names = await readNames(req, limits);

    const accountPath = `/${sp.version}/${sp.account}/`;
    const token = req.headers['x-auth-token'];
    const todo: Array<{ name: string; path: string }> = [];
    for (const isObject of [true, false]) {
      for (const n of names) {
        if (n.name === undefined) {
          if (n.raw && isObject === n.raw.replace(/^\/+|\/+$/g, '').includes('/')) {
            failed.push([pyQuote(n.raw), statusLine(412)]);
          }
          continue;
        }
        if (!n.name) continue;
        if (n.name.replace(/^\/+|\/+$/g, '').includes('/') !== isObject) continue;
        todo.push({ name: n.name, path: accountPath + n.name.replace(/^\/+/, '') });
      }
    }

    const deleteOne = async (item: { name: string; path: string }): Promise<void> => {
      const sub = subrequest(req, {
        method: 'DELETE', path: item.path, source: 'BD',
        headers: { 'content-length': '0', ...(token !== undefined ? { 'x-auth-token': token } : {}),
                   'user-agent': `${req.headers['user-agent'] ?? ''} BulkDelete`.trim() },
      });
      const res = await next(sub);
      discardBody(res.body);
      if (res.status >= 200 && res.status < 300) (result['Number Deleted'] as number)++;
      else if (res.status === 404) (result['Number Not Found'] as number)++;
      else if (res.status === 401) failed.push([pyQuote(item.name), statusLine(401)]);
      else {
        if (res.status >= 500) failedStatus = 502;
        failed.push([pyQuote(item.name), statusLine(res.status)]);
      }
    };

    // Objects must all be gone before their containers are tried: run the two groups one after another.
    const objects = todo.filter((t) => t.name.replace(/^\/+|\/+$/g, '').includes('/'));
    const containers = todo.filter((t) => !t.name.replace(/^\/+|\/+$/g, '').includes('/'));
    for (const group of [objects, containers]) {
      let i = 0;
      let tooMany = false;
      const worker = async (): Promise<void> => {
        while (i < group.length && !tooMany) {
          const item = group[i++]!;
          await deleteOne(item);
          if (failed.length >= limits.maxFailedDeletes) tooMany = true;
        }
      };
      await Promise.all(Array.from({ length: Math.min(limits.deleteConcurrency, group.length) }, worker));
      if (tooMany) throw new BulkAbort(400, 'Max delete failures exceeded');
    }

    if (failed.length) result['Response Status'] = statusLine(failedStatus);
    else if (!(result['Number Deleted'] || result['Number Not Found'])) {
      result['Response Status'] = statusLine(400);
      result['Response Body'] = 'Invalid bulk delete.';
    }
  } catch (err) {
    if (err instanceof BulkAbort) {
      result['Response Status'] = statusLine(err.status);
      result['Response Body'] = err.body;
    } else {
      req.ctx.log.error({ err }, 'Error in bulk delete.');
      result['Response Status'] = statusLine(500);
    }
  }
  return formatResult(format, result, failed, 'delete');
}
