/**
 * The bodies of `cairn heal info|full|split-brain` (see heal.ts for what each does). Each opens the
 * volume beside any running gateway (maintenance-volume.ts), does its work and closes it.
 */
import cliProgress from 'cli-progress';
import { healerOptions } from '../config-heal.js';
import type { ObjectRecord } from '../storage/brick/brick.js';
import { Healer, type CrawlSummary, type SplitBrainEntry } from '../storage/heal.js';
import type { SetCrawlCounts } from '../storage/heal-crawl.js';
import { chooseSource } from '../storage/heal-source.js';
import { refKey, splitBrainEntry } from '../storage/heal-state.js';
import { describeError, probeMember, type MemberStatus } from '../storage/member-status.js';
import type { ObjectRef } from '../storage/store.js';
import type { Volume } from '../storage/volume.js';
import type { HealCliOptions } from './heal.js';
import { openMaintenance } from './maintenance-volume.js';

/** Marks read per brick at most (a count past it shows as "N+"). */
const MARK_CAP = 100_000;

export interface BrickHealInfo {
  set: number;
  brick: string;
  id: string;
  status: MemberStatus;
  dirty: number;
  pending: number;
  /** The brick holds at least this many marks (more than were read). */
  capped: boolean;
  entries: Array<{ object: string; kind: 'dirty' | 'pending'; blamed: string[]; timestamp: string }>;
}

/** Each brick of the volume with its status and heal marks. */
export async function brickHealInfo(volume: Volume, entries: number): Promise<BrickHealInfo[]> {
  const min = volume.spec.minFreeDiskPercent ?? 10;
  const r = volume.spec.replica;
  const out = await Promise.all(volume.sets.flatMap((set) => set.members.map(async (m, pos): Promise<BrickHealInfo> => {
    const status = await probeMember(m, min);
    const info: BrickHealInfo = {
      set: set.index, brick: volume.spec.bricks[set.index * r + pos] ?? m.id, id: m.id, status,
      dirty: 0, pending: 0, capped: false, entries: [],
    };
    if (!status.up) return info;
    try {
      const marks = await m.call((b) => b.listMarks(MARK_CAP));
      info.dirty = marks.filter((k) => k.kind === 'dirty').length;
      info.pending = marks.length - info.dirty;
      info.capped = marks.length >= MARK_CAP;
      info.entries = marks.slice(0, entries).map((k) => ({ object: path(k.ref), kind: k.kind, blamed: k.blamed, timestamp: k.timestamp }));
    } catch (err) {
      info.status = { ...status, up: false, detail: describeError(err) };
    }
    return info;
  })));
  return out;
}

export async function healInfo(o: HealCliOptions): Promise<string> {
  const { volume } = await openMaintenance(o);
  try {
    const bricks = await brickHealInfo(volume, o.entries ?? 10);
    if (o.json) return JSON.stringify({ volume: volume.spec.id, bricks }, null, 2);
    const lines: string[] = [];
    for (const b of bricks) {
      lines.push(`Brick ${b.brick}  (set ${b.set}, id ${b.id})`);
      lines.push(`Status: ${b.status.up ? 'Connected' : `Disconnected${b.status.detail ? ` (${b.status.detail})` : ''}`}`);
      if (b.status.up) {
        const plus = b.capped ? '+' : '';
        lines.push(`Number of entries: ${b.dirty + b.pending}${plus} (pending ${b.pending}, dirty ${b.dirty})`);
        for (const e of b.entries) {
          lines.push(`  ${e.object}  ${e.kind}${e.blamed.length ? ` -> ${e.blamed.join(', ')}` : ''}  @${e.timestamp}`);
        }
        const more = b.dirty + b.pending - b.entries.length;
        if (more > 0) lines.push(`  … ${more}${plus} more`);
      } else {
        lines.push('Number of entries: -');
      }
      lines.push('');
    }
    return lines.join('\n');
  } finally {
    await volume.close();
  }
}

export async function healFull(o: HealCliOptions): Promise<{ text: string; ok: boolean }> {
  const { volume, heal } = await openMaintenance(o);
  const healer = new Healer(volume, { ...healerOptions(heal), intervalMs: 0, fullCrawlIntervalMs: 0 });
  const stop = (): void => { void healer.stop(); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const view = progress(o.quiet === true || o.json === true, await estimateRecords(volume));
    const summary = await healer.fullCrawl({ onProgress: (p) => view.update(p), graceMs: (o.grace ?? 5) * 1000 });
    view.stop();
    const split = healer.status().splitBrain;
    const failed = summary.sets.reduce((n, s) => n + s.failed + s.partial, 0) + (summary.index ? summary.index.failed + summary.index.partial : 0);
    const ok = !summary.aborted && failed === 0;
    return { text: o.json ? JSON.stringify({ ...summary, splitBrain: split }, null, 2) : formatCrawl(summary, split), ok };
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await healer.stop();
    await volume.close();
  }
}

