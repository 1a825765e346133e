/**
 * WalCheckpointer: copies brick indexes' write-ahead logs into their databases on a worker thread.
 *
 * Why: SQLite checkpoints a WAL from inside the commit that grows it past `wal_autocheckpoint` pages,
 * on the connection's own thread, and with synchronous=NORMAL that checkpoint fsyncs the WAL and the
 * database. For a BrickIndex that thread is the event loop: measured on a 2-vCPU VM during a burst of
 * 4 KiB PUTs (fsync on), one commit in ~120 stalled every request for 5-90 ms, about half of all the
 * time spent in index commits.
 *
 * So a BrickIndex with fsync on asks for a PASSIVE checkpoint here every CHECKPOINT_EVERY commits,
 * and the worker runs it over its own short-lived connection: it copies what is in the WAL while the
 * event loop goes on committing (PASSIVE never waits for, nor blocks, readers or writers). The WAL can
 * only start over once a checkpoint has copied all of it, which under a steady stream of commits the
 * side checkpoint never quite does; so the connection keeps an automatic checkpoint as a backstop at
 * BACKSTOP_PAGES, which then copies only the few frames committed since the last side checkpoint.
 * Durability is unchanged: the checkpoint fsyncs the WAL before copying and the database before the
 * WAL can be reused, as SQLite's own does (the side connection runs with synchronous=NORMAL too).
 *
 * The worker is started on first use and exits after IDLE_EXIT_MS without a job; while idle it never
 * keeps the process alive. A checkpoint that fails is only logged away: the backstop still bounds the WAL.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Commits between side checkpoints (a 4 KiB PUT's commit adds ~8 pages: ~1,000 pages, SQLite's default). */
export const CHECKPOINT_EVERY = 128;
/** The connection's own automatic checkpoint, as a backstop (pages; 4 KiB each: 64 MiB). */
export const BACKSTOP_PAGES = 16384;
const IDLE_EXIT_MS = 5000;

/** The worker's code: stringified into the thread (`eval`), so it uses only what it require()s. */
function checkpointerMain(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const Database = require((workerData as { sqlite: string }).sqlite) as typeof import('better-sqlite3');
  parentPort!.on('message', (job: { id: number; file: string }) => {
    let error: string | undefined;
    try {
      // fileMustExist: a brick removed meanwhile must not get a new, empty index.
      const db = new Database(job.file, { fileMustExist: true });
      try {
        db.pragma('busy_timeout = 1000');
        db.pragma('synchronous = NORMAL');
        db.pragma('wal_checkpoint(PASSIVE)');
      } finally {
        db.close(); // never the last connection while the brick's own is open: the WAL stays
      }
    } catch (e) {
      error = (e as Error).message;
    }
    parentPort!.postMessage({ id: job.id, error });
  });
}

const SOURCE = `(${checkpointerMain.toString()})()`;

class WalCheckpointer {
  /** Side checkpoints run (tests and diagnostics). */
  runs = 0;
  failures = 0;
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, () => void>();
  /** Files with a checkpoint queued or running: one at a time per file is enough. */
  private readonly pending = new Set<string>();
  private idleTimer: NodeJS.Timeout | undefined;

  /** Ask for a checkpoint of `file` (an index database); resolves when it ran (or failed). */
  request(file: string): Promise<void> {
    if (this.pending.has(file)) return Promise.resolve();
    this.pending.add(file);
    const w = this.thread();
    const id = this.nextId++;
    clearTimeout(this.idleTimer);
    w.ref();
    return new Promise<void>((resolve) => {
      this.waiting.set(id, () => { this.pending.delete(file); resolve(); });
      w.postMessage({ id, file });
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    const w = new Worker(SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { sqlite },
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 },
    });
    w.on('message', (m: { id: number; error?: string }) => {
      this.runs++;
      if (m.error !== undefined) this.failures++;
      this.settle(m.id);
    });
    const gone = (): void => {
      if (this.worker !== w) return;
      this.worker = undefined;
      clearTimeout(this.idleTimer);
      for (const id of [...this.waiting.keys()]) { this.failures++; this.settle(id); }
    };
    w.on('error', gone);
    w.on('exit', gone);
    this.worker = w;
    return w;
  }

  private settle(id: number): void {
    const done = this.waiting.get(id);
    this.waiting.delete(id);
    done?.();
    if (this.waiting.size > 0 || !this.worker) return;
    const w = this.worker;
    w.unref();
    this.idleTimer = setTimeout(() => {
      if (this.waiting.size === 0 && this.worker === w) {
        this.worker = undefined;
        void w.terminate();
      }
    }, IDLE_EXIT_MS);
    this.idleTimer.unref();
  }
}

let shared: WalCheckpointer | undefined;

/** The process's checkpointer (started on first use). */
export function walCheckpointer(): WalCheckpointer {
  shared ??= new WalCheckpointer();
  return shared;
}
