/**
 * Translating one multipart/form-data POST into PUT subrequests (Swift's FormPost._translate_form).
 *
 * Parts are handled strictly in order through one promise chain: fields set attributes; each file
 * part (a part with a non-empty filename) is checked against max_file_count, then its signature and
 * expiry are verified and its bytes are streamed, capped at max_file_size, into a pre-authorized PUT
 * of <form path>/<filename>. Busboy does not parse past a file whose stream is not being read, so
 * the request body is never buffered beyond stream high-water marks.
 */
import busboy from 'busboy';
import type { Readable } from 'node:stream';
import { subrequest, type Handler, type SwiftRequest } from '../../http.js';
import { httpError, reasonPhrase } from '../../errors.js';
import { discardBody } from '../common/body.js';
import { constantTimeEqual, hmacHex, parseSignature, type DigestName } from '../common/signatures.js';
import { CappedStream, MaxFileSizeExceeded } from './capped.js';
import { FormInvalid, FormUnauthorized } from './errors.js';

/** Swift's MAX_VALUE_LENGTH for a form field. */
export const MAX_VALUE_LENGTH = 4096;

export interface FormResult {
  /** Status line of the last subrequest (or the form's own verdict), e.g. "201 Created". */
  status: string;
  message: string;
  /** Access-Control-* headers of the last subrequest. */
  headers: Record<string, string>;
  redirect?: string;
}

export interface FormContext {
  req: SwiftRequest;
  next: Handler;
  boundaryContentType: string;
  keys: string[];
  allowedDigests: ReadonlySet<string>;
}

/** Swift strips trailing '\r', '\n' and '-' from field values (rstrip('\r\n--')). */
function cleanValue(v: string): string { return v.replace(/[\r\n-]+$/, ''); }

export async function translateForm(fc: FormContext): Promise<FormResult> {
  const { req } = fc;
  const attributes = new Map<string, string>();
  let status = '';
  let message = '';
  let subHeaders: Record<string, string> = {};
  let fileCount = 0;
  let finished = false;
  let failure: unknown;

  const bb = busboy({
    headers: { 'content-type': fc.boundaryContentType },
    preservePath: true,
    defParamCharset: 'utf8',
    limits: { fieldSize: MAX_VALUE_LENGTH, fieldNameSize: 1024 },
  });

  // Resolved at the first failure or final verdict: the response is sent without reading the rest.
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => { stop = resolve; });
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (job: () => Promise<void>, orDrain?: Readable): void => {
    chain = chain.then(async () => {
      if (finished || failure !== undefined) { orDrain?.resume(); return; }
      try { await job(); } catch (err) { failure = err; orDrain?.resume(); }
      if (finished || failure !== undefined) stop();
    });
  };

  bb.on('field', (name: string, value: string) => {
    enqueue(async () => { attributes.set(name.toLowerCase(), cleanValue(value)); });
  });
  bb.on('file', (name: string, stream: Readable, info: { filename?: string; mimeType: string }) => {
    enqueue(async () => {
      if (!info.filename) {
        // A part with an empty filename is a plain field (Swift only treats non-empty ones as files).
        const data = await readPrefix(stream, MAX_VALUE_LENGTH);
        attributes.set(name.toLowerCase(), cleanValue(data.toString('utf8')));
        return;
      }
      fileCount += 1;
      const maxCount = toInt(attributes.get('max_file_count'), 'max_file_count not an integer');
      if (fileCount > maxCount) {
        status = '400 Bad Request';
        message = 'max file count exceeded';
        finished = true;
        stream.resume();
        return;
      }
      attributes.set('filename', info.filename);
      if (!attributes.has('content-type') && info.mimeType) attributes.set('content-type', info.mimeType);
      const r = await putFile(fc, attributes, stream);
      status = r.status;
      subHeaders = r.headers;
      if (!status.startsWith('2')) finished = true;
    }, stream);
  });

  const parsed = new Promise<void>((resolve, reject) => {
    bb.on('close', resolve);
    bb.on('error', () => reject(new FormInvalid('invalid starting boundary')));
  });
  parsed.catch(() => undefined); // a parse error after the verdict is of no interest
  // A client that goes away mid-form would leave the parser waiting for bytes forever.
  const onAbort = (): void => {
    if (failure === undefined && !finished) failure = httpError(499);
    stop();
  };
  req.ctx.signal.addEventListener('abort', onAbort, { once: true });
  req.body.pipe(bb);
  try {
    await Promise.race([parsed.then(() => chain), stopped]);
  } finally {
    req.ctx.signal.removeEventListener('abort', onAbort);
    req.body.unpipe(bb);
  }
  if (failure !== undefined) throw failure;

  if (!status) {
    status = '400 Bad Request';
    message = 'no files to process';
  }
  const headers = Object.fromEntries(Object.entries(subHeaders).filter(([k]) => k.startsWith('access-control')));
  const redirect = attributes.get('redirect');
  return { status, message, headers, ...(redirect ? { redirect } : {}) };
}

