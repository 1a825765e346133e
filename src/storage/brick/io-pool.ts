/**
 * IoPool: a few worker threads that each put a small object's data file in place in one go, with
 * plain synchronous file calls: create the tmp file, write, make the directory, link it into place
 * without clobbering, fsync the file, close, fsync the directory (then the parents of any directory
 * it made).
 *
 * Why: done with async calls, that sequence is a dozen threadpool round trips, each a pair of thread
 * switches and a promise settled on the event loop, which is what serves every request. Measured on a
 * 2-vCPU VM, the event loop spent ~0.5-0.9 ms per 4 KiB PUT on them; as one message to a worker it
 * spends ~0.15 ms. The calls and their order are exactly those of LocalWriter's async path, so the
 * crash-safety argument is the same; only the thread doing them differs.
 *
 * Jobs wait for a worker in a queue only while the wait it promises stays short (`tryRun`: at most
 * MAX_QUEUE_WAIT_MS by the jobs' recent run time): past that (slow disks, fsyncs of milliseconds) the
 * caller takes the async path on the libuv threadpool instead, so a small pool never caps the
 * concurrency of writes. On fast disks that means nearly every job queues: a declined job costs its
 * caller ~10 async file calls on the event loop instead of one message. With a fixed queue of 2 per
 * worker, 16-21% of 4 KiB PUTs were declined (32 in flight, XFS, jobs of ~1.5 ms as seen from the
 * event loop); with this bound, 2%. The bound is generous because the async path queues too (on the
 * libuv threadpool's four threads). Workers cost memory (~8 MB each), so they are started only
 * when small writes come in bursts, take jobs once running, and exit after a second idle: a server
 * that is not writing small objects keeps none. An idle worker never keeps the process alive (it is
 * ref'd only while it has a job), and a worker that dies is replaced; its job fails with EIO.
 *
 * Size: CAIRN_IO_WORKERS (default 4, 0 = none: every write takes the async path). 6 wrote 3-8% more
 * 4 KiB objects per second on a 2-core VM, but a worker costs ~10 MiB of RSS while it runs and ~5 MiB
 * stays after it exits (its malloc arena): the bench's streaming RSS check rose from ~176 to 191-199 MiB.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

/** Put bytes in place as a data file (see ioWorkerMain for the exact steps). */
export interface PlaceJob {
  /** Absolute paths: the tmp file to create, the data file, its directory. */
  tmp: string;
  dest: string;
  dir: string;
  /** Whether the directory may need making (it is not known to exist). */
  makeDir: boolean;
  bytes: Uint8Array[];
  fsync: boolean;
}

/** As placeNoClobber (place.ts): placed, identical bytes already there, or the name holds other bytes. */
export type PlaceOutcome = 'placed' | 'same' | 'taken';

interface Reply { outcome?: PlaceOutcome; error?: { message: string; code?: string } }

/**
 * The workers' code. It is stringified into each worker (`eval`), so it may use only what it
 * require()s, never this module's imports. It is the synchronous twin of LocalWriter's async path
 * (makeDirs and fsyncDir in local-files.ts, placeNoClobber and sameContent in place.ts): keep them alike.
 */
function ioWorkerMain(): void {
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  const noLinks = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK']);
  const codeOf = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? '';

  /** fsync a directory (or a file), as local-files.ts fsyncDir. */
  const fsyncPath = (dir: string): void => {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } catch (e) {
      if (!['EISDIR', 'EINVAL', 'EPERM', 'ENOTSUP'].includes(codeOf(e))) throw e;
    } finally {
      fs.closeSync(fd);
    }
  };
  /** mkdir -p; the directories whose entries changed, deepest first (fsynced after the leaf's own fsync). */
  const makeDirs = (dir: string): string[] => {
    const first = fs.mkdirSync(dir, { recursive: true });
    const out: string[] = [];
    if (first === undefined) return out;
    for (let d = dir; ; d = path.dirname(d)) {
      out.push(path.dirname(d));
      if (d === first || path.dirname(d) === d) return out;
    }
  };
  const sameContent = (a: string, b: string): boolean => {
    const sa = fs.statSync(a, { throwIfNoEntry: false });
    const sb = fs.statSync(b, { throwIfNoEntry: false });
    if (!sa || !sb || sa.size !== sb.size) return false;
    return fs.readFileSync(a).equals(fs.readFileSync(b)); // small files only come here
  };
  const place = (tmp: string, dest: string): PlaceOutcome => {
    try {
      fs.linkSync(tmp, dest);
    } catch (e) {
      if (noLinks.has(codeOf(e))) {
        fs.renameSync(tmp, dest);
        return 'placed';
      }
      if (codeOf(e) !== 'EEXIST') throw e;
      if (!sameContent(tmp, dest)) return 'taken';
      fs.unlinkSync(tmp);
      return 'same';
    }
    fs.unlinkSync(tmp);
    return 'placed';
  };
  const run = (job: PlaceJob): PlaceOutcome => {
    const fd = fs.openSync(job.tmp, 'wx', 0o644);
    let parents: string[] = [];
    let outcome: PlaceOutcome;
    try {
      let pos = 0;
      for (const b of job.bytes) {
        for (let off = 0; off < b.length;) {
          const n = fs.writeSync(fd, b, off, b.length - off, pos);
          if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
          off += n;
          pos += n;
        }
      }
      parents = job.makeDir ? makeDirs(job.dir) : [];
      try {
        outcome = place(job.tmp, job.dest);
      } catch (e) {
        if (codeOf(e) !== 'ENOENT') throw e;
        parents.push(...makeDirs(job.dir)); // the directory went away behind the brick's back
        outcome = place(job.tmp, job.dest);
      }
      // Placed first, fsynced after: the file's fsync then also forces the link to the log, and the
      // directory's fsync below finds nothing left to write (one log force instead of two).
      if (job.fsync && outcome === 'placed') fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (job.fsync) {
      // Another writer's identical file may not be fsynced yet: it must be before our row names it.
      if (outcome === 'same') fsyncPath(job.dest);
      if (outcome !== 'taken') fsyncPath(job.dir);
      // New directories' parents last: the leaf's fsync has forced their entries to a journaling
      // filesystem's log already, so these cost no disk write there (and are still done everywhere).
      for (const p of parents) fsyncPath(p);
    }
    return outcome;
  };
  parentPort!.on('message', (job: PlaceJob) => {
    let reply: Reply;
    try {
      reply = { outcome: run(job) };
    } catch (e) {
      reply = { error: { message: (e as Error).message, code: codeOf(e) || 'EIO' } };
    }
    parentPort!.postMessage(reply);
  });
}

