/**
 * `cairn`: the command line (bin/cairn imports this). Each subcommand lives in its own module and is
 * imported only when it runs, so `cairn bench` does not load the server and `cairn serve` not the bench.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** commander parser for a positive integer option. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** commander parser for a positive number option (fractions allowed). */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

const program = new Command()
  .name('cairn')
  .description('An OpenStack Swift API object store over a distributed-hash, replicated brick store')
  .version(pkg.version);

program.command('serve')
  .description('serve the Swift API (default config: config/default.yaml, or $CAIRN_CONFIG)')
  .option('-c, --config <file>', 'config file (YAML)')
  .option('-l, --listen <host:port>', 'address to listen on (overrides the config and $CAIRN_LISTEN)')
  .option('-w, --workers <n>', 'worker processes (node cluster)', positiveInt)
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
  .action(async (opts: { config?: string; listen?: string; workers?: number; logLevel?: string }) => {
    const { serve } = await import('./serve.js');
    await serve(opts);
  });

program.command('brick')
  .description('serve local brick directories to remote gateways (a volume lists them as http://HOST:PORT/NAME)')
  .option('-d, --dir <[name=]dir>', 'a brick directory to serve, named by its last path component unless NAME=DIR (repeatable)',
    (v: string, all: string[]) => [...all, v], [] as string[])
  .requiredOption('-l, --listen <host:port>', 'address to listen on')
  .option('--secret <secret>', 'the volume\'s shared secret (else --config\'s volume.secret, else $CAIRN_SECRET)')
  .option('-c, --config <file>', 'a gateway config: its volume.secret, volume.id (pinned) and volume.fsync are used')
  .option('--volume <id>', 'serve these bricks to this volume only')
  .option('--no-fsync', 'do not fsync data files and index commits')
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
  .action(async (opts: import('./brick.js').BrickCliOptions) => {
    const { brick } = await import('./brick.js');
    await brick(opts);
  });

program.command('bench')
  .description('measure Cairn (started on a temporary volume) or any Swift endpoint (--url)')
  .option('--url <auth-url>', 'benchmark this v1.0 auth URL instead of starting Cairn (e.g. upstream Swift)')
  .option('--user <account:user>', 'user for --url', 'test:tester')
  .option('--key <key>', 'key for --url', 'testing')
  .option('--replica <n>', 'replica count of the temporary volume', positiveInt, 2)
  .option('--sets <n>', 'replica sets of the temporary volume', positiveInt, 2)
  .option('--no-fsync', 'run the temporary volume without fsync (shows what durability costs)')
  .option('--large-mb <n>', 'size of the large object in MiB', positiveInt, 256)
  .option('--small-kb <n>', 'size of the small objects in KiB', positiveInt, 4)
  .option('--small-count <n>', 'small objects per operation', positiveInt, 2000)
  .option('--concurrency <n>', 'requests in flight for small objects and listing setup', positiveInt, 32)
  .option('--list-objects <n>', 'objects in the listing container', positiveInt, 20000)
  .option('--rss-gb <n>', 'streaming RSS check: four objects of this many GiB PUT at once (off by default)', positiveNumber)
  .option('--full', 'everything, including the streaming RSS check with 1 GiB objects')
  .option('--dir <path>', 'where the temporary volume and the raw file-stream baseline go (default: the OS temp dir)')
  .option('--keep', 'keep the temporary volume afterwards')
  .option('--json', 'print machine-readable JSON instead of a table')
  .option('--only <phases>', 'run only these phases, comma-separated: large, small, listing, rss (rss also needs --rss-gb or --full)')
  .option('--remote', 'instead: local bricks vs remote bricks (one cairn brick process each, loopback), store level, same run')
  .option('--workers-compare', 'instead: small objects against cairn serve with 1 and then 2 worker processes, same run')
  .option('--rebalance', 'instead: rebalance rate (objects/s, MB/s) onto an added replica set while clients read and write, store level')
  .action(async (opts: Record<string, unknown>) => {
    const { bench } = await import('./bench.js');
    process.exitCode = await bench(opts);
  });

// volume create|add-brick|remove-brick|replace-brick (+ status|info from the heal side) and rebalance start|status|stop.
await (await import('./volume.js')).registerVolume(program);
(await import('./rebalance.js')).registerRebalance(program);
// heal info|full|split-brain (self-heal; volume status|info come in through volume.ts).
(await import('./heal.js')).registerHeal(program);

await program.parseAsync(process.argv);
