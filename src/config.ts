/**
 * Cairn's configuration: one YAML file validated into one typed Config. Errors name the bad key.
 *
 * The YAML spells keys the way Swift's and GlusterFS's own configs do (snake_case: `expose_info`,
 * `volume.write_timeout_ms`); `loadConfig` maps them onto the camelCase `Config`. Every key is
 * checked: an unknown key or a value of the wrong type is a `ConfigError` whose message starts with
 * `config: <key>:`, so an operator can find the line to fix. Middleware options are the exception:
 * only the middleware knows its options, so `buildPipeline` checks them (naming
 * `middleware.<name>.<key>` the same way) when the app is built.
 *
 * Where a value comes from, strongest first: the `overrides` argument (command-line flags), the
 * environment (`CAIRN_LISTEN`; `CAIRN_CONFIG` picks the file when none is given), the file, and
 * the defaults below (which the embedded config/default.yaml spells out in full).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { isRemoteBrick } from './storage/brick-spec.js';
import type { VolumeSpec } from './storage/store.js';
import type { PolicySpec } from './storage/policy-store.js';
import { DEFAULT_CONSTRAINTS, type Constraints } from './api/constraints.js';
import { ConfigError } from './api/pipeline.js';
import { parseHealConfig, type HealConfig } from './config-heal.js';

export { ConfigError } from './api/pipeline.js';

export interface Config {
  listen: { host: string; port: number };
  /** Worker processes (node cluster); 1 = serve in this process. */
  workers: number;
  /**
   * Data root: relative brick paths resolve against it. `volumeFile`: the volume definition
   * (storage/volume-file.ts), default `<root>/volume.json`.
   */
  storage: { root: string; volumeFile?: string };
  /** The volume (with `policies`: the default policy's volume). */
  volume: VolumeSpec;
  /**
   * Storage policies, each its own volume (storage/policy-store.ts), in index order; absent when the
   * config has only `volume` (one policy, 'Policy-0').
   */
  policies?: PolicySpec[];
  /** Middleware names, outermost first (Swift's [pipeline:main] without proxy-server). */
  pipeline: string[];
  /** Options per middleware name. */
  middleware: Record<string, Record<string, unknown>>;
  /** Overrides of Swift's constraints. */
  constraints: Partial<Constraints>;
  log: { level: string; format: 'json' | 'swift' };
  /** Expose /info (Swift's expose_info). */
  exposeInfo: boolean;
  /** The self-heal daemon a gateway runs (config-heal.ts). */
  heal: HealConfig;
}

/** What the command line may override (it wins over the environment and the file). */
export interface ConfigOverrides {
  /** `HOST:PORT`. */
  listen?: string;
  workers?: number;
  logLevel?: string;
}

/** The embedded default config (config/default.yaml), found relative to this module in src/ or dist/. */
export const DEFAULT_CONFIG_FILE = fileURLToPath(new URL('../config/default.yaml', import.meta.url));

/** The pipeline when a config names none: Swift's proxy-server.conf order, the middlewares Cairn has. */
export const DEFAULT_PIPELINE: readonly string[] = [
  'catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'listing_formats', 'tempauth',
];

export const DEFAULT_LISTEN = '127.0.0.1:8080';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LOG_FORMATS = ['json', 'swift'] as const;
const TOP_KEYS = ['listen', 'workers', 'storage', 'volume', 'policies', 'pipeline', 'middleware', 'constraints', 'log', 'expose_info', 'heal'];
const VOLUME_KEYS = ['id', 'bricks', 'replica', 'quorum', 'write_timeout_ms', 'min_free_disk_percent', 'fsync', 'secret'];

/**
 * Load and validate a config file. With no `file`, `env.CAIRN_CONFIG` or the embedded default is used.
 * Throws ConfigError (naming the key) for bad content, and for a file that cannot be read or parsed.
 */
export function loadConfig(file?: string, overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const path = resolve(file ?? nonEmpty(env.CAIRN_CONFIG) ?? DEFAULT_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const raw = parseYaml(text, path);
  const config = configFromObject(raw, dirname(path));
  return applyOverrides(config, overrides, env);
}

/** Parse YAML text; a syntax error names the file and line. An empty document is an empty map. */
export function parseYaml(text: string, name = 'config'): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const where = err.linePos?.[0] ? `line ${err.linePos[0].line}, column ${err.linePos[0].col}` : 'syntax';
    throw new ConfigError(name, `${where}: ${err.message.split('\n')[0]}`);
  }
  const value: unknown = doc.toJS();
  return value ?? {};
}

