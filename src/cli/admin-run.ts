/**
 * Running a volume-management, heal or rebalance command: the options they share, argument parsers,
 * and errors as one line on stderr with exit code 1. Kept free of storage imports so registering the
 * commands loads nothing (main.ts's rule).
 */
import { InvalidArgumentError, type Command } from 'commander';

/** The options every volume, heal and rebalance verb takes. */
export function commonOptions(c: Command): Command {
  return c.option('-c, --config <file>', 'config file (YAML; default $CAIRN_CONFIG or the embedded default)')
    .option('--volume <id>', 'which volume (a storage policy\'s); default: the config\'s volume')
    .option('--json', 'print machine-readable JSON');
}

/** Option parsers: a bad value is commander's one-line "argument … is invalid", not a stack trace. */
export function secondsArg(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of seconds');
  return n;
}

export function positiveIntArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function countArg(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a non-negative integer');
  return Number(value);
}

/** Run a command body; a config error prints as is (it names the key), anything else as `cairn: …`. */
export async function runAdmin(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(`${e.name === 'ConfigError' ? e.message : `cairn: ${e.message}`}\n`);
    process.exitCode = 1;
  }
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Print a report; one that is not ok (something down, left unhealed) makes the exit code 1. */
export function printReport(r: { text: string; ok: boolean }): void {
  print(r.text);
  if (!r.ok) process.exitCode = 1;
}
