/**
 * The temp URL query parameters as Swift's tempurl reads them (_get_temp_url_info).
 */
import { BlockList, isIP } from 'node:net';

export interface TempUrlParams {
  sig?: string;
  /** Unix seconds; 0 when unparseable or already past (Swift folds both into "invalid"). */
  expires?: number;
  prefix?: string;
  filename?: string;
  inline: boolean;
  ipRange?: string;
}

/** '%Y-%m-%dT%H:%M:%SZ' exactly (Swift's EXPIRES_ISO8601_FORMAT). */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Parse temp_url_expires: an integer, or an ISO 8601 UTC time; 0 when neither. */
export function parseExpires(value: string): number {
  if (/^\s*[-+]?\d+\s*$/.test(value)) return parseInt(value, 10);
  const m = ISO_8601.exec(value);
  if (!m) return 0;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 61) return 0;
  return Math.floor(Date.UTC(y, mo - 1, d, h, mi, s) / 1000);
}

export function readTempUrlParams(query: URLSearchParams, nowSeconds = Date.now() / 1000): TempUrlParams {
  const out: TempUrlParams = { inline: query.has('inline') };
  const sig = query.get('temp_url_sig');
  if (sig !== null) out.sig = sig;
  const expires = query.get('temp_url_expires');
  if (expires !== null) {
    const n = parseExpires(expires);
    out.expires = n < nowSeconds ? 0 : n;
  }
  const prefix = query.get('temp_url_prefix');
  if (prefix !== null) out.prefix = prefix;
  const filename = query.get('filename');
  if (filename !== null) out.filename = filename;
  const ipRange = query.get('temp_url_ip_range');
  if (ipRange !== null) out.ipRange = ipRange;
  return out;
}

/**
 * Is `address` inside `range` (an address or a CIDR network, as Python's ip_network reads it)?
 * undefined when the range is not valid (Swift answers 401).
 */
export function ipInRange(address: string, range: string): boolean | undefined {
  const [net, bitsText] = range.split('/', 2) as [string, string | undefined];
  const family = isIP(net);
  if (family === 0) return undefined;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const max = family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? max : /^\d+$/.test(bitsText) ? Number(bitsText) : NaN;
  if (!(bits >= 0 && bits <= max)) return undefined;
  const addrFamily = isIP(address);
  if (addrFamily !== family) return addrFamily === 0 ? undefined : false;
  const list = new BlockList();
  list.addSubnet(net, bits, type);
  return list.check(address, type);
}