export async function healSplitBrain(o: HealCliOptions): Promise<string> {
  const { volume, heal } = await openMaintenance(o);
  try {
    let found: SplitBrainEntry[];
    if (o.crawl) {
      const healer = new Healer(volume, { ...healerOptions(heal), intervalMs: 0 });
      await healer.fullCrawl({ dryRun: true, graceMs: 0 });
      found = healer.status().splitBrain;
    } else {
      found = await splitBrainFromMarks(volume);
    }
    if (o.json) return JSON.stringify(found, null, 2);
    if (found.length === 0) return `No split-brain entries${o.crawl ? '' : ' among the objects with heal marks (--crawl looks at every object)'}.`;
    const lines = [`${found.length} object${found.length === 1 ? '' : 's'} in split-brain (policy: ${heal.favoriteChildPolicy}):`];
    for (const e of found) {
      lines.push(`${path(e.ref)}  @${e.timestamp}  (set ${e.set})`);
      for (const c of e.candidates) {
        lines.push(`  ${c.deleted ? 'deleted' : `${c.size} bytes, etag ${c.etag}, data @${c.dataTimestamp}`}  on ${c.bricks.join(', ')}`);
      }
    }
    return lines.join('\n');
  } finally {
    await volume.close();
  }
}

/** Split-brains among the objects the heal marks point at: what each replica holds, compared. */
async function splitBrainFromMarks(volume: Volume): Promise<SplitBrainEntry[]> {
  const out: SplitBrainEntry[] = [];
  for (const set of volume.sets) {
    const refs = new Map<string, ObjectRef>();
    for (const m of set.members) {
      if (!m.up) continue;
      const marks = await m.call((b) => b.listMarks(MARK_CAP)).catch(() => []);
      for (const k of marks) refs.set(refKey(k.ref), k.ref);
    }
    for (const ref of refs.values()) {
      const answers = new Map<number, ObjectRecord | undefined>();
      await Promise.all(set.members.map(async (m, i) => {
        if (m.up) answers.set(i, await m.call((b) => b.getRecord(ref)).catch(() => undefined));
      }));
      const split = chooseSource(answers, 'none', set.size).splitBrain;
      if (split) out.push(splitBrainEntry(set, ref, split, Date.now()));
    }
  }
  return out;
}

/** About how many records a crawl will scan: live objects per set (tombstones are not counted anywhere). */
async function estimateRecords(volume: Volume): Promise<number> {
  let total = 0;
  for (const set of volume.sets) {
    const m = set.members.find((x) => x.up);
    if (!m) continue;
    try {
      for (let after: string | undefined; ;) {
        const accounts = await m.call((b) => b.scanAccounts(after, 1000));
        for (const a of accounts) total += (await set.accountUsage(a.account)).objectCount;
        if (accounts.length < 1000) break;
        after = accounts[accounts.length - 1]!.account;
      }
    } catch {
      // an estimate only
    }
  }
  return total;
}

interface Progress { update(p: SetCrawlCounts): void; stop(): void }

/** A progress bar on a terminal's stderr, a line every few seconds elsewhere, nothing when quiet. */
function progress(quiet: boolean, estimate: number): Progress {
  if (quiet) return { update() {}, stop() {} };
  const perSet = new Map<number, SetCrawlCounts>();
  const sum = (k: 'scanned' | 'healed' | 'reclaimed' | 'splitBrain' | 'failed' | 'partial'): number =>
    [...perSet.values()].reduce((n, c) => n + c[k], 0);
  if (!process.stderr.isTTY) {
    let last = 0;
    return {
      update(p) {
        perSet.set(p.set, p);
        if (Date.now() - last < 5000) return;
        last = Date.now();
        process.stderr.write(`heal full: ${sum('scanned')}/~${estimate} scanned, ${sum('healed')} healed, ${sum('reclaimed')} reclaimed, `
          + `${sum('splitBrain')} split-brain, ${sum('failed') + sum('partial')} not healed\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar({
    format: '  heal full {bar} {percentage}% | {value}/~{total} scanned | {healed} healed | {reclaimed} reclaimed | {split} split-brain | set {set}',
    stream: process.stderr, hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  bar.start(Math.max(estimate, 1), 0, { healed: 0, reclaimed: 0, split: 0, set: 0 });
  return {
    update(p) {
      perSet.set(p.set, p);
      const scanned = sum('scanned');
      bar.setTotal(Math.max(estimate, scanned, 1));
      bar.update(scanned, { healed: sum('healed'), reclaimed: sum('reclaimed'), split: sum('splitBrain'), set: p.set });
    },
    stop() { bar.stop(); },
  };
}

function formatCrawl(s: CrawlSummary, split: SplitBrainEntry[]): string {
  const lines = [`Full heal ${s.aborted ? 'stopped' : 'finished'} (${s.startedAt} .. ${s.finishedAt ?? '?'})`];
  if (s.index) {
    const i = s.index;
    lines.push(`index: ${i.objects} objects with heal marks: ${i.healed} healed, ${i.clean} already in agreement, ${i.partial} partial, `
      + `${i.failed} failed, ${i.splitBrain} split-brain, ${i.deferred} left for later`);
  }
  if (s.catalog) {
    lines.push(`accounts ${s.catalog.accounts}, containers ${s.catalog.containers}: ${s.catalog.fixed} records merged onto bricks that missed them`);
  }
  for (const c of s.sets) {
    lines.push(`set ${c.set}: ${c.scanned} scanned, ${c.differing} differing, ${c.healed} healed, ${c.partial} partial, `
      + `${c.failed} failed, ${c.splitBrain} split-brain, ${c.reclaimed} tombstones reclaimed`
      + (c.unreadable.length ? `; not read: ${c.unreadable.join(', ')}` : ''));
  }
  lines.push(`audit: ${s.audited} orphaned or superseded files removed`);
  const open = split.filter((e) => !e.resolved);
  if (open.length > 0) lines.push(`${open.length} object(s) in split-brain: see \`cairn heal split-brain\``);
  return lines.join('\n');
}

function path(ref: ObjectRef): string {
  return `${ref.account}/${ref.container}/${ref.object}`;
}
