/**
 * Container listings through the symlink middleware (Swift's SymlinkContainerContext): a symlink's
 * listing etag carries its target as parameters (`d41d8...; symlink_target=c/o;
 * symlink_target_etag=...`, see object.ts); they are taken out of `hash` and shown as
 * `symlink_path` (`/v1/<account>/<container>/<object>`, quoted), `symlink_etag` and `symlink_bytes`.
 * Other parameters (SLO's slo_etag) stay in `hash` for the middlewares above.
 *
 * The controller always answers listings in JSON (listing_formats converts above us), so the body
 * is JSON here; anything else passes through untouched.
 */
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import { pyDumps } from '../../pyjson.js';
import { parseJson } from '../common/call-below.js';
import { readSmallBody, isSuccess } from '../common/body.js';
import { parseHeader } from '../common/parse-header.js';
import { pyQuote } from '../common/quote.js';

export async function addSymlinkListingKeys(req: SwiftRequest, res: SwiftResponse,
                                            version: string, account: string): Promise<SwiftResponse> {
  if (req.method !== 'GET' || !isSuccess(res.status) || res.body === undefined) return res;
  const raw = await readSmallBody(res);
  const listing = parseJson(raw);
  if (!Array.isArray(listing)) return { ...res, body: raw };
  const out = listing.map((item: unknown) => extractSymlinkPath(item as Record<string, unknown>, version, pyQuote(account)));
  const body = pyDumps(out);
  return { ...res, headers: { ...res.headers, 'content-length': String(Buffer.byteLength(body)) }, body };
}

function extractSymlinkPath(item: Record<string, unknown>, version: string, account: string): Record<string, unknown> {
  if (typeof item.hash !== 'string') return item;
  const { value, params } = parseHeader(item.hash);
  let hash = value;
  let target: string | undefined;
  const extra: Record<string, unknown> = {};
  for (const [k, v] of params) {
    if (k === 'symlink_target') target = v;
    else if (k === 'symlink_target_account') account = v;
    else if (k === 'symlink_target_etag') extra.symlink_etag = v;
    else if (k === 'symlink_target_bytes') extra.symlink_bytes = Number.parseInt(v, 10);
    else hash += `; ${k}=${v}`;
  }
  const out: Record<string, unknown> = { ...item, hash, ...extra };
  if (target) out.symlink_path = `/${version}/${account}/${target}`;
  return out;
}
