/**
 * PUT ?multipart-manifest=put: create a static large object (Swift's handle_multipart_put).
 *
 * The manifest (at most max_manifest_size bytes, the only body SLO buffers) is validated (parse.ts),
 * every distinct segment is HEADed through the SLO layer itself (so a sub-SLO answers with its own
 * size and etag) a few at a time, and each entry is checked against its HEAD: existence, size, etag,
 * range satisfiability, at least one byte (except the last). Then the stored manifest is PUT below
 * with:
 *   X-Static-Large-Object: True, X-Object-Sysmeta-Slo-Etag / -Slo-Size, Etag = MD5 of the manifest
 *   body, and the container-listing overrides: etag "<manifest md5>; slo_etag=<slo etag>" (Swift's)
 *   and size = the large object's size (Cairn's form of Swift's "swift_bytes" Content-Type param).
 * On success the client sees Etag = the quoted SLO etag.
 *
 * With ?heartbeat=on the answer is 202 at once, a space every yield_frequency seconds while working,
 * then "\r\n\r\n" and the real outcome in the body (text, JSON or XML by Accept), as Swift does.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import { subrequest } from '../../http.js';
import { REASONS, SwiftHttpError, errorResponse, httpError } from '../../errors.js';
import { contentLength } from '../../constraints.js';
import { pyDumps } from '../../pyjson.js';
import { rangesForLength } from '../../controllers/object/ranges.js';
import { parseHttpDate } from '../../controllers/object/conditional.js';
import { isSuccess } from '../common/body.js';
import { pyQuote } from '../common/quote.js';
import { inheritHeaders, queryParam, responseLength, readBody } from '../lo/subrequest.js';
import { statusLine } from '../bulk/response.js';
import { normalizeEtag } from '../../controllers/object/conditional.js';
import { isTrue } from '../common/options.js';
import { callBelow } from '../common/call-below.js';
import { mapBounded } from '../lo/pool.js';
import { parseManifest, type ManifestEntry, type PathEntry } from './parse.js';
import { OVERRIDE_ETAG, OVERRIDE_SIZE, SYSMETA_SLO_ETAG, SYSMETA_SLO_SIZE, sloEtag, type StoredSegment } from './manifest.js';
import { getResponseBody, outContentType, type ErrorList } from './bulk-body.js';
import type { SloEnv } from './env.js';

/** What validating and storing a manifest came to. */
type Outcome =
  | { kind: 'problems'; problems: ErrorList }
  | { kind: 'etag-mismatch' }
  | { kind: 'stored'; res: SwiftResponse; sloEtag: string };

export async function handleManifestPut(req: SwiftRequest, env: SloEnv, version: string, account: string): Promise<SwiftResponse> {
  if (req.headers['x-copy-from']) throw httpError(405, 'Multipart Manifest PUTs cannot be COPY requests');
  const max = env.opts.max_manifest_size;
  const length = contentLength(req);
  if (length === undefined) {
    if ((req.headers['transfer-encoding'] ?? '').toLowerCase() !== 'chunked') throw httpError(411);
  } else if (length > max) {
    throw httpError(413, `Manifest File > ${max} bytes`);
  }
  const entries = parseManifest(await readUpTo(req.body, max), req.path, version, account);
  const objectCount = entries.filter((e) => e.kind === 'path').length;
  if (objectCount > env.opts.max_manifest_segments) {
    throw httpError(413, `Number of object-backed segments must be <= ${env.opts.max_manifest_segments}`);
  }
  const format = outContentType(req.headers['accept'], 'text/plain') ?? 'text/plain';

  if (!isTrue(queryParam(req, 'heartbeat'))) {
    const outcome = await validateAndStore(req, env, version, account, entries);
    if (outcome.kind === 'problems') {
      const body = getResponseBody(format, {}, outcome.problems, 'upload');
      return { status: 400, headers: { 'content-type': format, 'content-length': String(Buffer.byteLength(body)) }, body };
    }
    if (outcome.kind === 'etag-mismatch') return errorResponse(422);
    return outcome.res;
  }
  return { status: 202, headers: { 'content-type': format }, body: heartbeatBody(req, env, format, () =>
    validateAndStore(req, env, version, account, entries)) };
}

