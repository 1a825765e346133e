/**
 * `PUT ?extract-archive=tar|tar.gz|tar.bz2`: stream a tar archive from the request body and PUT each
 * regular file as an object, creating containers on the way (Swift's Bulk.handle_extract_iter).
 * Member data is piped straight from the (decompressed) request stream into the PUT subrequest.
 */
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import bz2 from 'unbzip2-stream';
import { subrequest, type Handler, type SwiftRequest } from '../../http.js';
import { discardBody } from '../common/body.js';
import { pyQuote } from '../common/quote.js';
import { splitSwiftPath } from '../common/swift-path.js';
import { isValidUtf8Name } from '../../constraints.js';
import { BulkAbort, formatResult, statusLine, type ResultDict } from './response.js';
import { TarError, TarReader } from './tar.js';

export type Compression = '' | 'gz' | 'bz2';

export interface ExtractLimits {
  maxContainersPerExtraction: number;
  maxFailedExtractions: number;
  maxFileSize: number;
  maxPathLength: number;
}

/** pax keys that carry object metadata (GNU tar and libarchive xattrs, as Swift maps them). */
export function paxKeyToHeader(key: string): string | undefined {
  if (key === 'SCHILY.xattr.user.mime_type' || key === 'LIBARCHIVE.xattr.user.mime_type') return 'content-type';
  for (const p of ['SCHILY.xattr.user.meta.', 'LIBARCHIVE.xattr.user.meta.']) {
    if (key.startsWith(p)) return `x-object-meta-${key.slice(p.length).toLowerCase()}`;
  }
  return undefined;
}

function decompressed(body: Readable, compression: Compression): Readable {
  if (compression === '') return body;
  const inflater: NodeJS.ReadWriteStream = compression === 'gz' ? createGunzip() : bz2();
  // unbzip2-stream is an old-style `through` stream without read(): a PassThrough gives the tar
  // reader a real Readable. Errors (bad data, a client gone) are forwarded to that last stream.
  const out = new PassThrough();
  pipeline(body, inflater as unknown as NodeJS.WritableStream, out, () => undefined);
  return out;
}

function tarErrorMessage(err: unknown, compression: Compression): string | undefined {
  if (err instanceof TarError) return err.message;
  const code = (err as { code?: string }).code;
  if (compression === 'gz' && typeof code === 'string' && code.startsWith('Z_')) {
    return code === 'Z_DATA_ERROR' && /header/.test(String((err as Error).message)) ? 'not a gzip file' : 'invalid compressed data';
  }
  if (compression === 'bz2' && err instanceof Error && !(err as { code?: string }).code) return 'invalid compressed data';
  return undefined;
}

