/**
 * Account and container listings exactly as Swift renders them.
 *
 * As in Swift, controllers always produce the JSON document (what the account/container servers send
 * the proxy with format=json), and the listing_formats middleware negotiates the client's format
 * (`format=` or Accept) and converts the JSON into XML or plain text (swift/common/middleware/
 * listing_formats.py). The renderers here reproduce Python's json.dumps and ElementTree output
 * byte-for-byte.
 */
import type { Constraints } from './constraints.js';
import { httpError } from './errors.js';
import type { SwiftRequest } from './http.js';
import { getParam } from './params.js';
import { isTrue } from './middleware/common/options.js';
import { pyDumps } from './pyjson.js';
import { toIsoListing } from '../storage/timestamp.js';
import { isSubdir, type ContainerListEntry, type ObjectListEntry, type SubdirEntry } from '../storage/store.js';

/** What a listing request asks for, validated as Swift's servers validate it. */
export interface ListingParams {
  marker?: string;
  endMarker?: string;
  prefix?: string;
  delimiter?: string;
  /** Container listings only: list the "directory" `path` (Swift's path= query). */
  path?: string;
  limit: number;
  reverse: boolean;
}

/** Swift's constrain_req_limit: a non-numeric limit means the default; above the maximum is a 412. */
export function constrainLimit(req: SwiftRequest, max: number): number {
  const given = getParam(req, 'limit');
  if (given && /^\d+$/.test(given)) {
    const n = Number(given);
    if (n > max) throw httpError(412, `Maximum limit is ${max}`);
    return n;
  }
  return max;
}

function collect(req: SwiftRequest, names: string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const n of names) out[n] = getParam(req, n);
  return out;
}

/**
 * validate_container_params + the container server's checks. Throws 400 / 412 like Swift. Any
 * delimiter is accepted, multi-character ones included (Swift dropped its one-character rule in 2.24).
 */
export function containerListingParams(req: SwiftRequest, c: Constraints): ListingParams {
  const p = collect(req, ['marker', 'end_marker', 'prefix', 'delimiter', 'path', 'format', 'reverse']);
  const limit = constrainLimit(req, c.container_listing_limit);
  return build(p, limit, true);
}

/** The account server's parameter checks. Throws 400 / 412 like Swift. */
export function accountListingParams(req: SwiftRequest, c: Constraints): ListingParams {
  const p = collect(req, ['prefix', 'delimiter', 'reverse']);
  const limit = constrainLimit(req, c.account_listing_limit);
  Object.assign(p, collect(req, ['marker', 'end_marker', 'format']));
  return build(p, limit, false);
}

function build(p: Record<string, string | undefined>, limit: number, withPath: boolean): ListingParams {
  const out: ListingParams = { limit, reverse: isTrue(p.reverse) };
  if (p.marker) out.marker = p.marker;
  if (p.end_marker) out.endMarker = p.end_marker;
  if (p.prefix) out.prefix = p.prefix;
  if (p.delimiter) out.delimiter = p.delimiter;
  if (withPath && p.path !== undefined) out.path = p.path;
  return out;
}

// ------------------------------------------------------------------------------------------ JSON

/** One object entry in Swift's key order (bytes, hash, name, content_type, last_modified). */
export function objectRecord(e: ObjectListEntry): Record<string, unknown> {
  return {
    bytes: e.bytes, hash: e.hash, name: e.name, content_type: e.contentType,
    last_modified: toIsoListing(e.lastModified),
  };
}

/** One container entry in Swift's key order (name, count, bytes, last_modified). */
export function containerRecord(e: ContainerListEntry): Record<string, unknown> {
  return { name: e.name, count: e.count, bytes: e.bytes, last_modified: toIsoListing(e.lastModified) };
}

/** The JSON body of a container listing, as json.dumps writes it. */
export function objectListingJson(entries: Array<ObjectListEntry | SubdirEntry>): string {
  return pyDumps(entries.map((e) => (isSubdir(e) ? { subdir: e.subdir } : objectRecord(e))));
}

/** The JSON body of an account listing, as json.dumps writes it. */
export function containerListingJson(entries: Array<ContainerListEntry | SubdirEntry>): string {
  return pyDumps(entries.map((e) => (isSubdir(e) ? { subdir: e.subdir } : containerRecord(e))));
}

// --------------------------------------------------------------------------------- XML and text

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;')
    .replace(/\t/g, '&#09;');
}

const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

