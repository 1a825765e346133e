/**
 * Bulk's answer: always "200 OK" with a body that is whitespace heartbeats while the work runs and
 * then the result document (json, xml or plain text by Accept), because the status line has long
 * been sent when the work ends (Swift's get_response_body and the yield_frequency heartbeat).
 */
import { PassThrough } from 'node:stream';
import type { SwiftResponse } from '../../http.js';
import { REASONS, reasonPhrase } from '../../errors.js';
import { xmlEscape } from '../common/quote.js';

export const ACCEPTABLE_FORMATS = ['text/plain', 'application/json', 'application/xml', 'text/xml'];

/** swob's Accept.best_match: the first offer matched by the highest-q pattern; no header -> first offer. */
export function bestMatch(accept: string | undefined, offers: string[]): string | undefined {
  if (accept === undefined || accept.trim() === '') return offers[0];
  const patterns: Array<{ type: string; sub: string; q: number; specific: number; i: number }> = [];
  accept.split(',').forEach((part, i) => {
    const [media, ...params] = part.trim().split(';');
    if (!media) return;
    const [type, sub] = media.trim().toLowerCase().split('/');
    if (!type || !sub) return;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q' && v !== undefined) q = Number(v);
    }
    if (!(q > 0)) return;
    patterns.push({ type, sub, q, specific: (type === '*' ? 0 : 1) + (sub === '*' ? 0 : 1), i });
  });
  patterns.sort((a, b) => b.q - a.q || b.specific - a.specific || a.i - b.i);
  for (const p of patterns) {
    for (const offer of offers) {
      const [t, s] = offer.split('/');
      if ((p.type === '*' || p.type === t) && (p.sub === '*' || p.sub === s)) return offer;
    }
  }
  return undefined;
}

/** A status line as swob prints it: "400 Bad Request". */
export function statusLine(status: number): string { return `${status} ${reasonPhrase(status)}`; }

/** swob's default error body for a status (what `err.body` is when none was given). */
export function defaultErrorBody(status: number): string {
  const [title, explanation] = REASONS[status] ?? ['Unknown', ''];
  return explanation ? `<html><h1>${title}</h1><p>${explanation}</p></html>` : '';
}

/** A failure that ends the whole bulk operation with this status and body (Swift raises an HTTPException). */
export class BulkAbort extends Error {
  constructor(readonly status: number, readonly body: string = defaultErrorBody(status)) {
    super(body);
    this.name = 'BulkAbort';
  }
}

export type ResultDict = Record<string, string | number>;

/** Swift's get_response_body (keys sorted for xml/plain; insertion order for json). */
export function formatResult(format: string | undefined, data: ResultDict, errors: Array<[string, string]>,
                             rootTag: 'delete' | 'extract'): string {
  if (format === 'application/json') return pyJsonDumps({ ...data, Errors: errors });
  const keys = Object.keys(data).sort();
  if (format && format.endsWith('/xml')) {
    let out = `<${rootTag}>\n`;
    for (const k of keys) {
      const tag = k.replace(/ /g, '_').toLowerCase();
      out += `<${tag}>${xmlEscape(String(data[k]))}</${tag}>\n`;
    }
    out += '<errors>\n';
    for (const [name, status] of errors) {
      out += `<object><name>${xmlEscape(name)}</name><status>${xmlEscape(status)}</status></object>\n`;
    }
    return `${out}</errors>\n</${rootTag}>\n`;
  }
  let out = '';
  for (const k of keys) out += `${k}: ${data[k]}\n`;
  out += 'Errors:\n';
  for (const [name, status] of errors) out += `${name}, ${status}\n`;
  return out;
}

/** json.dumps with Python's default separators (", " and ": ") and ensure_ascii. */
export function pyJsonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${pyJsonDumps(k)}: ${pyJsonDumps(v)}`).join(', ')}}`;
  }
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  return JSON.stringify(value);
}

/**
 * Start the 200 response now and run `work` behind it: every `yieldFrequency` seconds a heartbeat
 * goes out (the first one is the XML declaration for xml output), and the final document is
 * preceded by "\r\n\r\n" once any heartbeat was sent.
 */
export function heartbeatResponse(contentType: string | undefined, yieldFrequencyS: number,
                                  work: () => Promise<string>): SwiftResponse {
  const out = new PassThrough();
  let first = contentType?.endsWith('/xml') ? '<?xml version="1.0" encoding="UTF-8"?>\n' : ' ';
  let separator = '';
  const timer = setInterval(() => {
    out.write(first);
    first = ' ';
    separator = '\r\n\r\n';
  }, Math.max(1, yieldFrequencyS * 1000));
  timer.unref();
  void work().then(
    (doc) => { clearInterval(timer); out.end(separator + doc); },
    (err: unknown) => { clearInterval(timer); out.destroy(err instanceof Error ? err : new Error(String(err))); },
  );
  return { status: 200, headers: { 'content-type': contentType ?? 'text/plain' }, body: out };
}
