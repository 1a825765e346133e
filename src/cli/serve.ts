/**
 * `cairn serve`: load the config, make sure the brick directories exist, open the volume and serve the
 * Swift API on it — in this process, or in N node-cluster workers sharing the listening socket.
 *
 * A config error prints the message naming the key and exits 1. SIGTERM/SIGINT stop accepting
 * connections, let requests in flight finish (for a bounded time), close the volume and exit 0.
 */
import cluster from 'node:cluster';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, isLocalBrick, loadConfig, type Config } from '../config.js';
import { createLogger } from '../log.js';
import { CairnMetrics } from '../metrics.js';
import { serveClusterMetrics } from '../metrics-cluster.js';
import { createApp, tuneServer } from '../server.js';
import { openPolicyStore, policySpecs } from '../storage/policy-store.js';
import type { ObjectStore } from '../storage/store.js';
import { setTimestampLane } from '../storage/timestamp.js';
import { openConfiguredVolume, resolveVolumeConfig } from '../storage/volume-runtime.js';
import { banner } from './banner.js';
import { withServerFlags } from './server-flags.js';
import { GatewayHealers, runsHealer } from './serve-heal.js';

export interface ServeOptions {
  config?: string;
  listen?: string;
  workers?: number;
  logLevel?: string;
}

/** The environment variable a cluster worker finds its timestamp lane in. */
const LANE_ENV = 'CAIRN_TIMESTAMP_LANE';

/** How long a shutdown waits for requests in flight before cutting their connections. */
const DRAIN_MS = 10_000;

export async function serve(opts: ServeOptions): Promise<void> {
  const config = loadOrExit(opts);
  if (cluster.isPrimary) prepareBricks(config);
  if (config.workers > 1 && cluster.isPrimary) {
    runPrimary(config);
    return;
  }
  await runServer(config, cluster.isWorker);
}

function loadOrExit(opts: ServeOptions): Config {
  try {
    // Bricks and replica counts come from the volume files once they exist (storage/volume-runtime.ts).
    return resolveVolumeConfig(loadConfig(opts.config, {
      ...(opts.listen !== undefined ? { listen: opts.listen } : {}),
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
    }));
  } catch (err) {
    return fail(err);
  }
}

/** Print a config error (or anything else that stops startup) and exit 1. */
function fail(err: unknown): never {
  const msg = err instanceof ConfigError ? err.message : `cairn: ${err instanceof Error ? err.message : String(err)}`;
  process.stderr.write(`${msg}\n`);
  process.exit(1);
}

/** First start: create the storage root and every local brick directory (the volume writes brick.json). */
function prepareBricks(config: Config): void {
  const missing = policySpecs(config).flatMap((p) => p.volume.bricks).filter((b) => isLocalBrick(b) && !existsSync(b));
  try {
    for (const b of missing) mkdirSync(b, { recursive: true });
  } catch (err) {
    fail(new Error(`cannot create brick directory: ${(err as Error).message}`));
  }
  if (missing.length > 0) process.stdout.write(`cairn: created ${missing.length} brick director${missing.length === 1 ? 'y' : 'ies'} under ${config.storage.root}\n`);
}

/** Serve in this process (the only one, or one cluster worker). */
async function runServer(config: Config, isWorker: boolean): Promise<void> {
  const lane = Number(process.env[LANE_ENV]);
  if (isWorker && config.workers > 1 && Number.isInteger(lane)) setTimestampLane(lane, config.workers);
  const logger = createLogger(config.log);
  // One registry per process: the volume reports brick calls into it, the metrics middleware serves it.
  const metrics = new CairnMetrics();
  // The self-heal daemon: one healer per volume, in this process unless another worker runs them.
  const healers = new GatewayHealers(config, logger, metrics, runsHealer(isWorker, lane));
  let store: ObjectStore;
  try {
    // One volume per storage policy (just config.volume without `policies`).
    // Each volume follows its volume file (add-brick, remove-brick, rebalance) while serving.
    // With remote bricks it also shares its definition with the brick servers (storage/definition-sync.ts).
    const follow = { metrics, watch: true, log: logger, onEvent: (e: { kind: string; commit?: number; error?: Error }) => {
      if (e.kind === 'error') logger.error({ err: e.error }, 'volume file reload failed');
      else logger.info({ commit: e.commit }, 'volume file reloaded');
    } };
    store = await openPolicyStore(policySpecs(config), async (spec) => healers.attach(await openConfiguredVolume(config, follow, spec)));
  } catch (err) {
    fail(err);
  }
  let server: Server;
  try {
    const { app } = createApp(config, store, logger, { metrics });
    server = createServer(app);
  } catch (err) {
    await healers.stop();
    await store.close().catch(() => undefined);
    fail(err);
  }
  tuneServer(server);

  server.on('error', (err: NodeJS.ErrnoException) => {
    const why = err.code === 'EADDRINUSE' ? 'address in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
    fail(new Error(`cannot listen on ${config.listen.host}:${config.listen.port}: ${why}`));
  });
  server.listen(config.listen.port, config.listen.host, () => {
    const addr = server.address() as AddressInfo;
    // A worker stays quiet: the primary prints the banner once for all of them.
    if (!isWorker) process.stdout.write(banner(config, addr.port));
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1); // a second signal: the operator wants out now
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
    force.unref();
    server.close(() => {
      void healers.stop().then(() => store.close())
        .catch((err: unknown) => logger.error({ err }, 'closing the volume failed')).finally(() => process.exit(0));
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // In a worker, the primary asks for a shutdown by disconnecting.
  if (isWorker) cluster.worker?.on('disconnect', () => stop('disconnect'));
}

/**
 * The cluster primary: forks the workers (they share the listening socket), restarts one that dies
 * unexpectedly, and on SIGTERM/SIGINT asks every worker to drain and waits for them. It also gathers
 * the workers' metrics for a /metrics scrape (metrics-cluster.ts).
 *
 * Workers share nothing in memory: TempAuth tokens are signed, so any worker accepts any worker's
 * (tempauth/signed-tokens.ts), and the bricks' SQLite indexes serialise their writes (WAL, busy timeout).
 */
function runPrimary(config: Config): void {
  let stopping = false;
  let announced = false;
  // Each worker has a timestamp lane (timestamp.ts); a replacement takes over the lane of the one it replaces.
  const lanes = new Map<number, number>();
  const fork = (lane: number): void => { lanes.set(cluster.fork({ [LANE_ENV]: String(lane) }).id, lane); };
  // Workers run with the server's heap flags even when the primary was started without them.
  cluster.setupPrimary({ execArgv: withServerFlags(process.execArgv) });
  serveClusterMetrics();
  for (let i = 0; i < config.workers; i++) fork(i);

  cluster.on('listening', (_worker, address) => {
    if (announced) return;
    announced = true;
    process.stdout.write(banner(config, address.port));
    process.stdout.write(`cairn: ${config.workers} workers\n`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    process.stderr.write(`cairn: worker ${worker.process.pid ?? '?'} exited (${signal ?? code}); starting another\n`);
    // A worker that cannot even start (bad config, port in use) would loop forever: give up instead.
    if (!announced) process.exit(1);
    const lane = lanes.get(worker.id) ?? 0;
    lanes.delete(worker.id);
    setTimeout(() => fork(lane), 1000).unref();
  });

  const stop = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.disconnect();
    setTimeout(() => process.exit(0), DRAIN_MS + 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
