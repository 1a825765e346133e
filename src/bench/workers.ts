/**
 * `cairn bench --workers-compare`: what `cairn serve --workers N` buys. In one run, the small-object
 * phase (PUT, GET, HEAD, DELETE of --small-count objects of --small-kb KiB at --concurrency, over
 * keep-alive connections) runs against `cairn serve` with 1 worker process and with 2, each on a
 * fresh temporary volume of the same shape (--sets × --replica, --no-fsync honoured). Each server is
 * warmed up first (a quarter of the objects, not counted) so JIT warm-up is not measured as speed,
 * then the two take turns for a few rounds and each op's best round is reported.
 *
 * The bench client runs in this process on the same machine: on a 2-core host it competes with the
 * two workers for CPU, so the speedup shown is a floor of what a separate client would see. The CPU
 * each side used is printed too: one process already keeps more than one core busy (its I/O threads
 * and the kernel's fsync work), and a second worker can only add what the host has left.
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { BenchOptions } from '../cli/bench.js';
import { treeCpuSeconds } from './proc-cpu.js';
import { makeProgress, type Progress } from './progress.js';
import type { OpStats, SmallResult } from './results.js';
import { benchSmall } from './small.js';
import { round } from './stats.js';
import { authenticate, SwiftSession } from './swift-client.js';
import { startCairn, type Target } from './target.js';

/** Worker counts compared, in order. */
const WORKER_COUNTS = [1, 2] as const;
/** Measuring rounds; the servers take turns (1,2 then 2,1 ...) and each op's best round counts. */
const ROUNDS = 3;

export interface WorkersResult {
  cores: number;
  fsync: boolean;
  shape: string;
  /** The load average when the run began: other work on the host skews the numbers. */
  loadAverage: number;
  runs: Array<{ workers: number; small: SmallResult; cpu?: CpuUse }>;
}

/** Average CPU cores busy over the measured rounds: the server's process tree, and this client. */
export interface CpuUse { serverCores: number; clientCores: number }