/**
 * Validate a parsed config document into a Config. Relative `storage.root` resolves against
 * `baseDir` (the config file's directory); relative brick paths resolve against the storage root.
 */
export function configFromObject(raw: unknown, baseDir: string): Config {
  const top = map(raw, '(top level)', TOP_KEYS);
  // A bare number is a port (YAML reads `listen: 8080` as one).
  const listen = parseListen(typeof top.listen === 'number' ? String(top.listen) : optional(top.listen, DEFAULT_LISTEN, 'listen', str), 'listen');
  const workers = optional(top.workers, 1, 'workers', positiveInt);

  const storage = map(top.storage ?? {}, 'storage', ['root', 'volume_file']);
  const root = resolve(baseDir, optional(storage.root, '.', 'storage.root', nonEmptyStr));
  const volumeFile = storage.volume_file === undefined ? undefined : resolve(root, nonEmptyStr(storage.volume_file, 'storage.volume_file'));

  let volume: VolumeSpec;
  let policies: PolicySpec[] | undefined;
  if (top.policies !== undefined) {
    if (top.volume !== undefined) throw new ConfigError('volume', 'not with policies (each policy has its own volume)');
    policies = parsePolicies(top.policies, root);
    volume = policies.find((p) => p.default)!.volume;
  } else {
    if (top.volume === undefined) throw new ConfigError('volume', 'required (id, bricks, replica)');
    volume = parseVolume(top.volume, root);
  }

  const pipeline = top.pipeline === undefined ? [...DEFAULT_PIPELINE] : stringList(top.pipeline, 'pipeline');
  const seen = new Set<string>();
  pipeline.forEach((name, i) => {
    if (seen.has(name)) throw new ConfigError(`pipeline[${i}]`, `"${name}" is listed twice`);
    seen.add(name);
  });

  const middleware: Record<string, Record<string, unknown>> = {};
  for (const [name, opts] of Object.entries(map(top.middleware ?? {}, 'middleware'))) {
    // null is what YAML gives for `tempauth:` with nothing under it: no options.
    middleware[name] = opts === null ? {} : map(opts, `middleware.${name}`);
  }

  const log = map(top.log ?? {}, 'log', ['level', 'format']);
  return {
    listen,
    workers,
    storage: { root, ...(volumeFile !== undefined ? { volumeFile } : {}) },
    volume,
    ...(policies ? { policies } : {}),
    pipeline,
    middleware,
    constraints: parseConstraints(top.constraints ?? {}),
    log: {
      level: optional(log.level, 'info', 'log.level', (v, k) => oneOf(v, k, LOG_LEVELS)),
      format: optional(log.format, 'json', 'log.format', (v, k) => oneOf(v, k, LOG_FORMATS)),
    },
    exposeInfo: optional(top.expose_info, true, 'expose_info', bool),
    heal: parseHealConfig(top.heal),
  };
}

/**
 * Parse `HOST:PORT` (`[v6]:PORT` for IPv6; `:PORT` or a bare `PORT` listens on 127.0.0.1, never on
 * every interface by accident). Port 0 asks the OS for a free port.
 */
export function parseListen(value: string, key = 'listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(value.trim()) ?? /^()()(\d+)$/.exec(value.trim());
  if (!m) throw new ConfigError(key, `must be HOST:PORT, got "${value}"`);
  const host = m[1] || m[2] || '127.0.0.1';
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port > 65535) throw new ConfigError(key, `port must be 0..65535, got "${m[3]}"`);
  return { host, port };
}

/** The storage root holds brick paths that are neither `memory:` nor remote URLs. */
export function isLocalBrick(brick: string): boolean {
  return !brick.startsWith('memory:') && !isRemoteBrick(brick);
}

// ------------------------------------------------------------------------------------------ sections

