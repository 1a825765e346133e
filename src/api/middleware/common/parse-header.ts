/**
 * Python's cgi.parse_header (which Swift uses on listing etags such as
 * `d41d8...; symlink_target=c/o; slo_etag=...`): the value before the first ';' and a map of the
 * `name=value` parameters after it (names lower-cased, surrounding quotes removed, parameters
 * without '=' dropped). Map order is the order of the parameters.
 */
export function parseHeader(line: string): { value: string; params: Map<string, string> } {
  const parts = splitParams(`;${line}`);
  const value = parts.shift() ?? '';
  const params = new Map<string, string>();
  for (const p of parts) {
    const i = p.indexOf('=');
    if (i < 0) continue;
    const name = p.slice(0, i).trim().toLowerCase();
    let v = p.slice(i + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
      v = v.slice(1, -1).replace(/\\\\/g, '\\').replace(/\\"/g, '"');
    }
    params.set(name, v);
  }
  return { value, params };
}

/** cgi._parseparam: split on ';' outside double quotes, each part stripped. */
function splitParams(s: string): string[] {
  const out: string[] = [];
  while (s.startsWith(';')) {
    s = s.slice(1);
    let end = s.indexOf(';');
    while (end > 0 && (count(s, '"', end) - count(s, '\\"', end)) % 2) end = s.indexOf(';', end + 1);
    if (end < 0) end = s.length;
    out.push(s.slice(0, end).trim());
    s = s.slice(end);
  }
  return out;
}

function count(s: string, needle: string, end: number): number {
  let n = 0;
  for (let i = s.indexOf(needle); i >= 0 && i + needle.length <= end; i = s.indexOf(needle, i + needle.length)) n++;
  return n;
}
