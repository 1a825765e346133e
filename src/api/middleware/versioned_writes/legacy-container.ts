/**
 * Container requests through legacy versioned writes (Swift's VersionedWritesMiddleware
 * .container_request and VersionedWritesContext.handle_container_request).
 *
 * X-Versions-Location (stack mode) or X-History-Location (history mode) on a container PUT/POST is
 * validated and stored as sysmeta (X-Container-Sysmeta-Versions-Location / -Versions-Mode); the
 * client headers themselves are cleared so sysmeta is the only source of truth. Both at once is 400
 * 'Only one of x-versions-location or x-history-location may be specified' (an empty one defers to
 * the other); an empty value or X-Remove-Versions-Location / X-Remove-History-Location removes
 * versioning; with allow_versioned_writes false, setting a location is 412 'Versioned Writes is
 * disabled'. Responses show the location again under the header of its mode.
 */
import { httpError } from '../../errors.js';
import type { Handler, SwiftRequest, SwiftResponse } from '../../http.js';

export const CLIENT_VERSIONS_LOC = 'x-versions-location';
export const CLIENT_HISTORY_LOC = 'x-history-location';
export const SYSMETA_VERSIONS_LOC = 'x-container-sysmeta-versions-location';
export const SYSMETA_VERSIONS_MODE = 'x-container-sysmeta-versions-mode';
const REMOVE_HEADERS = ['x-remove-versions-location', 'x-remove-history-location'];

/** Swift's check_container_format for a location value: 412 when empty or containing '/'. */
function checkContainerFormat(name: string): string {
  if (!name) throw httpError(412, 'Container name cannot be empty');
  if (name.includes('/')) throw httpError(412, 'Container name cannot contain slashes');
  return name;
}

/** Rewrite the request's versioning headers into sysmeta (a new header map). */
export function translateContainerHeaders(req: SwiftRequest, enabled: boolean): Record<string, string> {
  const h = { ...req.headers };
  if (h[CLIENT_VERSIONS_LOC] !== undefined && h[CLIENT_HISTORY_LOC] !== undefined) {
    if (!h[CLIENT_HISTORY_LOC]) {
      // Defer to the versions location entirely.
      delete h[CLIENT_HISTORY_LOC];
    } else if (h[CLIENT_VERSIONS_LOC]) {
      throw httpError(400, `Only one of ${CLIENT_VERSIONS_LOC} or ${CLIENT_HISTORY_LOC} may be specified`,
                      { 'content-type': 'text/plain' });
    } else {
      // History location given, versions location present but empty: clean it up.
      delete h[CLIENT_VERSIONS_LOC];
    }
  }
  if (h[CLIENT_VERSIONS_LOC] !== undefined || h[CLIENT_HISTORY_LOC] !== undefined) {
    const stack = h[CLIENT_VERSIONS_LOC] !== undefined;
    const val = (stack ? h[CLIENT_VERSIONS_LOC] : h[CLIENT_HISTORY_LOC])!;
    if (!val) {
      // An empty value means the same as X-Remove-Versions-Location.
      h['x-remove-versions-location'] = 'x';
    } else if (!enabled && (req.method === 'PUT' || req.method === 'POST')) {
      throw httpError(412, 'Versioned Writes is disabled', { 'content-type': 'text/plain' });
    } else {
      h[SYSMETA_VERSIONS_LOC] = checkContainerFormat(val);
      h[SYSMETA_VERSIONS_MODE] = stack ? 'stack' : 'history';
      // The container keeps no plain copy: sysmeta is now the only source of the location.
      h[CLIENT_VERSIONS_LOC] = '';
      h[CLIENT_HISTORY_LOC] = '';
      // Adding a location wins over removing one in the same request.
      for (const r of REMOVE_HEADERS) delete h[r];
    }
  }
  if (REMOVE_HEADERS.some((r) => h[r])) {
    h[CLIENT_VERSIONS_LOC] = '';
    h[CLIENT_HISTORY_LOC] = '';
    h[SYSMETA_VERSIONS_LOC] = '';
    h[SYSMETA_VERSIONS_MODE] = '';
  }
  for (const r of REMOVE_HEADERS) delete h[r];
  return h;
}

/** Show the sysmeta location to the client under the header of its mode. */
export function addLocationHeader(res: SwiftResponse): SwiftResponse {
  const location = res.headers[SYSMETA_VERSIONS_LOC];
  if (!location) return res;
  const header = res.headers[SYSMETA_VERSIONS_MODE] === 'history' ? CLIENT_HISTORY_LOC : CLIENT_VERSIONS_LOC;
  return { ...res, headers: { ...res.headers, [header]: location } };
}

export async function legacyContainerRequest(req: SwiftRequest, next: Handler, enabled: boolean): Promise<SwiftResponse> {
  const headers = translateContainerHeaders(req, enabled);
  return addLocationHeader(await next({ ...req, headers }));
}