/** Run the comparison and print it; resolves with the process exit code. */
export async function benchWorkers(o: BenchOptions): Promise<number> {
  const progress = makeProgress(!o.json && process.stderr.isTTY === true);
  try {
    const result = await compare(o, progress);
    process.stdout.write(o.json ? toJson(result) : formatTable(result, o));
    return 0;
  } catch (err) {
    progress.stop();
    process.stderr.write(`cairn bench --workers-compare: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

interface Server {
  workers: number; target: Target; session: SwiftSession; rounds: SmallResult[];
  /** CPU seconds (server tree, client) and wall seconds summed over the measured rounds. */
  serverCpu: number; clientCpu: number; wall: number; cpuKnown: boolean;
}

/**
 * Both servers run for the whole comparison (each on its own volume) and are measured in turns, so a
 * burst of other load on the host hits both alike; the best round of each op is kept.
 */
async function compare(o: BenchOptions, progress: Progress): Promise<WorkersResult> {
  const loadAverage = loadavg()[0]!;
  const servers: Server[] = [];
  try {
    for (const workers of WORKER_COUNTS) {
      progress.note(`bench --workers-compare: starting cairn with ${workers} worker process${workers === 1 ? '' : 'es'}`);
      const target = await startCairn({
        replica: o.replica, sets: o.sets, fsync: o.fsync, workers,
        ...(o.dir ? { dir: o.dir } : {}), ...(o.keep ? { keep: true } : {}),
      });
      const auth = await authenticate(target).catch(async (err: unknown) => { await target.stop(); throw err; });
      servers.push({
        workers, target, session: new SwiftSession(auth.storageUrl, auth.token, o.concurrency), rounds: [],
        serverCpu: 0, clientCpu: 0, wall: 0, cpuKnown: target.pid !== undefined,
      });
    }
    for (const s of servers) {
      // JIT warm-up of every worker, not counted.
      progress.note(`bench --workers-compare: ${label(s.workers)}: warm-up`);
      await benchSmall(s.session, o.smallKb, Math.max(o.concurrency, Math.ceil(o.smallCount / 4)), o.concurrency, progress);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of round % 2 === 0 ? servers : [...servers].reverse()) {
        progress.note(`bench --workers-compare: ${label(s.workers)}: round ${round + 1} of ${ROUNDS}`);
        const server0 = s.target.pid === undefined ? undefined : treeCpuSeconds(s.target.pid);
        const client0 = process.cpuUsage();
        const wall0 = performance.now();
        s.rounds.push(await benchSmall(s.session, o.smallKb, o.smallCount, o.concurrency, progress));
        const server1 = s.target.pid === undefined ? undefined : treeCpuSeconds(s.target.pid);
        const client = process.cpuUsage(client0);
        s.wall += (performance.now() - wall0) / 1000;
        s.clientCpu += (client.user + client.system) / 1e6;
        if (server0 === undefined || server1 === undefined) s.cpuKnown = false;
        else s.serverCpu += server1 - server0;
      }
    }
  } finally {
    for (const s of servers) {
      await s.session.close().catch(() => undefined);
      await s.target.stop().catch(() => undefined);
    }
  }
  return {
    cores: availableParallelism(),
    fsync: o.fsync,
    shape: `${o.sets} replica set${o.sets === 1 ? '' : 's'} × ${o.replica}`,
    loadAverage,
    runs: servers.map((s) => ({
      workers: s.workers, small: best(s.rounds),
      ...(s.cpuKnown && s.wall > 0 ? { cpu: { serverCores: s.serverCpu / s.wall, clientCores: s.clientCpu / s.wall } } : {}),
    })),
  };
}

function label(workers: number): string { return `${workers} worker${workers === 1 ? '' : 's'}`; }

/** Per op, the round with the highest rate. */
function best(rounds: SmallResult[]): SmallResult {
  const first = rounds[0]!;
  const ops = first.ops.map((op) => rounds.map((r) => r.ops.find((x) => x.op === op.op)!).reduce((a, b) => (b.opsPerSec > a.opsPerSec ? b : a)));
  return { ...first, ops };
}

function opsOf(r: WorkersResult, workers: number): Map<string, OpStats> {
  return new Map((r.runs.find((x) => x.workers === workers)?.small.ops ?? []).map((op) => [op.op, op]));
}

export function formatTable(r: WorkersResult, o: Pick<BenchOptions, 'smallKb' | 'smallCount' | 'concurrency'>): string {
  const one = opsOf(r, 1);
  const two = opsOf(r, 2);
  const w = [8, 14, 14, 9, 12, 12];
  const row = (cells: Array<string | number>): string =>
    `  ${cells.map((c, i) => (i === 0 ? String(c).padEnd(w[i]!) : String(c).padStart(w[i]!))).join('  ')}`.trimEnd();
  const out = [
    `cairn serve with 1 vs 2 worker processes: ${r.shape}, fsync ${r.fsync ? 'on' : 'off'}, ${r.cores} CPU cores (the client shares them), load average ${r.loadAverage.toFixed(2)} at start`,
    `small objects, ${o.smallKb} KiB, ${o.smallCount} per op, concurrency ${o.concurrency} (keep-alive connections, lean client); best of ${ROUNDS} alternating rounds`,
    row(['', '1 worker ops/s', '2 workers ops/s', 'speedup', 'p99 ms (1)', 'p99 ms (2)']),
  ];
  for (const [op, a] of one) {
    const b = two.get(op);
    out.push(row([op, a.opsPerSec.toFixed(0), b ? b.opsPerSec.toFixed(0) : 'n/a', b ? `${(b.opsPerSec / a.opsPerSec).toFixed(2)}x` : 'n/a',
                  a.p99Ms.toFixed(2), b ? b.p99Ms.toFixed(2) : 'n/a']));
  }
  for (const run of r.runs) {
    if (!run.cpu) continue;
    out.push(`  CPU, ${label(run.workers)}: server processes ${run.cpu.serverCores.toFixed(2)} cores busy on average, bench client ${run.cpu.clientCores.toFixed(2)} (of ${r.cores})`);
  }
  return `${out.join('\n')}\n`;
}

export function toJson(r: WorkersResult): string {
  const one = opsOf(r, 1);
  const two = opsOf(r, 2);
  return `${JSON.stringify({
    cores: r.cores, fsync: r.fsync, shape: r.shape, load_average: round(r.loadAverage, 2), rounds: ROUNDS,
    cpu_cores_busy: Object.fromEntries(r.runs.filter((x) => x.cpu).map((x) => [`workers_${x.workers}`, {
      server: round(x.cpu!.serverCores, 2), client: round(x.cpu!.clientCores, 2),
    }])),
    ops: Object.fromEntries([...one].map(([op, a]) => {
      const b = two.get(op);
      return [op, {
        workers_1_ops_per_sec: round(a.opsPerSec), workers_2_ops_per_sec: b ? round(b.opsPerSec) : null,
        speedup: b ? round(b.opsPerSec / a.opsPerSec, 2) : null,
        workers_1_p99_ms: round(a.p99Ms, 2), workers_2_p99_ms: b ? round(b.p99Ms, 2) : null,
      }];
    })),
  }, null, 2)}\n`;
}