function parseVolume(raw: unknown, root: string): VolumeSpec {
  const v = map(raw, 'volume', VOLUME_KEYS);
  const id = optional(v.id, 'cairn', 'volume.id', nonEmptyStr);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) {
    throw new ConfigError('volume.id', 'must be letters, digits, ".", "_" or "-" (it is written into every brick)');
  }
  if (v.bricks === undefined) throw new ConfigError('volume.bricks', 'required (a list of brick paths)');
  const bricks = stringList(v.bricks, 'volume.bricks').map((b, i) => {
    if (!b) throw new ConfigError(`volume.bricks[${i}]`, 'must be a non-empty string');
    return isLocalBrick(b) ? resolve(root, b) : b;
  });
  if (bricks.length === 0) throw new ConfigError('volume.bricks', 'must list at least one brick');
  const dup = bricks.findIndex((b, i) => bricks.indexOf(b) !== i);
  if (dup >= 0) throw new ConfigError(`volume.bricks[${dup}]`, `"${bricks[dup]!}" is listed twice`);
  const replica = optional(v.replica, 1, 'volume.replica', positiveInt);
  if (bricks.length % replica !== 0) {
    throw new ConfigError('volume.bricks', `${bricks.length} bricks is not a multiple of volume.replica ${replica}`);
  }
  const spec: VolumeSpec = { id, bricks, replica };
  if (v.quorum !== undefined) {
    if (v.quorum === 'auto') spec.quorum = 'auto';
    else {
      const q = positiveInt(v.quorum, 'volume.quorum', 'must be "auto" or a positive integer');
      if (q > replica) throw new ConfigError('volume.quorum', `must not exceed volume.replica (${replica})`);
      spec.quorum = q;
    }
  }
  if (v.write_timeout_ms !== undefined) spec.writeTimeoutMs = positiveInt(v.write_timeout_ms, 'volume.write_timeout_ms');
  if (v.min_free_disk_percent !== undefined) {
    const p = num(v.min_free_disk_percent, 'volume.min_free_disk_percent');
    if (p < 0 || p > 100) throw new ConfigError('volume.min_free_disk_percent', 'must be between 0 and 100');
    spec.minFreeDiskPercent = p;
  }
  if (v.fsync !== undefined) spec.fsync = bool(v.fsync, 'volume.fsync');
  if (v.secret !== undefined) {
    // Shared with the brick servers (`cairn brick`); required by http://host:port/NAME bricks.
    spec.secret = nonEmptyStr(v.secret, 'volume.secret');
    if (spec.secret.length < 16) throw new ConfigError('volume.secret', 'must be at least 16 characters');
  } else if (bricks.some(isRemoteBrick)) {
    throw new ConfigError('volume.secret', 'required when volume.bricks lists remote bricks (http://host:port/NAME)');
  }
  return spec;
}

const POLICY_KEYS = ['name', 'default', 'aliases', 'volume'];

/**
 * `policies`: a list of {name, default?, aliases?, volume}, index = position. Names and aliases are
 * Swift's (letters, digits and '-', unique without regard to case); one policy is the default (a
 * lone policy is); volumes may share neither an id nor a brick.
 */
function parsePolicies(raw: unknown, root: string): PolicySpec[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new ConfigError('policies', 'must be a non-empty list of policies');
  const seenNames = new Map<string, string>();
  const seenBricks = new Map<string, string>();
  const seenIds = new Map<string, string>();
  const out = raw.map((item: unknown, i): PolicySpec => {
    const key = `policies[${i}]`;
    const p = map(item, key, POLICY_KEYS);
    if (p.name === undefined) throw new ConfigError(`${key}.name`, 'required');
    const name = nonEmptyStr(p.name, `${key}.name`);
    const aliases = p.aliases === undefined ? [] : stringList(p.aliases, `${key}.aliases`);
    [name, ...aliases].forEach((n, j) => {
      const where = j === 0 ? `${key}.name` : `${key}.aliases[${j - 1}]`;
      if (!/^[A-Za-z0-9-]+$/.test(n)) throw new ConfigError(where, `"${n}" may only contain letters, digits and "-"`);
      const other = seenNames.get(n.toUpperCase());
      if (other !== undefined && !(other === key && n === name)) throw new ConfigError(where, `"${n}" is already a name of ${other}`);
      seenNames.set(n.toUpperCase(), key);
    });
    if (p.volume === undefined) throw new ConfigError(`${key}.volume`, 'required (id, bricks, replica)');
    const volume = policyVolume(p.volume, root, `${key}.volume`);
    const owner = seenIds.get(volume.id);
    if (owner !== undefined) throw new ConfigError(`${key}.volume.id`, `"${volume.id}" is already the volume of ${owner}`);
    seenIds.set(volume.id, key);
    volume.bricks.forEach((b, j) => {
      const other = seenBricks.get(b);
      if (other !== undefined) throw new ConfigError(`${key}.volume.bricks[${j}]`, `"${b}" is already a brick of ${other}`);
      seenBricks.set(b, key);
    });
    return { name, aliases, default: optional(p.default, false, `${key}.default`, bool), volume };
  });
  const defaults = out.filter((p) => p.default);
  if (defaults.length > 1) throw new ConfigError('policies', `only one policy may be the default (${defaults.map((p) => p.name).join(', ')} are)`);
  if (defaults.length === 0) {
    if (out.length > 1) throw new ConfigError('policies', 'one policy must be the default (default: true)');
    out[0]!.default = true;
  }
  return out;
}

