/** The I/O workers that put small objects' data files in place (io-pool.ts), and LocalWriter's use of them. */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { IoPool, MAX_QUEUE_WAIT_MS, queueLimit, setIoPool, WORKER_LOST, type PlaceJob } from '../../../../src/storage/brick/io-pool.js';
import { LocalBrick } from '../../../../src/storage/brick/local.js';
import { Conflict } from '../../../../src/storage/errors.js';
import { bytes, put, readData, record, ref, ts } from './helpers.js';

const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-io-pool-'));
afterAll(async () => { await fsp.rm(scratch, { recursive: true, force: true }); });
afterEach(() => { setIoPool(undefined); });

/** The pool's live workers (white-box). */
function workersOf(pool: IoPool): Array<{ thread: { terminate(): Promise<number> } }> {
  return (pool as unknown as { workers: Array<{ thread: { terminate(): Promise<number> } }> }).workers;
}

let n = 0;
async function job(extra: Partial<PlaceJob> = {}): Promise<PlaceJob> {
  const root = path.join(scratch, `j${++n}`);
  await fsp.mkdir(path.join(root, 'tmp'), { recursive: true });
  const dir = path.join(root, 'data', 'ab', 'cd');
  return { tmp: path.join(root, 'tmp', 'x.tmp'), dest: path.join(dir, 'f.data'), dir, makeDir: true,
    bytes: [Buffer.from('hello '), Buffer.from('world')], fsync: true, ...extra };
}

