/** Progress bars on stderr for the long phases (only when stderr is a terminal and output is a table). */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Begin a bar; `total` in units of `unit`. */
  start(label: string, total: number, unit?: string): void;
  tick(n?: number): void;
  stop(): void;
  /** A one-line note (stderr), e.g. which phase is starting. */
  note(text: string): void;
}

export function makeProgress(enabled: boolean): Progress {
  if (!enabled) return { start() {}, tick() {}, stop() {}, note() {} };
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(label, total, unit = '') {
      bar?.stop();
      bar = new cliProgress.SingleBar({
        format: `  ${label.padEnd(28)} {bar} {value}/{total}${unit ? ` ${unit}` : ''}  {duration}s`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
      }, cliProgress.Presets.shades_classic);
      bar.start(total, 0);
    },
    tick(n = 1) { bar?.increment(n); },
    stop() { bar?.stop(); bar = undefined; },
    note(text) { process.stderr.write(`${text}\n`); },
  };
}
