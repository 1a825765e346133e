/**
 * Conditional requests as Swift's swob evaluates them for objects (swob.Match,
 * Response._get_conditional_response_status, email.utils.parsedate):
 *
 *   1. If-None-Match contains the etag (or '*')        -> 304
 *   2. If-Match present and lacks the etag (and no '*') -> 412
 *   3. object missing and If-Match contains '*'          -> 412
 *   4. Last-Modified <= If-Modified-Since                -> 304
 *   5. Last-Modified >  If-Unmodified-Since              -> 412
 *
 * in that order, for GET and HEAD alike. Unlike RFC 7232, Swift also applies If-Modified-Since when
 * If-None-Match was given and did not match; we do the same. Unparseable dates are ignored.
 * Etags compare with surrounding quotes removed. 304 and 412 carry the object's headers and an
 * empty body (Content-Length: 0).
 */

/** Strip one pair of surrounding double quotes (swob.normalize_etag). */
export function normalizeEtag(tag: string): string;
export function normalizeEtag(tag: string | undefined): string | undefined;
export function normalizeEtag(tag: string | undefined): string | undefined {
  return tag && tag.length > 1 && tag.startsWith('"') && tag.endsWith('"') ? tag.slice(1, -1) : tag;
}

/** The entity tags of an If-Match / If-None-Match header (swob.Match); undefined when absent. */
export function parseMatch(value: string | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const tags = new Set<string>();
  for (const raw of value.split(',')) {
    const tag = raw.trim();
    if (tag) tags.add(normalizeEtag(tag));
  }
  return tags;
}

/** swob.Match.__contains__: '*' matches anything. */
export function matchContains(tags: Set<string>, etag: string): boolean {
  return tags.has('*') || tags.has(normalizeEtag(etag));
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function twoDigitYear(y: number, digits: number): number {
  if (digits > 2) return y;
  return y > 68 ? y + 1900 : y + 2000;
}

function toSeconds(year: number, month: string, day: number, h: number, m: number, s: number): number | undefined {
  const mon = MONTHS.indexOf(month.slice(0, 3).toLowerCase());
  if (mon < 0 || day < 1 || day > 31 || h > 23 || m > 59 || s > 61) return undefined;
  return Date.UTC(year, mon, day, h, m, Math.min(s, 59)) / 1000;
}

/**
 * Parse an HTTP date into unix seconds, as Swift does with email.utils.parsedate: RFC 1123
 * ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime
 * ("Sun Nov  6 08:49:37 1994"). Like parsedate, the zone is ignored (times are taken as UTC).
 * Returns undefined for anything else.
 */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  let m = /^(?:[A-Za-z]+,?\s+)?(\d{1,2})[\s-]+([A-Za-z]{3,})[\s-]+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s+\S+)?$/.exec(v);
  if (m) {
    const year = twoDigitYear(Number(m[3]), m[3]!.length);
    return toSeconds(year, m[2]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  }
  m = /^(?:[A-Za-z]+,?\s+)?([A-Za-z]{3,})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(\d{2,4})$/.exec(v);
  if (m) {
    const year = twoDigitYear(Number(m[6]), m[6]!.length);
    return toSeconds(year, m[1]!, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5] ?? 0));
  }
  return undefined;
}

/** What the conditional headers are compared against, for an object that exists. */
export interface ConditionalSubject {
  /** The etag conditionals use: the object's, or the one X-Backend-Etag-Is-At points at. */
  etag: string;
  /** Last-Modified in whole unix seconds (the object's timestamp rounded up). */
  lastModified: number;
}

/**
 * The status a conditional GET/HEAD must answer instead of the object (304 or 412), or undefined
 * to go on (serve the object, or answer 404 when it is missing). `headers` are the request headers
 * (lower-case names); `subject` is undefined when the object does not exist.
 */
export function conditionalStatus(headers: Record<string, string>,
                                  subject: ConditionalSubject | undefined): 304 | 412 | undefined {
  const ifMatch = parseMatch(headers['if-match']);
  if (subject === undefined) return ifMatch?.has('*') ? 412 : undefined;
  const ifNoneMatch = parseMatch(headers['if-none-match']);
  if (subject.etag && ifNoneMatch && matchContains(ifNoneMatch, subject.etag)) return 304;
  if (subject.etag && ifMatch && !matchContains(ifMatch, subject.etag)) return 412;
  const ims = parseHttpDate(headers['if-modified-since']);
  if (ims !== undefined && subject.lastModified <= ims) return 304;
  const ius = parseHttpDate(headers['if-unmodified-since']);
  if (ius !== undefined && subject.lastModified > ius) return 412;
  return undefined;
}