const SOURCE = `(${ioWorkerMain.toString()})()`;

/** A worker idle this long exits (its ~8 MB go back); one is started again when writes come in bursts. */
const IDLE_EXIT_MS = 1000;
/** Two small writes this close together are a burst: worth a worker (a lone write takes the async path). */
const BURST_MS = 50;
/** Longest a queued job should expect to wait for a worker before the caller does better doing it itself. */
export const MAX_QUEUE_WAIT_MS = 25;
/** Jobs that may always wait, per ready worker (also before any job time is known). */
const MIN_QUEUE_PER_WORKER = 2;
/** Weight of the newest job in the running average of job times. */
const JOB_MS_WEIGHT = 0.2;

/**
 * Jobs that may wait for `ready` workers when a job takes `jobMs` (0: not known yet): as many as
 * they can run within `maxWaitMs`, and never fewer than MIN_QUEUE_PER_WORKER each.
 */
export function queueLimit(ready: number, jobMs: number, maxWaitMs = MAX_QUEUE_WAIT_MS): number {
  const perWorker = jobMs > 0 ? Math.floor(maxWaitMs / jobMs) : 0;
  return ready * Math.max(MIN_QUEUE_PER_WORKER, perWorker);
}

/**
 * The code of a job's error when the pool lost the thread (it died or exited), as opposed to an error
 * of the job's own file calls: the disk is not at fault, and the caller redoes the work itself.
 */
export const WORKER_LOST = 'CAIRN_IO_WORKER_LOST';

/** Whether a job failed because its thread was lost, not because of the disk. */
export function isWorkerLost(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === WORKER_LOST;
}

class IoWorker {
  private done: ((r: Reply) => void) | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Set once the thread runs its code, cleared when it is told to exit: jobs go only to ready workers. */
  ready = false;
  readonly thread: Worker;

  constructor(onReady: (w: IoWorker) => void, onExit: (w: IoWorker) => void) {
    this.thread = new Worker(SOURCE, {
      eval: true,
      // Not the process's flags: with --input-type=module the source would be an ES module, without require().
      execArgv: [],
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 },
    });
    this.thread.once('online', () => {
      this.ready = true;
      if (!this.busy) this.thread.unref();
      onReady(this);
    });
    this.thread.on('message', (r: Reply) => this.settle(r));
    const died = (err?: Error): void => {
      clearTimeout(this.idleTimer);
      this.settle({ error: { message: `I/O worker died${err ? `: ${err.message}` : ''}`, code: WORKER_LOST } });
      onExit(this);
    };
    this.thread.on('error', died);
    this.thread.on('exit', () => died());
    // Ref'd while starting (whoever waits for it keeps the process alive), then only while it has a
    // job: an idle worker never keeps the process alive. (Attaching 'message' listeners refs it too.)
    this.thread.ref();
  }

  get busy(): boolean { return this.done !== undefined; }

  run(job: PlaceJob): Promise<Reply> {
    clearTimeout(this.idleTimer);
    return new Promise((resolve) => {
      this.done = resolve;
      this.thread.ref(); // a job in flight keeps the process alive, as any pending I/O does
      this.thread.postMessage(job);
    });
  }

  /** Exit once idle for IDLE_EXIT_MS (unless given a job before). */
  idle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => { if (!this.busy) this.retire(); }, IDLE_EXIT_MS);
    this.idleTimer.unref();
  }

  /**
   * Exit. The thread stops some time after terminate(), and a job posted to it meanwhile would be
   * lost (its write failing with EIO, which marks the brick down): so it stops taking jobs first. The
   * pool forgets it on 'exit', as it does a worker that died.
   */
  private retire(): void {
    this.ready = false;
    void this.thread.terminate();
  }

  private settle(r: Reply): void {
    const done = this.done;
    this.done = undefined;
    this.thread.unref();
    done?.(r);
  }
}

