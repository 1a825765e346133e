/**
 * The HTML staticweb renders: directory listings and the "listing disabled" page, byte for byte as
 * Swift's staticweb writes them.
 */
import { htmlEscape, pyQuote } from '../common/quote.js';

export interface ListingItem { name?: string; subdir?: string; bytes?: number; content_type?: string; last_modified?: string }

/** Python's round(): halves go to the even neighbour. */
function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Swift's human_readable: 1023 -> "1023", 1024 -> "1Ki", 1536 -> "2Ki". */
export function humanReadable(value: number): string {
  const suffixes = 'KMGTPEZY';
  let v = value;
  let index = -1;
  while (v >= 1024 && index + 1 < suffixes.length) {
    index += 1;
    v = pyRound(v / 1024);
  }
  if (index === -1) return String(Math.trunc(v));
  return `${pyRound(v)}${suffixes[index]}i`;
}

/** Where the listing CSS is, relative to the page being listed (absolute URLs and paths kept). */
export function cssPath(css: string, prefix: string): string {
  if (css.startsWith('/') || css.startsWith('http://') || css.startsWith('https://')) return pyQuote(css, ':/');
  return '../'.repeat((prefix.match(/\//g) ?? []).length) + pyQuote(css);
}

export function disabledListingPage(label: string, css: string, prefix: string, index: string): string {
  let body = `<!DOCTYPE html>\n<html>\n<head>\n<title>Listing of ${htmlEscape(label)}</title>\n`;
  if (css) body += `  <link rel="stylesheet" type="text/css" href="${cssPath(css, prefix)}" />\n`;
  else body += '  <style type="text/css">\n   h1 {font-size: 1em; font-weight: bold;}\n   p {font-size: 2}\n  </style>\n';
  body += '</head>\n<body>  <h1>Web Listing Disabled</h1>'
    + '   <p>The owner of this web site has disabled web listing.'
    + '   <p>If you are the owner of this web site, you can enable'
    + '   web listing by setting X-Container-Meta-Web-Listings.</p>';
  if (index) {
    body += '<h1>Index File Not Found</h1> <p>The owner of this web site has set '
      + ` <b>X-Container-Meta-Web-Index: ${index}</b>.  However, this file is not found.</p>`;
  }
  return `${body} </body>\n</html>\n`;
}

export function listingPage(opts: { label: string; css: string; prefix: string; tempUrlPrefix: string;
                                   tempUrlQuery: string; items: ListingItem[] }): string {
  const { label, css, prefix, tempUrlQuery: qs } = opts;
  let body = `<!DOCTYPE html>\n<html>\n <head>\n  <title>Listing of ${htmlEscape(label)}</title>\n`;
  if (css) {
    body += `  <link rel="stylesheet" type="text/css" href="${cssPath(css, prefix)}" />\n`;
  } else {
    body += '  <style type="text/css">\n'
      + '   h1 {font-size: 1em; font-weight: bold;}\n'
      + '   th {text-align: left; padding: 0px 1em 0px 1em;}\n'
      + '   td {padding: 0px 1em 0px 1em;}\n'
      + '   a {text-decoration: none;}\n'
      + '  </style>\n';
  }
  body += ' </head>\n <body>\n'
    + `  <h1 id="title">Listing of ${htmlEscape(label)}</h1>\n`
    + '  <table id="listing">\n'
    + '   <tr id="heading">\n'
    + '    <th class="colname">Name</th>\n'
    + '    <th class="colsize">Size</th>\n'
    + '    <th class="coldate">Date</th>\n'
    + '   </tr>\n';
  if (prefix.length > opts.tempUrlPrefix.length) {
    body += '   <tr id="parent" class="item">\n'
      + `    <td class="colname"><a href="../${qs}">../</a></td>\n`
      + '    <td class="colsize">&nbsp;</td>\n'
      + '    <td class="coldate">&nbsp;</td>\n'
      + '   </tr>\n';
  }
  for (const item of opts.items) {
    if (item.subdir === undefined) continue;
    const subdir = prefix ? item.subdir.slice(prefix.length) : item.subdir;
    body += '   <tr class="item subdir">\n'
      + `    <td class="colname"><a href="${pyQuote(subdir)}${qs}">${htmlEscape(subdir)}</a></td>\n`
      + '    <td class="colsize">&nbsp;</td>\n'
      + '    <td class="coldate">&nbsp;</td>\n'
      + '   </tr>\n';
  }
  for (const item of opts.items) {
    if (item.name === undefined) continue;
    const name = prefix ? item.name.slice(prefix.length) : item.name;
    const types = (item.content_type ?? '').split('/').map((t) => `type-${htmlEscape(t.toLowerCase())}`).join(' ');
    const modified = htmlEscape(item.last_modified ?? '').split('.')[0]!.replace('T', ' ');
    body += `   <tr class="item ${types}">\n`
      + `    <td class="colname"><a href="${pyQuote(name)}${qs}">${htmlEscape(name)}</a></td>\n`
      + `    <td class="colsize">${humanReadable(item.bytes ?? 0)}</td>\n`
      + `    <td class="coldate">${modified}</td>\n`
      + '   </tr>\n';
  }
  return `${body}  </table>\n </body>\n</html>\n`;
}