/** A policy's volume, with errors naming the key under the policy (`policies[1].volume.replica`). */
function policyVolume(raw: unknown, root: string, key: string): VolumeSpec {
  try {
    return parseVolume(raw, root);
  } catch (err) {
    if (!(err instanceof ConfigError) || !err.key.startsWith('volume')) throw err;
    throw new ConfigError(key + err.key.slice('volume'.length), err.message.slice(`config: ${err.key}: `.length));
  }
}

function parseConstraints(raw: unknown): Partial<Constraints> {
  const c = map(raw, 'constraints', Object.keys(DEFAULT_CONSTRAINTS));
  const out: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(c)) {
    const key = `constraints.${k}`;
    out[k] = Array.isArray((DEFAULT_CONSTRAINTS as unknown as Record<string, unknown>)[k])
      ? stringList(value, key)
      : nonNegativeInt(value, key);
  }
  return out as Partial<Constraints>;
}

function applyOverrides(config: Config, o: ConfigOverrides, env: NodeJS.ProcessEnv): Config {
  const out = { ...config };
  if (o.listen !== undefined) out.listen = parseListen(o.listen, '--listen');
  else if (nonEmpty(env.CAIRN_LISTEN) !== undefined) out.listen = parseListen(env.CAIRN_LISTEN!, 'CAIRN_LISTEN');
  if (o.workers !== undefined) out.workers = positiveInt(o.workers, '--workers');
  if (o.logLevel !== undefined) out.log = { ...out.log, level: oneOf(o.logLevel, '--log-level', LOG_LEVELS) };
  return out;
}

// ---------------------------------------------------------------------------------------- validators

type Check<T> = (value: unknown, key: string) => T;

function nonEmpty(s: string | undefined): string | undefined { return s === undefined || s === '' ? undefined : s; }

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function optional<T>(value: unknown, fallback: T, key: string, check: Check<T>): T {
  return value === undefined ? fallback : check(value, key);
}

/** A map; with `allowed`, any other key is an error naming it. */
function map(value: unknown, key: string, allowed?: readonly string[]): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(key, `must be a map, got ${describe(value)}`);
  }
  const obj = value as Record<string, unknown>;
  if (allowed) {
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) {
        const name = key === '(top level)' ? k : `${key}.${k}`;
        throw new ConfigError(name, `unknown key (known: ${allowed.join(', ')})`);
      }
    }
  }
  return obj;
}

function str(value: unknown, key: string): string {
  if (typeof value !== 'string') throw new ConfigError(key, `must be a string, got ${describe(value)}`);
  return value;
}

function nonEmptyStr(value: unknown, key: string): string {
  const s = str(value, key);
  if (!s) throw new ConfigError(key, 'must be a non-empty string');
  return s;
}

function stringList(value: unknown, key: string): string[] {
  if (!Array.isArray(value)) throw new ConfigError(key, `must be a list of strings, got ${describe(value)}`);
  return value.map((v, i) => str(v, `${key}[${i}]`));
}

function num(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ConfigError(key, `must be a number, got ${describe(value)}`);
  return value;
}

function positiveInt(value: unknown, key: string, message = 'must be a positive integer'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new ConfigError(key, message);
  return value;
}

function nonNegativeInt(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ConfigError(key, 'must be a non-negative integer');
  }
  return value;
}

function bool(value: unknown, key: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(key, `must be true or false, got ${describe(value)}`);
  return value;
}

function oneOf<T extends string>(value: unknown, key: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(key, `must be one of ${allowed.join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}
