/**
 * Content-Type of a new object, as Swift's proxy picks it (ObjectController._update_content_type):
 * the client's Content-Type, unless it is absent/empty or X-Detect-Content-Type is true, in which
 * case it is guessed from the object name the way Python's mimetypes.guess_type does, falling back
 * to application/octet-stream.
 *
 * guess_type looks only at the last path segment's extension, first expanding the tarball suffixes
 * (.tgz -> .tar.gz ...) and stripping one compression suffix (.gz, .bz2, .xz, .Z, .br), so
 * "notes.txt.gz" is text/plain (with gzip encoding, which Swift ignores). The table is Python's own
 * (python-mimetypes.ts), then mime-db's (the `mime-types` package) in place of the host's
 * /etc/mime.types.
 */
import mime from 'mime-types';
import { pythonTypeFor } from './python-mimetypes.js';
import { isTrue } from '../../middleware/common/options.js';

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

const SUFFIX_MAP: Record<string, string> = {
  '.svgz': '.svg.gz', '.tgz': '.tar.gz', '.taz': '.tar.gz', '.tz': '.tar.gz', '.tbz2': '.tar.bz2', '.txz': '.tar.xz',
};
const ENCODINGS = new Set(['.gz', '.Z', '.bz2', '.xz', '.br']);

/** posixpath.splitext: the extension of the last segment, ignoring leading dots. */
function splitext(path: string): [string, string] {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  if (dot <= slash) return [path, ''];
  // Leading dots of the segment do not start an extension (".bashrc" has none).
  let first = slash + 1;
  while (first < path.length && path[first] === '.') first++;
  if (dot < first) return [path, ''];
  return [path.slice(0, dot), path.slice(dot)];
}

/** mimetypes.guess_type(name)[0], or undefined when nothing is known for the name. */
export function guessContentType(name: string): string | undefined {
  let [base, ext] = splitext(name);
  while (ext in SUFFIX_MAP) [base, ext] = splitext(base + SUFFIX_MAP[ext]!);
  if (ENCODINGS.has(ext)) [base, ext] = splitext(base);
  if (!ext) return undefined;
  const python = pythonTypeFor(ext);
  if (python) return python;
  const t = mime.lookup(ext);
  return t === false ? undefined : t;
}

/**
 * The Content-Type to store for a PUT of `objectName` with these request headers (the header value
 * as the client sent it, still in Node's latin-1 form; the caller decodes it).
 */
export function contentTypeForPut(headers: Record<string, string>, objectName: string): string {
  const given = headers['content-type'];
  if (!isTrue(headers['x-detect-content-type']) && given) return given;
  return guessContentType(objectName) ?? DEFAULT_CONTENT_TYPE;
}