/** HEAD the segments, check the entries, store the manifest. */
async function validateAndStore(req: SwiftRequest, env: SloEnv, version: string, account: string,
                                entries: ManifestEntry[]): Promise<Outcome> {
  const problems: ErrorList = [];
  const stored: Array<StoredSegment | undefined> = entries.map((e) => (e.kind === 'data' ? { data: e.data } : undefined));
  let total = entries.reduce((n, e) => n + (e.kind === 'data' ? e.bytes.length : 0), 0);

  const byPath = new Map<string, number[]>();
  entries.forEach((e, i) => {
    if (e.kind === 'path') byPath.set(e.path, [...(byPath.get(e.path) ?? []), i]);
  });
  const paths = [...byPath.keys()];
  const heads = await mapBounded(paths, env.opts.concurrency, (p) => headSegment(req, env, version, account, p));
  paths.forEach((p, k) => {
    for (const i of byPath.get(p)!) {
      const { length, seg } = checkEntry(entries[i] as PathEntry, heads[k]!, i === entries.length - 1, problems);
      stored[i] = seg;
      total += length;
    }
  });
  if (problems.length) return { kind: 'problems', problems };

  const segments = stored as StoredSegment[];
  const etag = sloEtag(segments);
  const clientEtag = normalizeEtag(req.headers['etag']);
  if (clientEtag && clientEtag !== etag) return { kind: 'etag-mismatch' };

  const json = Buffer.from(pyDumps(segments), 'utf8');
  const manifestMd5 = createHash('md5').update(json).digest('hex');
  const headers: Record<string, string> = { ...req.headers };
  delete headers['transfer-encoding'];
  headers['content-length'] = String(json.length);
  headers[SYSMETA_SLO_ETAG] = etag;
  headers[SYSMETA_SLO_SIZE] = String(total);
  headers['x-static-large-object'] = 'True';
  headers['etag'] = manifestMd5;
  // Listings show both etags; a middleware to our left may already have set the base value.
  const prior = headers[OVERRIDE_ETAG] ?? '';
  const semi = prior.indexOf(';');
  const [val, rest] = semi < 0 ? [prior, ''] : [prior.slice(0, semi), prior.slice(semi)];
  headers[OVERRIDE_ETAG] = `${(val || manifestMd5) + rest}; slo_etag=${etag}`;
  headers[OVERRIDE_SIZE] = String(total);

  const res = await callBelow(env.next, { ...req, headers, body: Readable.from([json]) });
  if (isSuccess(res.status)) res.headers['etag'] = `"${etag}"`;
  return { kind: 'stored', res, sloEtag: etag };
}

/** HEAD one segment through SLO itself, so a nested SLO reports its large-object size and etag. */
async function headSegment(req: SwiftRequest, env: SloEnv, version: string, account: string, path: string): Promise<SwiftResponse> {
  const headers = inheritHeaders(req);
  const sub = subrequest(req, {
    method: 'HEAD', path: `/${version}/${account}/${path.replace(/^\/+/, '')}`, headers, source: 'SLO',
  });
  const res = await callBelow(env.self, sub);
  if (res.body instanceof Readable) res.body.destroy();
  return res;
}

/** Swift's validate_seg_dict: problems are appended; returns the entry to store and its length. */
function checkEntry(entry: PathEntry, head: SwiftResponse, allowEmpty: boolean,
                    problems: ErrorList): { length: number; seg: StoredSegment | undefined } {
  const name = pyQuote(entry.path);
  if (!isSuccess(head.status)) {
    problems.push([name, statusLine(head.status)]);
    return { length: 0, seg: undefined };
  }
  const size = responseLength(head) ?? 0;
  let length = size;
  let range: string | undefined;
  if (entry.range) {
    const ranges = rangesForLength([entry.range], size);
    if (ranges.length === 0) {
      problems.push([name, 'Unsatisfiable Range']);
    } else if (ranges[0]!.start !== 0 || ranges[0]!.stop !== size) {
      range = `${ranges[0]!.start}-${ranges[0]!.stop - 1}`;
      length = ranges[0]!.stop - ranges[0]!.start;
    }
  }
  if (length < 1 && !allowEmpty) problems.push([name, 'Too small; each segment must be at least 1 byte.']);
  if (entry.sizeBytes !== undefined && entry.sizeBytes !== size) problems.push([name, 'Size Mismatch']);
  const etag = normalizeEtag(head.headers['etag']);
  if (entry.etag !== undefined && entry.etag !== etag) problems.push([name, 'Etag Mismatch']);

  const seg: StoredSegment = {
    name: `/${entry.path.replace(/^\/+/, '')}`,
    bytes: size,
    ...(etag !== undefined ? { hash: etag } : {}),
    content_type: (head.headers['content-type'] ?? '').split(';')[0]!,
    last_modified: listingTime(head.headers['last-modified']),
  };
  if (range !== undefined) seg.range = range;
  if (isTrue(head.headers['x-static-large-object'])) seg.sub_slo = true;
  return { length, seg };
}

