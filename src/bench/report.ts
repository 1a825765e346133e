/** The bench report: a compact table for people, or JSON for scripts. */
import type { BenchResults, Peak } from './results.js';
import { MiB, round } from './stats.js';

function mib(p: Peak | undefined): string {
  if (!p) return 'n/a';
  return `${(p.bytes / MiB).toFixed(1)} MiB${p.exact ? '' : ' (sampled)'}`;
}

function row(cells: Array<string | number>, widths: number[]): string {
  return `  ${cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ')}`.trimEnd();
}

export function formatTable(r: BenchResults): string {
  const out: string[] = [`target: ${r.target}`, `filesystem: ${r.dir}`];
  if (r.large) {
    const l = r.large;
    const w = [22, 10, 14, 7, 16, 7];
    out.push('', `large object, ${l.mib} MiB, streamed   (raw = Node file stream on the same filesystem, write includes fsync; `
      + 'plain HTTP = a bare Node server on loopback: file stream out, file + MD5 + fsync in)');
    out.push(row(['', 'MB/s', 'raw fs MB/s', 'ratio', 'plain HTTP MB/s', 'ratio'], w));
    const line = (op: string, rate: number, raw: number, plain: number): string =>
      row([op, rate.toFixed(1), raw.toFixed(1), (rate / raw).toFixed(2), plain.toFixed(1), (rate / plain).toFixed(2)], w);
    out.push(line('PUT', l.putMBps, l.rawWriteMBps, l.plainPutMBps));
    out.push(line('GET', l.getMBps, l.rawReadMBps, l.plainGetMBps));
    if (l.rss) out.push(`  peak RSS ${mib(l.rss)}`);
  }
  if (r.small) {
    const s = r.small;
    const w = [22, 10, 9, 9];
    out.push('', `small objects, ${s.kib} KiB, ${s.count} per op, concurrency ${s.concurrency} (keep-alive)${s.warmUp ? `, after an uncounted warm-up of ${s.warmUp}` : ''}`);
    out.push(row(['', 'ops/s', 'p50 ms', 'p99 ms'], w));
    for (const o of s.ops) out.push(row([o.op, o.opsPerSec.toFixed(0), o.p50Ms.toFixed(2), o.p99Ms.toFixed(2)], w));
    if (s.rss) out.push(`  peak RSS ${mib(s.rss)}`);
  }
  if (r.listing) {
    const l = r.listing;
    out.push('', `listing, container of ${l.objects} objects (filled at ${l.createOpsPerSec.toFixed(0)} PUT/s)`);
    out.push(`  ${l.pageEntries}-entry JSON page: first ${l.firstPageMs.toFixed(1)} ms, from the middle ${l.middlePageMs.toFixed(1)} ms (median of 3)`);
    if (l.rss) out.push(`  peak RSS ${mib(l.rss)}`);
  }
  if (r.rssCheck) {
    const c = r.rssCheck;
    out.push('', `streaming check: ${c.objects} × ${c.gib} GiB PUT concurrently in ${c.seconds.toFixed(1)} s (${c.MBps.toFixed(1)} MB/s total)`);
    if (c.rss) out.push(`  peak RSS ${mib(c.rss)}`);
  }
  out.push('', `server peak RSS (whole run): ${mib(r.peakRss)}`);
  return `${out.join('\n')}\n`;
}

/** JSON with rounded numbers and the ratios spelled out. */
export function toJson(r: BenchResults): string {
  const peak = (p: Peak | undefined): number | 'n/a' => (p ? round(p.bytes / MiB) : 'n/a');
  return `${JSON.stringify({
    target: r.target,
    dir: r.dir,
    large: r.large && {
      mib: r.large.mib,
      put_mbps: round(r.large.putMBps), get_mbps: round(r.large.getMBps),
      raw_write_mbps: round(r.large.rawWriteMBps), raw_read_mbps: round(r.large.rawReadMBps),
      put_ratio: round(r.large.putMBps / r.large.rawWriteMBps, 3), get_ratio: round(r.large.getMBps / r.large.rawReadMBps, 3),
      plain_put_mbps: round(r.large.plainPutMBps), plain_get_mbps: round(r.large.plainGetMBps),
      put_plain_ratio: round(r.large.putMBps / r.large.plainPutMBps, 3), get_plain_ratio: round(r.large.getMBps / r.large.plainGetMBps, 3),
      peak_rss_mib: peak(r.large.rss),
    },
    small: r.small && {
      kib: r.small.kib, count: r.small.count, concurrency: r.small.concurrency, warm_up: r.small.warmUp ?? 0,
      ops: Object.fromEntries(r.small.ops.map((o) => [o.op, { ops_per_sec: round(o.opsPerSec), p50_ms: round(o.p50Ms, 2), p99_ms: round(o.p99Ms, 2) }])),
      peak_rss_mib: peak(r.small.rss),
    },
    listing: r.listing && {
      objects: r.listing.objects, create_ops_per_sec: round(r.listing.createOpsPerSec), page_entries: r.listing.pageEntries,
      first_page_ms: round(r.listing.firstPageMs, 1), middle_page_ms: round(r.listing.middlePageMs, 1),
      peak_rss_mib: peak(r.listing.rss),
    },
    rss_check: r.rssCheck && {
      objects: r.rssCheck.objects, gib: r.rssCheck.gib, seconds: round(r.rssCheck.seconds), total_mbps: round(r.rssCheck.MBps),
      peak_rss_mib: peak(r.rssCheck.rss),
    },
    peak_rss_mib: peak(r.peakRss),
  }, null, 2)}\n`;
}
