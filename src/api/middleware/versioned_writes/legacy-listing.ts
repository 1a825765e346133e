/**
 * Walking the archive container's versions of one object, newest first (Swift's
 * VersionedWritesContext._listing_iter / _listing_pages_iter): reverse prefix listings fetched
 * page by page below us, pre-authorized. A missing archive container ends the walk (nothing to
 * restore); another client error is 412; anything else is a 500.
 */
import { SwiftHttpError } from '../../errors.js';
import { subrequest, type Handler, type SwiftRequest } from '../../http.js';
import { callBelow, drain, readJson } from '../common/call-below.js';
import { isClientError, isSuccess } from '../common/body.js';
import { pyQuote } from '../common/quote.js';

export interface ListingItem { name: string; content_type: string; [k: string]: unknown }

export async function* versionsNewestFirst(req: SwiftRequest, next: Handler, account: string,
                                           container: string, prefix: string, source: string): AsyncGenerator<ListingItem> {
  let marker = '';
  for (;;) {
    const lreq = subrequest(req, {
      method: 'GET', path: `/v1/${account}/${container}`, source, preAuthorized: true,
      query: `prefix=${pyQuote(prefix)}&marker=${pyQuote(marker)}&reverse=on&format=json`,
    });
    const res = await callBelow(next, lreq);
    if (!isSuccess(res.status)) {
      drain(res);
      if (res.status === 404) return;
      if (isClientError(res.status)) throw new SwiftHttpError(412);
      throw new SwiftHttpError(500);
    }
    const page = await readJson(res);
    if (!Array.isArray(page) || page.length === 0) return;
    for (const item of page as ListingItem[]) yield item;
    marker = (page[page.length - 1] as ListingItem).name;
  }
}
