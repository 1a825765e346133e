/**
 * `GET <container>?versions`: every version of every object (Swift's ContainerContext._list_versions).
 *
 * The listing merges, by name: the container's unversioned objects (version_id 'null',
 * is_latest true), the versions container's entries (named back to the object, with version_id
 * and is_latest: the one the current link points at, or a newest delete marker), and links whose
 * version is missing ("broken" ones, still listed as latest). `marker` with `version_marker` (an
 * id or 'null') pages through versions of one name. Always JSON (406 when the client does not
 * accept it); 400 'version_marker param requires marker', 'invalid version_marker param',
 * 'invalid delimiter param' (digits, '.' and NUL cannot delimit).
 */
import { httpError } from '../../errors.js';
import { subrequest, type Handler, type SwiftRequest, type SwiftResponse } from '../../http.js';
import { getContainerInfo } from '../../info-cache.js';
import { bestMatch, constrainLimit } from '../../listing.js';
import { getParam } from '../../params.js';
import { isTrue } from '../common/options.js';
import type { AppDeps } from '../../pipeline.js';
import { pyDumps } from '../../pyjson.js';
import { compareNames, LISTING_LIMIT } from '../../../storage/store.js';
import { callBelow, drain, readJson } from '../common/call-below.js';
import { isSuccess } from '../common/body.js';
import { pyQuote, pyUnquote } from '../common/quote.js';
import { ALLOW_RESERVED_NAMES, getReservedName, splitReservedName } from '../common/reserved-names.js';
import '../common/format-listing.js';
import {
  DELETE_MARKER_CONTENT_TYPE, parseVersionId, splitVersionFromName, versionsObjectName, versionsObjectPrefix,
} from './names.js';
import { SOURCE } from './object.js';

type Item = Record<string, unknown>;

export interface ListingTarget { version: string; account: string; container: string; location: string }

/**
 * The hidden listing's marker for the client's marker / version_marker, as Swift 2.30 computes it.
 * With `version_marker=null` the marker is passed on as the plain name (which sorts after every
 * hidden name), so the page continues with the next object's entries; later Swift releases start
 * that page at the name's versions instead.
 */
function versionsMarker(req: SwiftRequest): string | undefined {
  const marker = getParam(req, 'marker');
  const versionMarker = getParam(req, 'version_marker');
  if (versionMarker !== undefined) {
    if (marker === undefined) throw httpError(400, 'version_marker param requires marker');
    if (versionMarker === 'null') return marker;
    const ts = parseVersionId(versionMarker);
    if (ts === undefined) throw httpError(400, 'invalid version_marker param');
    return versionsObjectName(marker, ts);
  }
  // ':' sorts after every digit and '.': just past all of marker's versions.
  return marker === undefined ? undefined : `${versionsObjectPrefix(marker)}:`;
}

/** json.dumps(sorted(chain(...), key=name or subdir, reverse)[:limit]); Python's sort is stable. */
function buildListing(parts: Item[][], reverse: boolean, limit: number): string {
  const key = (i: Item): string => String('subdir' in i ? i.subdir : i.name);
  const all = parts.flat();
  all.sort((a, b) => (reverse ? compareNames(key(b), key(a)) : compareNames(key(a), key(b))));
  return pyDumps(all.slice(0, limit));
}

function brokenItem(item: Item, name: string, version: string, isLatest: boolean): Item {
  return {
    name, is_latest: isLatest, version_id: version, content_type: item.content_type,
    bytes: item.bytes, hash: item.hash, last_modified: item.last_modified,
  };
}