describe('IoPool', () => {
  it('makes the directory, writes, places the file and removes the tmp file', async () => {
    const pool = new IoPool(1);
    await pool.warm();
    const j = await job();
    expect(await pool.tryRun(j)).toBe('placed');
    expect(await fsp.readFile(j.dest, 'utf8')).toBe('hello world');
    expect(existsSync(j.tmp)).toBe(false);
  });

  it('queues a few jobs behind busy workers and declines the rest (the caller does those itself)', async () => {
    const pool = new IoPool(1);
    await pool.warm();
    const jobs = await Promise.all([job(), job(), job(), job()]);
    const runs = jobs.slice(0, 3).map((j) => pool.tryRun(j));
    expect(runs.every((r) => r !== undefined)).toBe(true); // one running, two queued
    expect(pool.tryRun(jobs[3]!)).toBeUndefined();
    expect(await Promise.all(runs)).toEqual(['placed', 'placed', 'placed']);
    for (const j of jobs.slice(0, 3)) expect(await fsp.readFile(j.dest, 'utf8')).toBe('hello world');
    expect(pool.taken).toBe(3);
    expect(pool.declined).toBe(1);
    expect(await pool.tryRun(jobs[3]!)).toBe('placed'); // room again
  });

  it('queues as many jobs as its recent job time lets run within the wait bound, never fewer than 2 per worker', async () => {
    expect(queueLimit(1, 0)).toBe(2); // nothing measured yet
    expect(queueLimit(4, 1)).toBe(4 * MAX_QUEUE_WAIT_MS);
    expect(queueLimit(4, 2.5, 10)).toBe(16);
    expect(queueLimit(4, 50, 10)).toBe(8); // slow disks: the short queue, the rest go async
    const fast = new IoPool(1, 1000);
    await fast.warm();
    expect(await fast.tryRun(await job({ fsync: false }))).toBe('placed');
    expect(fast.jobMs).toBeGreaterThan(0);
    const burst = await Promise.all(Array.from({ length: 10 }, () => job({ fsync: false })));
    const runs = burst.map((j) => fast.tryRun(j));
    expect(runs.every((r) => r !== undefined)).toBe(true); // one running, nine queued
    expect(await Promise.all(runs)).toEqual(burst.map(() => 'placed'));
    const slow = new IoPool(1, 0.000_001); // any job time is too long to queue more than the minimum
    await slow.warm();
    expect(await slow.tryRun(await job({ fsync: false }))).toBe('placed');
    const more = await Promise.all(Array.from({ length: 10 }, () => job({ fsync: false })));
    const taken = more.map((j) => slow.tryRun(j)).filter((r) => r !== undefined);
    expect(taken).toHaveLength(3); // one running, two queued
    expect(slow.declined).toBe(7);
    await Promise.all(taken);
  });

  it('a pool of no workers declines everything', async () => {
    const pool = new IoPool(0);
    expect(pool.tryRun(await job())).toBeUndefined();
  });

  it('never clobbers: same bytes already there are kept, other bytes make the job lose', async () => {
    const pool = new IoPool(2);
    await pool.warm();
    const same = await job();
    await fsp.mkdir(same.dir, { recursive: true });
    await fsp.writeFile(same.dest, 'hello world');
    expect(await pool.tryRun(same)).toBe('same');
    expect(existsSync(same.tmp)).toBe(false);
    const other = await job();
    await fsp.mkdir(other.dir, { recursive: true });
    await fsp.writeFile(other.dest, 'somebody else');
    expect(await pool.tryRun(other)).toBe('taken');
    expect(await fsp.readFile(other.dest, 'utf8')).toBe('somebody else');
    expect(existsSync(other.tmp)).toBe(true); // the caller's abort removes it
  });

  it('makes a directory it was told exists when it is missing; reports errors with their code', async () => {
    const pool = new IoPool(1);
    await pool.warm();
    const j = await job({ makeDir: false });
    expect(await pool.tryRun(j)).toBe('placed');
    const bad = await job();
    await fsp.mkdir(path.dirname(bad.dir), { recursive: true });
    await fsp.writeFile(bad.dir, 'a file where the directory should be');
    await expect(pool.tryRun(bad)).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('a job in flight keeps the process alive; an idle pool does not', async () => {
    const built = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../dist/storage/brick/io-pool.js');
    if (!existsSync(built)) throw new Error('dist/ is missing: run `npx tsc -p .` (npm test does)');
    const j = await job();
    const code = `const { IoPool } = await import(${JSON.stringify(pathToFileURL(built).href)});
      const pool = new IoPool(2);
      await pool.warm();
      pool.tryRun({ ...${JSON.stringify({ ...j, bytes: [] })}, bytes: [Buffer.from('x')] }).then((o) => console.log('placed:' + o));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout.trim(), r.stderr).toBe('placed:placed'); // the job finished before the process ended...
    expect(r.status).toBe(0); // ...and the idle workers let it end (no timeout kill)
  });

  it('a worker that dies fails its job as lost (not a disk error) and is replaced', async () => {
    const pool = new IoPool(1);
    await pool.warm();
    const running = pool.tryRun(await job());
    await workersOf(pool)[0]!.thread.terminate();
    await expect(running).rejects.toMatchObject({ code: WORKER_LOST });
    await pool.warm();
    expect(await pool.tryRun(await job())).toBe('placed');
  });

  it('starts workers for bursts only (a lone job is declined), and idle workers exit', async () => {
    const pool = new IoPool(2);
    expect(pool.tryRun(await job())).toBeUndefined(); // nobody running: the caller does it
    expect(workersOf(pool)).toHaveLength(0);
    const [a, b] = await Promise.all([job(), job()]);
    expect(pool.tryRun(a)).toBeUndefined();
    expect(pool.tryRun(b)).toBeUndefined(); // right after another: a burst, a worker starts
    expect(workersOf(pool).length).toBeGreaterThan(0);
    await pool.warm();
    expect(await pool.tryRun(await job())).toBe('placed');
    await new Promise((r) => setTimeout(r, 1500));
    expect(workersOf(pool)).toHaveLength(0); // idle past a second: gone, their memory with them
  });

  it('never gives a job to a worker that is exiting (a stalled event loop lets writes meet idle exits)', async () => {
    const pool = new IoPool(2);
    await pool.warm();
    const [first, ...jobs] = await Promise.all([job(), job(), job(), job(), job()]);
    expect(await pool.tryRun(first!)).toBe('placed');
    // The workers' idle exit (1 s after that job) falls due during a 300 ms stall; the first timers
    // after it fire the exits, then these writes arrive, before the threads have stopped.
    const outcomes = await new Promise<unknown[]>((resolve) => {
      setTimeout(() => {
        const end = Date.now() + 300;
        while (Date.now() < end) { /* the event loop is stalled */ }
        setImmediate(() => setTimeout(() => {
          void Promise.all(jobs.map((j) => (pool.tryRun(j) ?? Promise.resolve('declined')).catch((e: unknown) => e)))
            .then(resolve);
        }, 1));
      }, 900);
    });
    // Taken jobs are placed; the rest are declined (the caller writes them itself): none is lost.
    for (const o of outcomes) expect(['placed', 'declined']).toContain(o);
  });
});

describe('LocalWriter small writes', () => {
  async function brick(): Promise<LocalBrick> {
    const b = new LocalBrick(path.join(scratch, `b${++n}`), { volumeId: 'v', auditGraceMs: 0 });
    await b.open();
    return b;
  }

  for (const [label, pool] of [['through an I/O worker', () => new IoPool(2)], ['with no worker free', () => new IoPool(0)]] as const) {
    it(`puts small objects in place ${label}: readable, no tmp file left, reopened intact`, async () => {
      const p = pool();
      await p.warm();
      setIoPool(p);
      const b = await brick();
      const sizes = [0, 1, 4096, 65536, 65537];
      const recs = await Promise.all(sizes.map((s, i) => put(b, ref(`o${i}`), ts(1), bytes(s, i))));
      for (const [i, rec] of recs.entries()) expect((await readData(b, rec)).equals(bytes(sizes[i]!, i))).toBe(true);
      expect(await fsp.readdir(path.join(b.root, 'tmp'))).toEqual([]);
      if (p.size > 0) expect(p.taken).toBeGreaterThan(0);
      await b.close();
      await b.open();
      expect(await b.containerUsage('AUTH_test', 'c')).toMatchObject({ objectCount: sizes.length });
      await b.close();
    });
  }

  it('a small write that loses to another file of its name is a Conflict and leaves no tmp file after abort', async () => {
    const p = new IoPool(1);
    await p.warm();
    setIoPool(p);
    const b = await brick();
    const w = await b.createWriter(ref('o'), ts(1));
    w.stream.end('mine');
    await fsp.mkdir(path.dirname(path.join(b.root, w.dataFile)), { recursive: true });
    await fsp.writeFile(path.join(b.root, w.dataFile), 'theirs'); // another process's version of this timestamp
    await expect(w.commit(record(ref('o'), ts(1), { size: 4, dataFile: w.dataFile }))).rejects.toBeInstanceOf(Conflict);
    await w.abort();
    expect(await fsp.readdir(path.join(b.root, 'tmp'))).toEqual([]);
    expect(await fsp.readFile(path.join(b.root, w.dataFile), 'utf8')).toBe('theirs');
    await b.close();
  });

  it('a small write whose I/O worker is lost is done by the writer itself: committed, readable, no tmp file, brick not failed', async () => {
    const p = new IoPool(1);
    await p.warm();
    setIoPool(p);
    const b = await brick();
    const w = await b.createWriter(ref('lost'), ts(1));
    w.stream.end(bytes(5000, 7));
    await new Promise((r) => w.stream.once('finish', r));
    // The job is posted synchronously inside commit(); the thread is gone before it can answer.
    const committing = w.commit(record(ref('lost'), ts(1), { size: 5000, dataFile: w.dataFile }));
    await workersOf(p)[0]!.thread.terminate();
    await committing;
    const rec = (await b.getRecord(ref('lost')))!;
    expect((await readData(b, rec)).equals(bytes(5000, 7))).toBe(true);
    expect(await fsp.readdir(path.join(b.root, 'tmp'))).toEqual([]);
    expect((await b.health()).ok).toBe(true);
    await b.close();
  });

  it('an aborted small write leaves nothing on disk', async () => {
    const b = await brick();
    const before = await fsp.readdir(b.root, { recursive: true });
    const w = await b.createWriter(ref('o'), ts(1));
    w.stream.write(bytes(1000));
    await w.abort();
    expect(await fsp.readdir(b.root, { recursive: true })).toEqual(before);
    await b.close();
  });
});
