/**
 * Splitting a decoded Swift path into its parts (Swift's split_path(path, 1, 4, rest_with_last=True)),
 * for the middlewares that need to know what a request addresses before the proxy does.
 */

export interface SwiftPath {
  version: string;
  account: string;
  container?: string;
  /** Everything after the container, slashes included. */
  object?: string;
}

/**
 * `/v1/a`, `/v1/a/c`, `/v1/a/c/o/with/slashes` -> parts; undefined when the path is not of that shape
 * (no leading slash, empty account, or an empty container before an object). A trailing slash on an
 * account or container path is allowed (Swift keeps `/v1/a/c/` a container path).
 */
export function splitSwiftPath(path: string): SwiftPath | undefined {
  if (!path.startsWith('/')) return undefined;
  const parts = path.split('/');
  const version = parts[1];
  const account = parts[2];
  if (!version || !account) return undefined;
  if (parts.length <= 3) return { version, account };
  const container = parts[3]!;
  const object = parts.slice(4).join('/');
  if (!container) return parts.length === 4 || object === '' ? { version, account } : undefined;
  if (parts.length === 4 || object === '') return { version, account, container };
  return { version, account, container, object };
}

/** Swift's API versions that address accounts ('v1', 'v1.0'). */
export function isApiVersion(version: string): boolean {
  return version === 'v1' || version === 'v1.0';
}

/** Join parts into a decoded path. */
export function joinSwiftPath(version: string, account: string, container?: string, object?: string): string {
  let p = `/${version}/${account}`;
  if (container !== undefined) p += `/${container}`;
  if (object !== undefined) p += `/${object}`;
  return p;
}
