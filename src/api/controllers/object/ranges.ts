/**
 * The Range header as Swift's swob parses and serves it (swob.Range, Range.ranges_for_length,
 * Response._prepare_for_ranges, utils.document_iters_to_multipart_byteranges).
 *
 * Swift's rules, which this module keeps exactly:
 * - A syntactically invalid header is ignored as a whole (the object is served with 200): not
 *   starting with "bytes=", a spec without '-', "bytes=-", a non-numeric bound, or end < start.
 *   Spaces anywhere are removed first.
 * - Satisfiable specs are clamped to the object; "-N" past the size means the whole object, "-0"
 *   is skipped. No satisfiable spec at all answers 416 with `Content-Range: bytes *\/size`.
 * - "Egregious" sets are refused with 416 as well: more than 50 ranges, more than 2 overlapping
 *   pairs, or 8 or more ranges out of ascending order.
 * - A zero-length object with a satisfiable (suffix) range is served whole with 200.
 * - One range -> 206 with Content-Range; several -> 206 multipart/byteranges.
 */
import { randomBytes } from 'node:crypto';

const MAX_RANGES = 50;
const MAX_RANGE_OVERLAPS = 2;
const MAX_NONASCENDING_RANGES = 8;

/** One byte-range-spec as written: start/end are undefined where the spec left them out. */
export interface RangeSpec { start?: number; end?: number }

/** A half-open [start, stop) range resolved against the object's length (as swob keeps them). */
export interface ResolvedRange { start: number; stop: number }

/**
 * Python's int() for a start bound, as swob uses it: digits with an optional '+' and '_' between
 * digits (a '-' cannot occur: the spec was split at its first '-').
 */
function pyInt(s: string): number | undefined {
  if (!/^\+?\d+(_\d+)*$/.test(s)) return undefined;
  return Number(s.replace(/_/g, ''));
}

/**
 * Parse a Range header value (swob.Range.__init__). Returns undefined when the header must be
 * ignored (missing or syntactically invalid).
 */
export function parseRange(value: string | undefined): RangeSpec[] | undefined {
  if (!value) return undefined;
  const v = value.replace(/ /g, '');
  if (!v.toLowerCase().startsWith('bytes=')) return undefined;
  const specs: RangeSpec[] = [];
  for (const rng of v.slice(6).split(',')) {
    const dash = rng.indexOf('-');
    if (dash < 0) return undefined;
    const startText = rng.slice(0, dash);
    const endText = rng.slice(dash + 1);
    let start: number | undefined;
    if (startText) {
      start = pyInt(startText);
      if (start === undefined) return undefined;
    }
    let end: number | undefined;
    if (endText) {
      // swob insists on plain digits here (so "--0" is invalid).
      if (!/^\d+$/.test(endText)) return undefined;
      end = Number(endText);
      if (start !== undefined && end < start) return undefined;
    } else if (start === undefined) {
      return undefined;
    }
    specs.push(start === undefined ? { end: end! } : end === undefined ? { start } : { start, end });
  }
  return specs;
}

/**
 * Resolve specs against an object length (swob.Range.ranges_for_length). An empty array means
 * "unsatisfiable" (416); a non-empty one is what to serve.
 */
export function rangesForLength(specs: RangeSpec[], length: number): ResolvedRange[] {
  const all: ResolvedRange[] = [];
  for (const { start, end } of specs) {
    if (start === undefined) {
      const suffix = end!;
      if (suffix === 0) continue;
      all.push(suffix > length ? { start: 0, stop: length } : { start: length - suffix, stop: length });
      continue;
    }
    if (start >= length) continue;
    all.push({ start, stop: end === undefined ? length : Math.min(end + 1, length) });
  }
  if (all.length > MAX_RANGES) return [];
  let overlaps = 0;
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i]!;
      const b = all[j]!;
      if ((a.start < b.start && b.start < a.stop) || (a.start < b.stop && b.stop < a.stop)
          || (b.start < a.start && a.start < b.stop) || (b.start < a.stop && a.stop < b.stop)) {
        overlaps += 1;
        if (overlaps > MAX_RANGE_OVERLAPS) return [];
      }
    }
  }
  let ascending = true;
  for (let i = 0; i + 1 < all.length; i++) {
    const a = all[i]!;
    const b = all[i + 1]!;
    // Python compares the (start, stop) tuples.
    if (a.start > b.start || (a.start === b.start && a.stop > b.stop)) { ascending = false; break; }
  }
  if (!ascending && all.length >= MAX_NONASCENDING_RANGES) return [];
  return all;
}

/** "bytes 0-9/100" for the half-open range [start, stop) (swob content_range_header_value). */
export function contentRangeValue(r: ResolvedRange, size: number): string {
  return `bytes ${r.start}-${r.stop - 1}/${size}`;
}

/** A fresh multipart boundary: 32 lower-case hex digits, as swob's "%.32x" of a random 128-bit number. */
export function newBoundary(): string {
  return randomBytes(16).toString('hex');
}

/** The Content-Type of a multipart/byteranges response (swob writes no space after ';'). */
export function multipartContentType(boundary: string): string {
  return `multipart/byteranges;boundary=${boundary}`;
}

/** The header block that opens one part: "--B\r\nContent-Type: ..\r\nContent-Range: ..\r\n\r\n". */
export function partHeader(boundary: string, contentType: string, r: ResolvedRange, size: number): Buffer {
  return Buffer.from(`--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: ${contentRangeValue(r, size)}\r\n\r\n`,
    'latin1');
}

/** What closes the body after the last part's CRLF: "--B--" (no trailing CRLF, as Swift). */
export function multipartTerminator(boundary: string): Buffer {
  return Buffer.from(`--${boundary}--`, 'latin1');
}

/**
 * Exact byte length of the multipart body (swob._prepare_for_ranges), so the response can carry
 * a Content-Length. `contentType` must be the latin-1 wire form.
 */
export function multipartLength(boundary: string, contentType: string, ranges: ResolvedRange[], size: number): number {
  let total = 0;
  for (const r of ranges) total += partHeader(boundary, contentType, r, size).length + (r.stop - r.start) + 2;
  return total + boundary.length + 4;
}