interface Queued { job: PlaceJob; resolve: (r: Reply) => void }

export class IoPool {
  /** Jobs taken (run or queued) and declined (the caller did the work itself): diagnostics and tests. */
  taken = 0;
  declined = 0;
  private readonly workers: IoWorker[] = [];
  private readonly queue: Queued[] = [];
  private lastAsk = -Infinity;
  private readyWaiters: Array<() => void> = [];
  /** Running average of how long a job takes on its worker, ms (0 until one has run). */
  jobMs = 0;

  constructor(readonly size: number, private readonly maxQueueWaitMs = MAX_QUEUE_WAIT_MS) {}

  /**
   * Run `job` on an idle worker, or queue it while its wait would stay short; undefined when that
   * cannot be (no worker ready, or the pool is that busy: slow disks). The caller then does the work itself,
   * on the libuv threadpool. Workers are started when small writes come in bursts, and exit when idle.
   */
  tryRun(job: PlaceJob): Promise<PlaceOutcome> | undefined {
    const now = performance.now();
    const burst = now - this.lastAsk < BURST_MS;
    this.lastAsk = now;
    let reply: Promise<Reply> | undefined;
    const w = this.workers.find((x) => x.ready && !x.busy);
    if (w) reply = this.runOn(w, job);
    else {
      if (burst && this.workers.length < this.size) this.spawn();
      const ready = this.workers.filter((x) => x.ready).length;
      if (ready > 0 && this.queue.length < queueLimit(ready, this.jobMs, this.maxQueueWaitMs)) {
        reply = new Promise((resolve) => { this.queue.push({ job, resolve }); });
      }
    }
    if (!reply) {
      this.declined++;
      return undefined;
    }
    this.taken++;
    return reply.then((r) => {
      if (r.error) throw Object.assign(new Error(r.error.message), { code: r.error.code });
      return r.outcome!;
    });
  }

  /** Start every worker and wait until all run (tests; a server lets bursts start them). */
  async warm(): Promise<void> {
    while (this.workers.length < this.size) this.spawn();
    while (this.workers.some((w) => !w.ready)) await new Promise<void>((r) => { this.readyWaiters.push(r); });
  }

  private spawn(): void {
    const w = new IoWorker(
      () => {
        this.drain();
        for (const r of this.readyWaiters.splice(0)) r();
      },
      (gone) => {
        const i = this.workers.indexOf(gone);
        if (i >= 0) this.workers.splice(i, 1);
        for (const r of this.readyWaiters.splice(0)) r();
        this.drain();
      },
    );
    this.workers.push(w);
  }

  /** Run `job` on `w`, then hand `w` the next queued job (or let it idle). */
  private runOn(w: IoWorker, job: PlaceJob): Promise<Reply> {
    const t0 = performance.now();
    const reply = w.run(job);
    void reply.then(() => {
      const ms = performance.now() - t0;
      this.jobMs = this.jobMs === 0 ? ms : this.jobMs + JOB_MS_WEIGHT * (ms - this.jobMs);
      this.drain();
    });
    return reply;
  }

  /** Start queued jobs on whatever workers are ready and idle; the others idle towards their exit. */
  private drain(): void {
    for (const w of this.workers) {
      if (!w.ready || w.busy) continue;
      const next = this.queue.shift();
      if (next) void this.runOn(w, next.job).then(next.resolve);
      else w.idle();
    }
    // Queued jobs with no worker left to run them (all died): their callers get an error to act on.
    if (this.queue.length > 0 && !this.workers.some((x) => x.ready)) {
      for (const q of this.queue.splice(0)) q.resolve({ error: { message: 'no I/O worker left', code: WORKER_LOST } });
    }
  }
}

/** Workers per process unless CAIRN_IO_WORKERS says otherwise. */
export const DEFAULT_IO_WORKERS = 4;

let shared: IoPool | undefined;

/** Replace the process's pool (tests; undefined: made again from CAIRN_IO_WORKERS on next use). */
export function setIoPool(pool: IoPool | undefined): void { shared = pool; }

/** The process's pool (created on first use). */
export function ioPool(): IoPool {
  if (!shared) {
    const n = Number(process.env.CAIRN_IO_WORKERS ?? DEFAULT_IO_WORKERS);
    shared = new IoPool(Number.isInteger(n) && n >= 0 ? n : DEFAULT_IO_WORKERS);
  }
  return shared;
}
