/**
 * Which pieces of which segments make up a byte range of an SLO (Swift's
 * _byterange_listing_iterator): walks the manifest, skips whole segments before the range, descends
 * into nested SLOs only where the range needs them (fetching each sub-manifest with a GET below
 * SLO, at most 10 levels deep, the last 20 cached), and yields the object or data segments with the
 * bytes to take from each.
 */
import type { SwiftRequest } from '../../http.js';
import { subrequest } from '../../http.js';
import { isSuccess } from '../common/body.js';
import { inheritHeaders, readBody } from '../lo/subrequest.js';
import { callBelow } from '../common/call-below.js';
import { ListingIterError, type Segment } from '../lo/segmented.js';
import { annotate, type SloSegment } from './manifest.js';
import type { SloEnv } from './env.js';

export const MAX_RECURSION_DEPTH = 10;
const SUB_MANIFEST_CACHE = 20;

/** Manifest bodies larger than this are not read (4x the default manifest limit). */
const MAX_STORED_MANIFEST = 32 * 1024 * 1024;

export class SegmentLister {
  private readonly cache = new Map<string, SloSegment[]>();

  constructor(private readonly req: SwiftRequest, private readonly env: SloEnv,
              private readonly version: string, private readonly account: string) {}

  /** The segments covering bytes [first, last] (inclusive) of the SLO made of `segments`. */
  async *range(segments: SloSegment[], first: number, last: number, depth = 1): AsyncGenerator<Segment> {
    let lastSubPath: string | undefined;
    let sub: SloSegment[] = [];
    for (const seg of segments) {
      const len = seg.length;
      if (first >= len) {
        first -= len;
        last -= len;
        continue;
      }
      if (last < 0) return;
      if (seg.raw !== undefined) {
        yield { data: seg.raw, firstByte: Math.max(0, first), lastByte: Math.min(len - 1, last) };
        first -= len;
        last -= len;
        continue;
      }
      const rangeStart = seg.range ? seg.range.start : 0;
      const rangeEnd = seg.range ? seg.range.end : len - 1;
      if (seg.subSlo) {
        // Checked before fetching, so the manifest one level too deep is never read.
        if (depth >= MAX_RECURSION_DEPTH) {
          throw new ListingIterError(`While processing manifest '${this.req.path}', max recursion depth was exceeded`);
        }
        if (lastSubPath !== seg.name) sub = await this.subManifest(seg.name!);
        lastSubPath = seg.name;
        yield* this.range(sub, rangeStart + Math.max(0, first), Math.min(rangeEnd, rangeStart + last), depth + 1);
      } else {
        yield {
          path: `/${this.version}/${this.account}/${seg.name!.replace(/^\/+/, '')}`,
          firstByte: Math.max(0, first) + rangeStart,
          lastByte: Math.min(rangeEnd, rangeStart + last),
          ...(seg.hash !== undefined ? { etag: seg.hash } : {}),
          size: seg.bytes,
        };
      }
      first -= len;
      last -= len;
    }
  }

  /** GET and parse a nested manifest ("/container/object"), remembering the most recent ones. */
  private async subManifest(name: string): Promise<SloSegment[]> {
    const hit = this.cache.get(name);
    if (hit) {
      this.cache.delete(name);
      this.cache.set(name, hit);
      return hit;
    }
    const m = /^\/([^/]+)\/(.+)$/.exec(name);
    if (!m) throw new ListingIterError(`while fetching ${this.req.path}, invalid submanifest path ${name}`);
    const path = `/${this.version}/${this.account}/${m[1]}/${m[2]}`;
    const headers = inheritHeaders(this.req);
    const res = await callBelow(this.env.next, subrequest(this.req, { method: 'GET', path, headers, source: 'SLO' }));
    let body: Buffer;
    try {
      body = await readBody(res, MAX_STORED_MANIFEST);
    } catch (err) {
      throw new ListingIterError(`while fetching ${this.req.path}, reading submanifest ${path} failed: ${String(err)}`);
    }
    if (!isSuccess(res.status)) {
      const text = body.toString('utf8');
      throw new ListingIterError(`while fetching ${this.req.path}, GET of submanifest ${path} failed with status ${res.status} (${text.length <= 60 ? text : `${text.slice(0, 57)}...`})`);
    }
    let segments: SloSegment[];
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (!Array.isArray(parsed)) throw new Error('not a list');
      segments = annotate(parsed);
    } catch (err) {
      throw new ListingIterError(`while fetching ${this.req.path}, JSON-decoding of submanifest ${path} failed with ${String(err)}`);
    }
    this.cache.set(name, segments);
    if (this.cache.size > SUB_MANIFEST_CACHE) this.cache.delete(this.cache.keys().next().value!);
    return segments;
  }
}