export async function runExtract(req: SwiftRequest, next: Handler, format: string | undefined,
                                 compression: Compression, limits: ExtractLimits): Promise<string> {
  const result: ResultDict = { 'Response Status': statusLine(201), 'Response Body': '', 'Number Files Created': 0 };
  const failed: Array<[string, string]> = [];
  let failedStatus = 400;
  const accessed = new Set<string>();
  try {
    if (!format) throw new BulkAbort(406);
    if (req.headers['content-length'] === undefined
        && (req.headers['transfer-encoding'] ?? '').toLowerCase() !== 'chunked') {
      throw new BulkAbort(411);
    }
    const sp = splitSwiftPath(req.path);
    if (!sp) throw new BulkAbort(404);
    let base = [sp.container, sp.object].filter((x) => x !== undefined).join('/');
    base = base.replace(/\/+$/, '');
    const token = req.headers['x-auth-token'];
    const auth: Record<string, string> = token !== undefined ? { 'x-auth-token': token } : {};
    // Headers of the archive request copied to every object (Swift's whitelist).
    const copied: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (k === 'x-delete-at' || k === 'x-delete-after' || (k.startsWith('x-object-meta-') && k.length > 14)) copied[k] = v;
    }

    const tar = new TarReader(decompressed(req.body, compression));
    let containersCreated = 0;
    for (;;) {
      const entry = await tar.next();
      if (!entry || failed.length >= limits.maxFailedExtractions) break;
      if (!entry.isFile) continue;
      let objPath = entry.name ?? entry.rawName;
      if (objPath.startsWith('./')) objPath = objPath.slice(2);
      objPath = objPath.replace(/^\/+/, '');
      if (base) objPath = `${base}/${objPath}`;
      if (!objPath.includes('/')) continue; // a file at the top level has no container
      const shown = pyQuote(objPath.slice(0, limits.maxPathLength));
      const container = objPath.slice(0, objPath.indexOf('/'));
      const destination = `/${sp.version}/${sp.account}/${objPath}`;
      if (entry.name === undefined || !isValidUtf8Name(destination)) {
        failed.push([shown, statusLine(412)]);
        continue;
      }
      if (entry.size > limits.maxFileSize) {
        failed.push([shown, statusLine(413)]);
        continue;
      }
      let containerFailure: [string, string] | undefined;
      if (!accessed.has(container)) {
        const contPath = `/${sp.version}/${sp.account}/${container}`;
        const created = await ensureContainer(req, next, contPath, auth);
        if (created === true) {
          containersCreated += 1;
          if (containersCreated > limits.maxContainersPerExtraction) {
            throw new BulkAbort(400, `More than ${limits.maxContainersPerExtraction} containers to create from tar.`);
          }
        } else if (typeof created === 'number') {
          // The object PUT may still succeed (e.g. through an ACL), so only report it if that fails too.
          containerFailure = [pyQuote(contPath.slice(0, limits.maxPathLength)), statusLine(created)];
          if (created === 401) throw new BulkAbort(401);
        }
      }
      const headers: Record<string, string> = { 'content-length': String(entry.size), ...auth, ...copied,
        'user-agent': `${req.headers['user-agent'] ?? ''} BulkExpand`.trim() };
      for (const [k, v] of Object.entries(entry.pax)) {
        const h = paxKeyToHeader(k);
        if (h) headers[h] = Buffer.from(v, 'utf8').toString('latin1');
      }
      const sub = subrequest(req, { method: 'PUT', path: destination, headers, body: entry.body!, source: 'EA' });
      const res = await next(sub);
      discardBody(res.body);
      accessed.add(container);
      if (res.status >= 200 && res.status < 300) {
        (result['Number Files Created'] as number)++;
      } else {
        if (containerFailure) failed.push(containerFailure);
        if (res.status === 401) {
          failed.push([shown, statusLine(401)]);
          throw new BulkAbort(401);
        }
        if (res.status >= 500) failedStatus = 502;
        failed.push([shown, statusLine(res.status)]);
      }
    }
    if (failed.length) result['Response Status'] = statusLine(failedStatus);
    else if (!result['Number Files Created']) {
      result['Response Status'] = statusLine(400);
      result['Response Body'] = 'Invalid Tar File: No Valid Files';
    }
  } catch (err) {
    const tarMessage = tarErrorMessage(err, compression);
    if (err instanceof BulkAbort) {
      result['Response Status'] = statusLine(err.status);
      result['Response Body'] = err.body;
    } else if (tarMessage !== undefined) {
      result['Response Status'] = statusLine(400);
      result['Response Body'] = `Invalid Tar File: ${tarMessage}`;
    } else {
      req.ctx.log.error({ err }, 'Error in extract archive.');
      result['Response Status'] = statusLine(500);
    }
  }
  return formatResult(format, result, failed, 'extract');
}

/** HEAD the container and PUT it when missing: true created, false existed, a status when both failed. */
async function ensureContainer(req: SwiftRequest, next: Handler, path: string,
                               auth: Record<string, string>): Promise<boolean | number> {
  const head = await next(subrequest(req, { method: 'HEAD', path, headers: { ...auth }, source: 'EA' }));
  discardBody(head.body);
  if (head.status >= 200 && head.status < 300) return false;
  let status = head.status;
  if (head.status === 404) {
    const put = await next(subrequest(req, { method: 'PUT', path, headers: { ...auth, 'content-length': '0' }, source: 'EA' }));
    discardBody(put.body);
    if (put.status >= 200 && put.status < 300) return true;
    status = put.status;
  }
  return status;
}
