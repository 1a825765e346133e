/**
 * The result bodies SLO shares with Swift's bulk middleware (bulk.get_response_body and
 * ACCEPTABLE_FORMATS): the heartbeat PUT result and the multipart-manifest=delete result, in
 * text/plain (default), application/json, or XML, chosen by the Accept header.
 */
import { pyDumps } from '../../pyjson.js';
import { bestMatch } from '../../listing.js';
import { xmlEscape } from '../common/quote.js';

export const ACCEPTABLE_FORMATS = ['text/plain', 'application/json', 'application/xml', 'text/xml'];

/**
 * The format to answer in: swob's Accept.best_match over ACCEPTABLE_FORMATS. A malformed header
 * gives `onInvalid`; nothing acceptable gives undefined.
 */
export function outContentType(accept: string | undefined, onInvalid: string | undefined): string | undefined {
  try {
    return bestMatch(accept, ACCEPTABLE_FORMATS);
  } catch {
    return onInvalid;
  }
}

/** [quoted name, status line or message] of each failure. */
export type ErrorList = Array<[string, string]>;

/**
 * bulk.get_response_body. `data` keeps its insertion order for JSON (as the Python dict does); the
 * text and XML forms sort its keys.
 */
export function getResponseBody(format: string | undefined, data: Record<string, string | number>, errors: ErrorList,
                                rootTag: string): string {
  if (format === 'application/json') return pyDumps({ ...data, Errors: errors });
  const keys = Object.keys(data).sort();
  if (format && format.endsWith('/xml')) {
    const out = [`<${rootTag}>\n`];
    for (const key of keys) {
      const tag = key.replace(/ /g, '_').toLowerCase();
      out.push(`<${tag}>${xmlEscape(String(data[key]))}</${tag}>\n`);
    }
    out.push('<errors>\n');
    for (const [name, status] of errors) {
      out.push(`<object><name>${xmlEscape(name)}</name><status>${xmlEscape(status)}</status></object>\n`);
    }
    out.push(`</errors>\n</${rootTag}>\n`);
    return out.join('');
  }
  const out = keys.map((k) => `${k}: ${data[k]}\n`);
  out.push('Errors:\n');
  for (const [name, status] of errors) out.push(`${name}, ${status}\n`);
  return out.join('');
}
