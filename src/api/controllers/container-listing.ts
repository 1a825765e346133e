/**
 * Fetching a container listing page from the store for the validated query, including Swift's
 * `path=` listing (ContainerBroker.list_objects_iter with path): the objects directly "inside" a
 * pseudo-directory, i.e. names under `path/` with no further '/' except a trailing one (so the
 * directory markers of the next level, 'path/dir/', are listed as the objects they are), never the
 * marker `path/` itself and never subdir entries. Names nested deeper are skipped a whole
 * pseudo-directory at a time, with Swift's markers, until the page is full.
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
  // Swift: prefix = path.rstrip('/') + '/' (an empty path lists the top level).
  const prefix = p.path ? `${p.path.replace(/\/+$/, '')}/` : '';
  const { delimiter: _ignored, ...query } = base;
  const out: ObjectListEntry[] = [];
  let marker = p.marker;
  // Bounded: every round either fills the page, ends the listing, or moves the marker forward.
  for (;;) {
    const want = p.limit - out.length;
    const page = await store.listObjects({ account, container }, {
      ...query, prefix, limit: want, ...(marker !== undefined ? { marker } : {}),
    });
    let skipTo: string | undefined;
    for (const e of page.entries) {
      if (isSubdir(e)) continue;
      if (e.name === prefix) continue;
      const end = e.name.indexOf('/', prefix.length);
      if (end >= 0 && e.name.length > end + 1) {
        // Something deeper: skip that whole pseudo-directory (forward: past name[:end] + '0', as
        // '0' follows '/'; reversed: before 'dir/'), then query again.
        skipTo = p.reverse ? e.name.slice(0, end + 1) : `${e.name.slice(0, end)}0`;
        break;
      }
      // Names directly inside, including directory markers ('dir/' objects) one level down.
      out.push(e);
    }
    if (out.length >= p.limit) break;
    if (skipTo !== undefined) {
      marker = skipTo;
      continue;
    }
    if (page.entries.length < want) break;
    const last = page.entries[page.entries.length - 1]!;
    marker = isSubdir(last) ? last.subdir : last.name;
  }
  return out;
}
