/**
 * Account listings with object versioning (Swift's AccountContext.list_containers): each
 * container's bytes include its hidden versions container's, and a hidden versions container whose
 * container is gone is listed under the container's name with count 0, so its owner can find and
 * clean up the data. One page of hidden containers is fetched per listing, with the client's
 * prefix/marker/end_marker moved into the reserved namespace.
 */
import type { Handler, SwiftRequest, SwiftResponse } from '../../http.js';
import { subrequest } from '../../http.js';
import { getParam, parseParams } from '../../params.js';
import { isTrue } from '../common/options.js';
import { pyDumps } from '../../pyjson.js';
import { compareNames, LISTING_LIMIT } from '../../../storage/store.js';
import { constrainLimit } from '../../listing.js';
import { readSmallBody, isSuccess } from '../common/body.js';
import { callBelow, parseJson, readJson } from '../common/call-below.js';
import { pyQuote } from '../common/quote.js';
import { ALLOW_RESERVED_NAMES, getReservedName } from '../common/reserved-names.js';
import { splitVersionsContainerName, versionsContainerName } from './names.js';
import { SOURCE } from './object.js';

type Item = Record<string, unknown>;

/** The client's query with prefix/marker/end_marker moved to the hidden containers' names. */
function hiddenQuery(req: SwiftRequest): string {
  const params = new Map<string, string>();
  for (const [name, p] of parseParams(req.rawQuery)) params.set(name, p.value ?? '');
  const hidden = (v: string): string => {
    try {
      return versionsContainerName(v);
    } catch {
      // Already reserved (a client cannot send that; an internal listing may): leave it.
      return v;
    }
  };
  params.set('prefix', params.has('prefix') ? hidden(params.get('prefix')!) : getReservedName('versions'));
  for (const p of ['marker', 'end_marker']) if (params.has(p)) params.set(p, hidden(params.get(p)!));
  return [...params].map(([k, v]) => `${pyQuote(k, '')}=${pyQuote(v, '')}`).join('&');
}

export async function listContainers(req: SwiftRequest, next: Handler, account: string): Promise<SwiftResponse> {
  const res = await next(req);
  if (!isSuccess(res.status) || res.body === undefined) return res;
  const raw = await readSmallBody(res);
  const listing = parseJson(raw);
  if (!Array.isArray(listing)) return { ...res, body: raw };
  const vres = await callBelow(next, subrequest(req, {
    method: 'GET', path: `/v1/${account}`, query: hiddenQuery(req), source: SOURCE, preAuthorized: true,
    headers: { [ALLOW_RESERVED_NAMES]: 'true' },
  }));
  const parsed = isSuccess(vres.status) ? await readJson(vres) : (await readSmallBody(vres), undefined);
  const hidden = new Map<string, Item>();
  for (const item of Array.isArray(parsed) ? (parsed as Item[]) : []) {
    if ('name' in item) hidden.set(splitVersionsContainerName(String(item.name)), item);
  }
  const items = listing as Item[];
  if (hidden.size > 0) {
    for (const item of items) {
      if (!('name' in item)) continue;
      const v = hidden.get(String(item.name));
      if (v === undefined) continue;
      hidden.delete(String(item.name));
      item.bytes = Number(item.bytes) + Number(v.bytes);
    }
  }
  // Orphaned hidden containers (their container is gone) are shown so they can be cleaned up.
  for (const [name, item] of hidden) items.push({ ...item, name, count: 0 });
  const key = (i: Item): string => String('subdir' in i ? i.subdir : i.name);
  const reverse = isTrue(getParam(req, 'reverse') ?? 'no');
  items.sort((a, b) => (reverse ? compareNames(key(b), key(a)) : compareNames(key(a), key(b))));
  const body = pyDumps(items.slice(0, constrainLimit(req, LISTING_LIMIT)));
  return { ...res, headers: { ...res.headers, 'content-length': String(Buffer.byteLength(body)) }, body };
}
