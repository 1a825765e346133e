/**
 * Running a volume-management or rebalance command: errors become one line on stderr and exit code 1.
 * Kept free of storage imports so registering the commands loads nothing (main.ts's rule).
 */

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
