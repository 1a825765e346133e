/**
 * Fetching a container listing page from the store for the validated query, including Swift's
 * `path=` listing: the objects directly "inside" a pseudo-directory (names under `path/` with no
 * further '/'), never the directory marker itself and never subdir entries. The store rolls names
 * up by delimiter, so for `path` we skip its subdir entries and continue past them (Swift's
 * ContainerBroker sets marker = name[:end] + chr(ord('/') + 1) there) until the page is full.
 */
import type { ListQuery, ObjectListEntry, ObjectStore, SubdirEntry } from '../../storage/store.js';
import { isSubdir } from '../../storage/store.js';
import type { ListingParams } from '../listing.js';

export async function listContainerPage(store: ObjectStore, account: string, container: string,
                                        p: ListingParams): Promise<Array<ObjectListEntry | SubdirEntry>> {
  const base: ListQuery = {
    limit: p.limit,
    reverse: p.reverse,
    ...(p.marker !== undefined ? { marker: p.marker } : {}),
    ...(p.endMarker !== undefined ? { endMarker: p.endMarker } : {}),
    ...(p.prefix !== undefined ? { prefix: p.prefix } : {}),
    ...(p.delimiter !== undefined ? { delimiter: p.delimiter } : {}),
  };
  if (p.limit === 0) return [];
  if (p.path === undefined) {
    return (await store.listObjects({ account, container }, base)).entries;
  }
  const prefix = p.path ? `${p.path.replace(/\/+$/, '')}/` : '';
  const out: Array<ObjectListEntry | SubdirEntry> = [];
  let marker = p.marker;
  // Bounded: every round either fills the page, ends the listing, or moves the marker forward.
  for (;;) {
    const want = p.limit - out.length;
    const page = await store.listObjects({ account, container }, {
      ...base, prefix, delimiter: '/', limit: want,
      ...(marker !== undefined ? { marker } : {}),
    });
    for (const e of page.entries) {
      if (isSubdir(e)) continue;
      if (e.name === prefix) continue;
      out.push(e);
    }
    if (page.entries.length < want || out.length >= p.limit) break;
    const last = page.entries[page.entries.length - 1]!;
    if (isSubdir(last)) {
      // Skip the whole pseudo-directory: forward past 'dir/' + everything in it; in reverse, before it.
      marker = p.reverse ? last.subdir : `${last.subdir.slice(0, -1)}0`;
    } else {
      marker = last.name;
    }
  }
  return out.slice(0, p.limit);
}
