/**
 * `cairn brick --dir D [--dir D2 …] --listen HOST:PORT [--secret S | --config FILE]`: serve local brick
 * directories to remote gateways (src/brickd/). A gateway's volume lists them as
 * `http://HOST:PORT/NAME`, NAME being the directory's last path component (or NAME=DIR).
 *
 * The shared secret comes from `--secret`, else from the `volume.secret` of `--config` (the gateway's
 * own config file, whose `volume.id` then also pins the volume and whose `volume.fsync` is followed),
 * else from $CAIRN_SECRET (which keeps it out of `ps`). No secret: refuse to start.
 *
 * Prints `cairn brick: listening on URL (pid N)` first (scripts and tests wait for it), then one line
 * per brick. SIGTERM/SIGINT: stop, abort writes in flight, close the bricks, exit 0.
 */
import pino from 'pino';
import { ConfigError, loadConfig, parseListen } from '../config.js';
import { BrickServer, parseBrickArg } from '../brickd/server.js';

export interface BrickCliOptions {
  dir: string[];
  listen: string;
  secret?: string;
  config?: string;
  volume?: string;
  /** false with --no-fsync. */
  fsync: boolean;
  logLevel?: string;
}

function fail(message: string): never {
  process.stderr.write(`cairn brick: ${message}\n`);
  process.exit(1);
}

export async function brick(opts: BrickCliOptions): Promise<void> {
  let server: BrickServer;
  let fsync = opts.fsync;
  try {
    if (opts.dir.length === 0) throw new Error('give at least one --dir');
    const listen = parseListen(opts.listen, '--listen');
    let secret = opts.secret;
    let volumeId = opts.volume;
    if (opts.config !== undefined) {
      const config = loadConfig(opts.config);
      secret ??= config.volume.secret;
      volumeId ??= config.volume.id;
      if (config.volume.fsync === false) fsync = false;
    }
    secret ??= process.env.CAIRN_SECRET || undefined;
    if (secret === undefined) throw new Error('a shared secret is required: --secret S, --config FILE (volume.secret) or $CAIRN_SECRET');
    const logger = pino({ level: opts.logLevel ?? 'info' }, pino.destination(2));
    server = new BrickServer({
      bricks: opts.dir.map(parseBrickArg), secret, fsync, logger, ...(volumeId !== undefined ? { volumeId } : {}),
    });
    await server.listen(listen.host, listen.port);
  } catch (err) {
    fail(err instanceof ConfigError ? err.message : (err as Error).message);
  }
  const lines = [`cairn brick: listening on ${server.url} (pid ${process.pid})`];
  for (const b of server.bricks.values()) {
    const d = b.describe();
    lines.push(`  brick ${d.name}  ${server.url}/${d.name}  ${d.dir}  ${d.volumeId ? `volume ${d.volumeId}` : 'no volume yet (the first gateway claims it)'}${fsync ? '' : '  (fsync off)'}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(1); // a second signal: out now
    stopping = true;
    server.close().then(() => process.exit(0), (err: unknown) => fail(`closing: ${(err as Error).message}`));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