/** Last-Modified as the manifest records it: "%Y-%m-%dT%H:%M:%S.%f" (UTC). */
function listingTime(lastModified: string | undefined): string {
  const secs = parseHttpDate(lastModified);
  const d = secs === undefined ? new Date() : new Date(secs * 1000);
  const micros = secs === undefined ? String(d.getUTCMilliseconds() * 1000).padStart(6, '0') : '000000';
  return `${d.toISOString().slice(0, 19)}.${micros}`;
}

/**
 * Read a manifest body: at most `max` bytes (Swift reads that much and ignores the rest, which the
 * server drains after answering).
 */
function readUpTo(body: Readable, max: number): Promise<Buffer> {
  if (body.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const cleanup = (): void => {
      body.off('data', onData); body.off('end', onEnd); body.off('error', onError); body.off('close', onClose);
    };
    const finish = (): void => { cleanup(); body.pause(); resolve(Buffer.concat(chunks).subarray(0, max)); };
    const onData = (c: Buffer | string): void => {
      const buf = typeof c === 'string' ? Buffer.from(c) : c;
      chunks.push(buf);
      n += buf.length;
      if (n >= max) finish();
    };
    const onEnd = (): void => finish();
    const onError = (err: Error): void => { cleanup(); reject(err); };
    const onClose = (): void => { cleanup(); reject(httpError(499)); };
    body.on('data', onData); body.on('end', onEnd); body.on('error', onError); body.on('close', onClose);
  });
}

/** The heartbeat body: ' ' now, ' ' every yield_frequency seconds, then the outcome. */
function heartbeatBody(req: SwiftRequest, env: SloEnv, format: string, work: () => Promise<Outcome>): Readable {
  const freqMs = env.opts.yield_frequency * 1000;
  async function* gen(): AsyncGenerator<Buffer> {
    yield Buffer.from(' ');
    let settled = false;
    const result = work().then((o) => outcomeBody(o, format), (err: unknown) => failureBody(req, err, format))
      .finally(() => { settled = true; });
    while (!settled) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([result, new Promise((r) => { timer = setTimeout(r, freqMs); })]);
      clearTimeout(timer);
      if (!settled) yield Buffer.from(' ');
    }
    yield Buffer.from(`\r\n\r\n${await result}`, 'utf8');
  }
  return Readable.from(gen(), { objectMode: false });
}

function reasonText(status: number): string {
  return (REASONS[status] ?? ['']).join('\n');
}

async function outcomeBody(o: Outcome, format: string): Promise<string> {
  if (o.kind === 'problems') {
    return getResponseBody(format, { 'Response Status': statusLine(400), 'Response Body': reasonText(400) }, o.problems, 'upload');
  }
  if (o.kind === 'etag-mismatch') {
    return getResponseBody(format, { 'Response Status': statusLine(422), 'Response Body': reasonText(422) }, [], 'upload');
  }
  const data: Record<string, string> = { 'Response Status': statusLine(o.res.status) };
  if (isSuccess(o.res.status)) {
    data['Etag'] = o.res.headers['etag'] ?? '';
    data['Last Modified'] = o.res.headers['last-modified'] ?? '';
  }
  data['Response Body'] = (await readBody(o.res, 64 * 1024)).toString('utf8');
  return getResponseBody(format, data, [], 'upload');
}

function failureBody(req: SwiftRequest, err: unknown, format: string): string {
  if (err instanceof SwiftHttpError) {
    return getResponseBody(format, { 'Response Status': statusLine(err.status), 'Response Body': err.body ?? reasonText(err.status) }, [], 'upload');
  }
  req.ctx.log.error({ err }, 'SLO manifest PUT failed');
  return getResponseBody(format, { 'Response Status': statusLine(500), 'Response Body': '' }, [], 'upload');
}
