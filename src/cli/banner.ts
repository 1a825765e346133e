/**
 * What `cairn serve` prints once it listens: the endpoint, the volume, a user to try and a copyable
 * `swift` command. The first line is stable (`cairn: listening on URL (pid N)`): scripts and tests
 * wait for it.
 */
import type { Config } from '../config.js';

interface TempauthUser { account: string; user: string; key: string; groups?: string[] }

/** The base URL clients should use: a wildcard listen address is reached on loopback. */
export function endpointUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/** The user to show: test:tester when configured (the account Swift's docs use), else the first one. */
export function defaultUser(config: Config): TempauthUser | undefined {
  if (!config.pipeline.includes('tempauth')) return undefined;
  const users = config.middleware.tempauth?.users;
  if (!Array.isArray(users) || users.length === 0) return undefined;
  const list = users as TempauthUser[];
  return list.find((u) => u.account === 'test' && u.user === 'tester') ?? list[0];
}

export function banner(config: Config, port: number): string {
  const base = endpointUrl(config.listen.host, port);
  const v = config.volume;
  const sets = v.bricks.length / v.replica;
  const lines = [
    `cairn: listening on ${base} (pid ${process.pid})`,
    `  volume     ${v.id}: ${v.bricks.length} brick${v.bricks.length === 1 ? '' : 's'}, ${sets} replica set${sets === 1 ? '' : 's'} of ${v.replica}, under ${config.storage.root}`,
  ];
  const user = defaultUser(config);
  if (user) {
    const name = `${user.account}:${user.user}`;
    lines.push(
      `  auth       ${base}/auth/v1.0  (user ${name}, key ${user.key})`,
      `  try        swift -A ${base}/auth/v1.0 -U ${name} -K ${user.key} stat`,
    );
  }
  return `${lines.join('\n')}\n`;
}
