/**
 * Python's urllib.parse.quote / unquote and html.escape, which Swift uses when it builds URLs, headers
 * and HTML: percent-encode the UTF-8 bytes of everything except letters, digits, `_.-~` and `safe`.
 */

const ALWAYS_SAFE = /[A-Za-z0-9_.\-~]/;

export function pyQuote(s: string, safe = '/'): string {
  let out = '';
  for (const ch of s) {
    if (ALWAYS_SAFE.test(ch) || (safe.includes(ch) && ch.length === 1)) {
      out += ch;
    } else {
      for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** urllib.parse.unquote: %XX sequences decoded as UTF-8 (invalid sequences replaced), '+' kept. */
export function pyUnquote(s: string): string {
  if (!s.includes('%')) return s;
  return unquoteBytes(s).toString('utf8');
}

/**
 * The bytes `s` stands for once its %XX sequences are decoded (urllib.parse.unquote_to_bytes).
 * Other characters count as their UTF-8 bytes, or with `latin1` as one byte each: how Node hands
 * over raw header and body bytes, which Swift reads with wsgi_unquote.
 */
export function unquoteBytes(s: string, latin1 = false): Buffer {
  if (!s.includes('%')) return Buffer.from(s, latin1 ? 'latin1' : 'utf8');
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (latin1) {
      bytes.push(s.charCodeAt(i) & 0xff);
    } else {
      for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes);
}

/** html.escape(s, quote=True). */
export function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
}

/** xml.sax.saxutils.escape: only &, < and >. */
export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
