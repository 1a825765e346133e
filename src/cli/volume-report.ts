/**
 * The bodies of `cairn volume status|info` (see volume-status.ts). They open the volume beside any
 * running gateway (maintenance-volume.ts), look, and close it; nothing is changed, except that a brick
 * found read-only or unreachable is held out in this process, as the gateway would.
 */
import type { Member } from '../storage/member.js';
import type { Volume } from '../storage/volume.js';
import { brickHealInfo } from './heal-run.js';
import { openMaintenance } from './maintenance-volume.js';
import type { VolumeStatusOptions } from './volume-status.js';

export interface BrickStatusRow {
  set: number;
  brick: string;
  id: string;
  online: boolean;
  readOnly: boolean;
  full: boolean;
  detail?: string;
  freeBytes?: number;
  totalBytes?: number;
  /** Live objects this brick holds (undefined when it cannot be asked). */
  objects?: number;
  /** Heal marks (pending + dirty) it holds; `healCapped`: at least that many. */
  healPending?: number;
  healCapped: boolean;
}

export async function volumeStatus(o: VolumeStatusOptions): Promise<{ text: string; ok: boolean }> {
  const { volume } = await openMaintenance(o);
  try {
    const infos = await brickHealInfo(volume, 0);
    const rows: BrickStatusRow[] = await Promise.all(infos.map(async (b) => {
      const m = volume.sets[b.set]!.members.find((x) => x.id === b.id)!;
      const objects = b.status.up ? await liveObjects(m).catch(() => undefined) : undefined;
      return {
        set: b.set, brick: b.brick, id: b.id, online: b.status.up, readOnly: b.status.readOnly, full: b.status.full,
        ...(b.status.detail !== undefined ? { detail: b.status.detail } : {}),
        ...(b.status.freeBytes !== undefined ? { freeBytes: b.status.freeBytes, totalBytes: b.status.totalBytes! } : {}),
        ...(objects !== undefined ? { objects } : {}),
        ...(b.status.up ? { healPending: b.dirty + b.pending } : {}),
        healCapped: b.capped,
      };
    }));
    const quorate = volume.sets.map((s) => s.hasQuorum(rows.filter((r) => r.set === s.index).flatMap((r, i) => (r.online ? [i] : []))));
    const ok = quorate.every(Boolean);
    if (o.json) return { text: JSON.stringify({ volume: volume.spec.id, ok, sets: quorate.map((q, i) => ({ set: i, quorum: q })), bricks: rows }, null, 2), ok };
    return { text: formatStatus(volume, rows, quorate), ok };
  } finally {
    await volume.close();
  }
}

export async function volumeInfo(o: VolumeStatusOptions): Promise<string> {
  const { volume, heal, ctx, fromFile } = await openMaintenance(o);
  try {
    const s = volume.spec;
    const sets = volume.sets.length;
    const type = sets > 1 ? (s.replica > 1 ? 'Distributed-Replicate' : 'Distribute') : (s.replica > 1 ? 'Replicate' : 'Distribute');
    const info = {
      name: s.id, type, sets, replica: s.replica, bricks: volume.sets.map((set) => set.members.map((m, i) => ({ brick: s.bricks[set.index * s.replica + i] ?? m.id, id: m.id }))),
      quorum: s.quorum ?? 'auto', layout: { version: volume.layout.version, rebalancePending: volume.placement.previous !== undefined },
      definedBy: fromFile ? ctx.file : 'config (no volume file yet)',
      options: {
        'min-free-disk': `${s.minFreeDiskPercent ?? 10}%`, 'write-timeout-ms': s.writeTimeoutMs ?? 30000, fsync: s.fsync ?? true,
        'heal.enabled': heal.enabled, 'heal.interval-ms': heal.intervalMs, 'heal.full-crawl-interval-ms': heal.fullCrawlIntervalMs,
        'heal.favorite-child-policy': heal.favoriteChildPolicy, 'heal.reclaim-age': heal.reclaimAge,
      },
    };
    if (o.json) return JSON.stringify(info, null, 2);
    const lines = [
      `Volume Name: ${info.name}`,
      `Type: ${info.type}`,
      `Number of Bricks: ${sets} x ${s.replica} = ${sets * s.replica}`,
      `Quorum: ${info.quorum}`,
      `Layout: version ${info.layout.version}${info.layout.rebalancePending ? ' (rebalance pending)' : ''}`,
      `Defined by: ${info.definedBy}`,
      'Bricks:',
    ];
    let n = 0;
    for (const [i, set] of info.bricks.entries()) for (const b of set) lines.push(`Brick${++n}: ${b.brick}  (set ${i}, id ${b.id})`);
    lines.push('Options:');
    for (const [k, v] of Object.entries(info.options)) lines.push(`${k}: ${String(v)}`);
    return lines.join('\n');
  } finally {
    await volume.close();
  }
}

/** Live objects on one brick: its per-account counters, summed over the accounts it holds. */
async function liveObjects(m: Member): Promise<number> {
  let n = 0;
  for (let after: string | undefined; ;) {
    const accounts = await m.call((b) => b.scanAccounts(after, 1000));
    for (const a of accounts) n += (await m.call((b) => b.accountUsage(a.account))).objectCount;
    if (accounts.length < 1000) return n;
    after = accounts[accounts.length - 1]!.account;
  }
}

function formatStatus(volume: Volume, rows: BrickStatusRow[], quorate: boolean[]): string {
  const header = ['Set', 'Brick', 'Online', 'Free', 'Total', 'Objects', 'Heal pending', 'Note'];
  const table = rows.map((r) => [
    String(r.set), `${r.brick}${r.brick === r.id ? '' : ` (${r.id})`}`, r.online ? 'Y' : 'N',
    r.freeBytes !== undefined ? human(r.freeBytes) : '-', r.totalBytes !== undefined ? human(r.totalBytes) : '-',
    r.objects !== undefined ? String(r.objects) : '-',
    r.healPending !== undefined ? `${r.healPending}${r.healCapped ? '+' : ''}` : '-',
    r.detail ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [`Status of volume: ${volume.spec.id}`, line(header), '-'.repeat(widths.reduce((a, b) => a + b + 2, -2)), ...table.map(line)];
  const lost = quorate.flatMap((q, i) => (q ? [] : [i]));
  out.push('', lost.length === 0 ? 'Every replica set has quorum.' : `Replica set(s) without quorum (writes refused): ${lost.join(', ')}`);
  return out.join('\n');
}

function human(bytes: number): string {
  if (bytes >= Number.MAX_SAFE_INTEGER / 2) return 'unbounded';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v < 10 && u > 0 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}