/** The first `n` bytes of a part; the rest is read and dropped (Swift's MAX_VALUE_LENGTH rule). */
async function readPrefix(stream: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    if (have < n) {
      chunks.push(buf.subarray(0, n - have));
      have += Math.min(buf.length, n - have);
    }
  }
  return Buffer.concat(chunks);
}

function toInt(value: string | undefined, error: string): number {
  if (value === undefined || value === '') return 0;
  if (!/^\s*[-+]?\d+\s*$/.test(value)) throw new FormInvalid(error);
  return parseInt(value, 10);
}

async function putFile(fc: FormContext, attributes: Map<string, string>, file: Readable):
    Promise<{ status: string; headers: Record<string, string> }> {
  const { req } = fc;
  if (fc.keys.length === 0) throw new FormUnauthorized('invalid signature');
  const maxFileSize = toInt(attributes.get('max_file_size'), 'max_file_size not an integer');

  const headers: Record<string, string> = { 'transfer-encoding': 'chunked' };
  if (req.headers['user-agent'] !== undefined) headers['user-agent'] = req.headers['user-agent'];
  if (attributes.has('x_delete_at')) {
    headers['x-delete-at'] = String(toInt(attributes.get('x_delete_at'), 'x_delete_at not an integer: Unix timestamp required.'));
  }
  if (attributes.has('x_delete_after')) {
    headers['x-delete-after'] = String(toInt(attributes.get('x_delete_after'), 'x_delete_after not an integer: Number of seconds required.'));
  }
  if (attributes.has('content-type')) headers['content-type'] = attributes.get('content-type') || 'application/octet-stream';

  const expires = toInt(attributes.get('expires'), 'expired not an integer');
  if (expires < Date.now() / 1000) throw new FormUnauthorized('form expired');

  const hmacBody = [req.path, attributes.get('redirect') || '', attributes.get('max_file_size') || '0',
    attributes.get('max_file_count') || '0', attributes.get('expires') || '0'].join('\n');
  const sig = parseSignature(attributes.get('signature') ?? '');
  if (!sig || !fc.allowedDigests.has(sig.algorithm)) throw new FormUnauthorized('invalid signature');
  let valid = false;
  for (const key of fc.keys) {
    if (constantTimeEqual(hmacHex(sig.algorithm as DigestName, key, hmacBody), sig.hex)) valid = true;
  }
  if (!valid) throw new FormUnauthorized('invalid signature');

  let path = req.path;
  if (!path.endsWith('/') && (path.match(/\//g) ?? []).length < 4) path += '/';
  path += attributes.get('filename') || 'filename';

  const capped = new CappedStream(maxFileSize);
  file.on('error', (err) => capped.destroy(err));
  file.pipe(capped);
  const sub = subrequest(req, { method: 'PUT', path, headers, body: capped, source: 'FP', preAuthorized: true });
  let res;
  try {
    res = await fc.next(sub);
  } catch (err) {
    if (capped.exceeded || err instanceof MaxFileSizeExceeded) throw new FormInvalid('max_file_size exceeded');
    throw err;
  }
  discardBody(res.body);
  if (capped.exceeded) throw new FormInvalid('max_file_size exceeded');
  // The PUT must have consumed the whole part; whatever it left is drained so parsing continues.
  file.resume();
  return { status: `${res.status} ${reasonPhrase(res.status)}`, headers: res.headers };
}
