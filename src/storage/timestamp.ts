/**
 * Swift timestamps: seconds since the epoch with 5 decimals, zero-padded to 10 integer digits
 * ("0001700000000.00000" is never used: the normal form is "1700000000.12345"), optionally followed by
 * "_" and a 16-hex-digit offset. The normal form sorts as a string in time order, which the index relies on.
 */
const NORMAL_RE = /^\d{10}\.\d{5}(_[0-9a-f]{16})?$/;

export type Timestamp = string;

let last = 0;
let lane = 0;
let lanes = 1;

/**
 * Give this process lane `index` of `count`: its timestamps are then those whose 10 µs unit is
 * `index` modulo `count`, so the workers of one gateway (`cairn serve --workers`) never hand out the
 * same timestamp. Two versions of one object with one timestamp would otherwise be a split-brain.
 */
export function setTimestampLane(index: number, count: number): void {
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`bad timestamp lane ${index} of ${count}`);
  }
  lane = index;
  lanes = count;
  last = 0;
}

/** A new timestamp, strictly greater than every other one this process handed out (and in its lane). */
export function now(): Timestamp {
  let t = Math.round(Date.now() * 100); // units of 10 µs
  if (lanes > 1) t += (lane - (t % lanes) + lanes) % lanes; // the next unit of our lane
  if (t <= last) t = last + lanes;
  last = t;
  return fromUnits(t);
}

function fromUnits(units: number): Timestamp {
  const s = Math.floor(units / 100000);
  const f = units % 100000;
  return `${String(s).padStart(10, '0')}.${String(f).padStart(5, '0')}`;
}

/** Parse a client-supplied X-Timestamp (float seconds, optional `_offset`); undefined if malformed. */
export function parse(value: string): Timestamp | undefined {
  const m = /^(\d+)(?:\.(\d+))?(?:_([0-9a-fA-F]{1,16}))?$/.exec(value.trim());
  if (!m) return undefined;
  const secs = Number(m[1]);
  if (!Number.isFinite(secs) || secs >= 1e10) return undefined;
  const frac = ((m[2] ?? '') + '00000').slice(0, 5);
  const base = `${String(secs).padStart(10, '0')}.${frac}`;
  const offset = m[3] ? BigInt('0x' + m[3]) : 0n;
  return offset > 0n ? `${base}_${offset.toString(16).padStart(16, '0')}` : base;
}

export function isNormal(ts: string): boolean { return NORMAL_RE.test(ts); }

/** Negative, zero or positive as a is older than, equal to, or newer than b. */
export function compare(a: Timestamp, b: Timestamp): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Seconds since the epoch (the offset is ignored). */
export function toSeconds(ts: Timestamp): number { return Number(ts.slice(0, 16)); }

/** The same instant with an offset added: orders after `ts` but before the next real tick. */
export function withOffset(ts: Timestamp, offset: number): Timestamp {
  const base = ts.slice(0, 16);
  const cur = ts.length > 16 ? BigInt('0x' + ts.slice(17)) : 0n;
  return `${base}_${(cur + BigInt(offset)).toString(16).padStart(16, '0')}`;
}

/** The form Swift sends in X-Timestamp / X-Backend-Timestamp headers (offset dropped for display). */
export function toInternal(ts: Timestamp): string { return ts; }

/** HTTP-date of the timestamp rounded up to the whole second, as Swift's Last-Modified. */
export function toHttpDate(ts: Timestamp): string {
  return new Date(Math.ceil(toSeconds(ts)) * 1000).toUTCString();
}

/** ISO form used in JSON listings: "2024-01-02T03:04:05.123450". */
export function toIsoListing(ts: Timestamp): string {
  const secs = toSeconds(ts);
  const d = new Date(Math.floor(secs) * 1000).toISOString().slice(0, 19);
  const micros = ts.slice(11, 16) + '0';
  return `${d}.${micros}`;
}
