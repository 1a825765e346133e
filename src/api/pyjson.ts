/**
 * JSON text byte-for-byte as Python's json.dumps writes it, because Swift's bodies (listings, /info,
 * ACL headers) are json.dumps output and clients and tests compare them: ensure_ascii (every non-ASCII
 * character as \uXXXX, astral ones as surrogate pairs), ", " and ": " separators by default, and
 * optional sort_keys / compact separators.
 */

export interface DumpOptions {
  /** separators=(',', ':') instead of (', ', ': '). */
  compact?: boolean;
  sortKeys?: boolean;
}

/** A JSON string literal with ensure_ascii escaping. */
export function pyString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (ch) => {
    if (ch === '\u007f') return ch;
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

export function pyDumps(value: unknown, opts: DumpOptions = {}): string {
  const itemSep = opts.compact ? ',' : ', ';
  const keySep = opts.compact ? ':' : ': ';
  const dump = (v: unknown): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'string') return pyString(v);
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : v < 0 ? '-Infinity' : 'NaN';
      return String(v);
    }
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (Array.isArray(v)) return `[${v.map(dump).join(itemSep)}]`;
    if (typeof v === 'object') {
      let keys = Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
      if (opts.sortKeys) keys = keys.sort();
      return `{${keys.map((k) => `${pyString(k)}${keySep}${dump((v as Record<string, unknown>)[k])}`).join(itemSep)}}`;
    }
    return pyString(String(v));
  };
  return dump(value);
}

/** Python's repr() of a str (used in Swift's error messages, e.g. "Syntax error in input ('x')"). */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

const ALWAYS_SAFE = /[A-Za-z0-9_.\-~]/;

/** Python's urllib.parse.quote(s, safe): percent-encode the UTF-8 bytes of everything not safe. */
export function pyQuote(s: string, safe = '/'): string {
  let out = '';
  for (const ch of s) {
    if (ALWAYS_SAFE.test(ch) || safe.includes(ch)) { out += ch; continue; }
    for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