function str(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

function el(tag: string, text: unknown): string {
  return `<${tag}>${escapeText(str(text))}</${tag}>`;
}

/** listing_formats.account_to_xml (ElementTree output, newline after the root tag and each entry). */
export function accountToXml(listing: Array<Record<string, unknown>>, account: string): string {
  let out = `${XML_DECL}<account name="${escapeAttr(account)}">\n`;
  for (const r of listing) {
    if ('subdir' in r) {
      out += `<subdir name="${escapeAttr(str(r.subdir))}" />\n`;
    } else {
      out += '<container>';
      for (const f of ['name', 'count', 'bytes', 'last_modified']) out += el(f, r[f]);
      if ('storage_policy' in r) out += el('storage_policy', r.storage_policy);
      out += '</container>\n';
    }
  }
  return `${out}</account>`;
}

/** listing_formats.container_to_xml (no whitespace between elements; empty root is self-closed). */
export function containerToXml(listing: Array<Record<string, unknown>>, container: string): string {
  const open = `${XML_DECL}<container name="${escapeAttr(container)}"`;
  if (listing.length === 0) return `${open} />`;
  let out = `${open}>`;
  for (const r of listing) {
    if ('subdir' in r) {
      const name = str(r.subdir);
      out += `<subdir name="${escapeAttr(name)}">${el('name', name)}</subdir>`;
    } else {
      out += '<object>';
      for (const f of ['name', 'hash', 'bytes', 'content_type', 'last_modified']) out += el(f, r[f]);
      out += '</object>';
    }
  }
  return `${out}</container>`;
}

/** listing_formats.listing_to_text: one name (or subdir) per line. */
export function listingToText(listing: Array<Record<string, unknown>>): string {
  return listing.map((r) => `${str('name' in r ? r.name : r.subdir)}\n`).join('');
}

// ------------------------------------------------------------------------------ content types

const FORMAT2CONTENT_TYPE: Record<string, string> = {
  plain: 'text/plain', json: 'application/json', xml: 'application/xml',
};

export const LISTING_TYPES = ['text/plain', 'application/json', 'application/xml', 'text/xml'];

const TOKEN = '[^()<>@,;:\\\\"/\\[\\]?={}\\x00-\\x20\\x7f]+';
const QUOTED = '"(?:[^"]|(?:\\\\.))*"';
const EXTENSION = `(?:\\s*;\\s*(?:${TOKEN})\\s*=\\s*(?:${TOKEN}|${QUOTED}))`;
const ACCEPT_RE = new RegExp(`^\\s*(${TOKEN})/(${TOKEN})(${EXTENSION}*?\\s*)$`);

function escapeRe(s: string): string { return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'); }

/**
 * swob's Accept.best_match: the first offer matched by the highest-quality media range (specific
 * ranges before wildcards at equal quality). No Accept header means the first offer. Throws
 * 'invalid' for a malformed header.
 */
export function bestMatch(accept: string | undefined, offers: string[]): string | undefined {
  if (!accept) return offers[0];
  const types: Array<{ re: RegExp; q: number; specific: boolean }> = [];
  for (const typ of accept.split(',')) {
    const m = ACCEPT_RE.exec(typ);
    if (!m) throw new Error('Invalid accept header');
    const [, type, subtype, parms] = m as unknown as [string, string, string, string];
    let q = 1.0;
    let seenQ = false;
    for (const parm of parms.split(';').map((s) => s.trim()).filter(Boolean)) {
      const kv = parm.split('=');
      if (kv.length !== 2) throw new Error('Invalid accept header');
      if (kv[0]!.trim() === 'q') {
        if (seenQ) throw new Error('Multiple "q" params');
        seenQ = true;
        q = Number(kv[1]!.trim());
        if (Number.isNaN(q)) throw new Error('Invalid accept header');
      }
    }
    const re = new RegExp(`^${type === '*' ? TOKEN : escapeRe(type)}/${subtype === '*' ? TOKEN : escapeRe(subtype)}$`);
    types.push({ re, q, specific: type !== '*' && subtype !== '*' });
  }
  const sorted = types
    .map((t, i) => ({ ...t, i }))
    .sort((a, b) => (b.q - a.q) || (Number(b.specific) - Number(a.specific)) || (a.i - b.i));
  for (const t of sorted) {
    for (const offer of offers) if (t.q > 0 && t.re.test(offer)) return offer;
  }
  return undefined;
}

/**
 * listing_formats.get_listing_content_type: `format=` (json/xml/plain, anything else plain) overrides
 * Accept. 400 'Invalid Accept header' for a malformed Accept, 406 when nothing acceptable.
 */
export function listingContentType(req: SwiftRequest): string {
  const format = getParam(req, 'format');
  const accept = format ? (FORMAT2CONTENT_TYPE[format.toLowerCase()] ?? 'text/plain') : req.headers['accept'];
  let out: string | undefined;
  try {
    out = bestMatch(accept, LISTING_TYPES);
  } catch {
    throw httpError(400, 'Invalid Accept header');
  }
  if (!out) throw httpError(406);
  return out;
}
