/**
 * Header rules of a temp URL request (Swift's tempurl incoming/outgoing header filtering and
 * Content-Disposition), kept apart from the signature logic.
 */
import { pyQuote } from '../common/quote.js';

/** A header list as Swift configures it: names, or prefixes ending in '*'. */
export class HeaderMatcher {
  private readonly exact = new Set<string>();
  private readonly prefixes: string[] = [];
  constructor(names: string[]) {
    for (const n of names.map((s) => s.toLowerCase())) {
      if (n.endsWith('*')) this.prefixes.push(n.slice(0, -1));
      else this.exact.add(n);
    }
  }
  matches(name: string): boolean {
    return this.exact.has(name) || this.prefixes.some((p) => name.startsWith(p));
  }
}

/** Remove the headers `remove` names unless `allow` names them (both Swift's rules). */
export function filterHeaders(headers: Record<string, string>, remove: HeaderMatcher,
                              allow: HeaderMatcher): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (!allow.matches(k) && remove.matches(k)) continue;
    out[k] = v;
  }
  return out;
}

/** Headers a PUT/POST/DELETE through a temp URL may not carry (they would point at other data). */
export const DISALLOWED_INCOMING = ['x-object-manifest', 'x-symlink-target'];

/** RFC 6266 disposition with both a quoted filename and an RFC 5987 filename* (Swift's disposition_format). */
export function dispositionFormat(type: 'inline' | 'attachment', filename: string): string {
  return `${type}; filename="${pyQuote(filename, ' /')}"; filename*=UTF-8''${pyQuote(filename)}`;
}

/** The Content-Disposition Swift chooses for a successful GET/HEAD through a temp URL. */
export function chooseDisposition(opts: { inline: boolean; filename?: string; existing?: string; path: string }): string {
  let value: string;
  if (opts.inline) value = opts.filename ? dispositionFormat('inline', opts.filename) : 'inline';
  else if (opts.filename) value = dispositionFormat('attachment', opts.filename);
  else if (opts.existing) value = opts.existing;
  else {
    const trimmed = opts.path.replace(/\/+$/, '');
    value = dispositionFormat('attachment', trimmed.slice(trimmed.lastIndexOf('/') + 1));
  }
  return value.replace(/\n/g, '%0A');
}