export async function listVersions(req: SwiftRequest, next: Handler, deps: AppDeps, t: ListingTarget,
                                   res: SwiftResponse, primary: Item[]): Promise<SwiftResponse> {
  req.ctx.formatListing = false;
  let accept: string | undefined;
  try {
    accept = bestMatch(req.headers['accept'], ['application/json']);
  } catch {
    accept = undefined;
  }
  if (!accept) throw httpError(406);
  const marker = versionsMarker(req);
  const delimiter = getParam(req, 'delimiter') ?? '';
  if ([...delimiter].some((c) => '0123456789.\x00'.includes(c))) throw httpError(400, 'invalid delimiter param');
  const reverse = isTrue(getParam(req, 'reverse') ?? 'no');
  const limit = constrainLimit(req, LISTING_LIMIT);

  const nullListing: Item[] = [];
  const subdirs = new Set<string>();
  const current = new Map<string, Item>();
  const latest = new Set<string>();
  for (const item of primary) {
    if (!('name' in item)) {
      subdirs.add(String(item.subdir));
    } else if (item.version_symlink) {
      current.set(pyUnquote(String(item.symlink_path)), item);
    } else {
      nullListing.push({ ...item, version_id: 'null', is_latest: true });
      latest.add(String(item.name));
    }
  }

  const prefix = getParam(req, 'prefix');
  const hidden = await getContainerInfo(req, deps.store, t.account, t.location);
  let versionsItems: Item[] | undefined;
  if (hidden) {
    const q = [
      `prefix=${prefix !== undefined ? pyQuote(getReservedName(prefix), '') : ''}`,
      `marker=${marker !== undefined ? pyQuote(marker, '') : ''}`,
      `limit=${pyQuote(getParam(req, 'limit') ?? '', '')}`,
      `delimiter=${pyQuote(delimiter, '')}`,
      `reverse=${pyQuote(getParam(req, 'reverse') ?? '', '')}`,
    ].join('&');
    const vres = await callBelow(next, subrequest(req, {
      method: 'GET', path: `/v1/${t.account}/${t.location}`, query: q, source: SOURCE, preAuthorized: true,
      headers: { [ALLOW_RESERVED_NAMES]: 'true' },
    }));
    if (vres.status !== 404 && !isSuccess(vres.status)) return vres;
    if (isSuccess(vres.status)) {
      const parsed = await readJson(vres);
      versionsItems = Array.isArray(parsed) ? (parsed as Item[]) : [];
    } else {
      drain(vres);
    }
  }

  const versionsListing: Item[] = [];
  if (versionsItems !== undefined) {
    for (const item of versionsItems) {
      if (!('name' in item)) {
        // Hidden subdirs look like '\x00dir/': the client's subdir is 'dir/'.
        subdirs.add(splitReservedName(String(item.subdir))[0]!);
        continue;
      }
      const { name, version } = splitVersionFromName(String(item.name));
      if (version === undefined) continue;
      const path = `/v1/${t.account}/${t.location}/${String(item.name)}`;
      if (current.has(path)) {
        item.is_latest = true;
        latest.add(name);
        current.delete(path);
      } else if (item.content_type === DELETE_MARKER_CONTENT_TYPE && !latest.has(name)) {
        item.is_latest = true;
        latest.add(name);
      } else {
        item.is_latest = false;
      }
      item.name = name;
      item.version_id = version;
      versionsListing.push(item);
    }
  }

  const broken: Item[] = [];
  for (const [path, item] of current) {
    const linked = path.split('/').slice(4).join('/');
    const { name, version } = splitVersionFromName(linked);
    if (version === undefined) continue;
    // Without a versions container, only the first link per name counts as latest.
    const isLatest = versionsItems !== undefined || !latest.has(name);
    latest.add(name);
    broken.push(brokenItem(item, name, version, isLatest));
  }
  const subdirListing = [...subdirs].map((s) => ({ subdir: s }));
  const body = versionsItems !== undefined
    ? buildListing([nullListing, versionsListing, subdirListing, broken], reverse, limit)
    : buildListing([nullListing, subdirListing, broken], reverse, limit);
  return { ...res, headers: { ...res.headers, 'content-length': String(Buffer.byteLength(body)) }, body };
}
