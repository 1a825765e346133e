/**
 * The gateway's logger, in the format `log.format` asks for:
 *
 * - `json` (default): pino's JSON lines, one object per line (access lines carry `log: "proxy-access"`
 *   and the fields of proxy-logging's AccessRecord).
 * - `swift`: plain text, so tools written for Swift's proxy logs read Cairn's: each access line is
 *   exactly Swift's proxy-access line (proxy-logging writes it as the message), and every other line
 *   is `<ISO time> <LEVEL> <message>`, followed by its other fields as JSON when it has any.
 *
 * The conversion is pino's streamWrite hook on the serialized line, so nothing else changes: children,
 * levels and the destination stay pino's.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARNING', 50: 'ERROR', 60: 'CRITICAL' };
/** Fields every pino line has, left out of a text line's JSON tail. */
const ENVELOPE = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

export function createLogger(log: Config['log'], destination?: DestinationStream): Logger {
  const options = log.format === 'swift' ? { level: log.level, hooks: { streamWrite: toSwiftText } } : { level: log.level };
  return destination ? pino(options, destination) : pino(options);
}

/** One serialized pino line as a text line (see the module doc). */
export function toSwiftText(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line; // not ours to rewrite
  }
  const msg = typeof o['msg'] === 'string' ? o['msg'] : '';
  if (o['log'] === 'proxy-access') return `${msg}\n`;
  const rest = Object.fromEntries(Object.entries(o).filter(([k]) => !ENVELOPE.has(k)));
  const time = typeof o['time'] === 'number' ? new Date(o['time']).toISOString() : new Date().toISOString();
  const tail = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return `${time} ${LEVELS[o['level'] as number] ?? 'INFO'} ${msg}${tail}\n`;
}
