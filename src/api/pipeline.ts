/**
 * The middleware registry and pipeline builder (Swift's paste pipeline + filter_factory +
 * register_swift_info + required_filters).
 *
 * Each middleware lives in its own file under src/api/middleware/ and exports one MiddlewareFactory
 * that declares its option defaults, validates its options, says what it adds to /info, and wraps
 * the handler below it. `config.pipeline` gives the order, outermost first, like
 * `[pipeline:main]` in proxy-server.conf. Required middlewares missing from the list are inserted
 * where Swift would put them.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { CairnMetrics } from '../metrics.js';
import type { ObjectStore } from '../storage/store.js';
import type { Constraints } from './constraints.js';
import type { Handler, Middleware } from './http.js';

/** /info as Swift builds it: capability name -> published settings (Swift's register_swift_info). */
export class InfoRegistry {
  private readonly entries = new Map<string, Record<string, unknown>>();
  private readonly admin = new Map<string, Record<string, unknown>>();
  register(name: string, info: Record<string, unknown>, adminInfo?: Record<string, unknown>): void {
    this.entries.set(name, { ...(this.entries.get(name) ?? {}), ...info });
    if (adminInfo) this.admin.set(name, { ...(this.admin.get(name) ?? {}), ...adminInfo });
  }
  /** The public /info document; `only`/`disallowed` filter sections as Swift's info controller does. */
  toJSON(): Record<string, Record<string, unknown>> { return Object.fromEntries(this.entries); }
  adminJSON(): Record<string, Record<string, unknown>> { return Object.fromEntries(this.admin); }
  has(name: string): boolean { return this.entries.has(name); }
}

/** What every middleware and controller may use. */
export interface AppDeps {
  store: ObjectStore;
  config: Config;
  constraints: Constraints;
  logger: Logger;
  info: InfoRegistry;
  /** The process's metrics (shared with the volume, which reports brick calls into it). */
  metrics?: CairnMetrics;
}

export class ConfigError extends Error {
  constructor(readonly key: string, message: string) {
    super(`config: ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface MiddlewareFactory<O extends object = Record<string, unknown>> {
  /** The name used in config.pipeline and in config.middleware.<name>. */
  readonly name: string;
  /** Option defaults; config.middleware.<name> is merged over them. */
  readonly defaults: O;
  /** Check the merged options; throw ConfigError naming the bad key (as `middleware.<name>.<key>`). */
  validate?(opts: O): void;
  /** Register this middleware's /info entries (and admin-only ones). */
  registerInfo?(opts: O, info: InfoRegistry): void;
  /** Wrap the handler below. Called once at startup. */
  create(opts: O, deps: AppDeps): Middleware;
  /** If the pipeline lacks this middleware, insert it right after the named one (Swift's required_filters). */
  readonly requiredAfter?: string;
}

/** Build the handler for `names` (outermost first) over `app`. */
export function buildPipeline(
  names: string[],
  registry: ReadonlyMap<string, MiddlewareFactory<any>>,
  deps: AppDeps,
  app: Handler,
): Handler {
  const order = withRequired(names, registry);
  const layers: Middleware[] = [];
  for (const name of order) {
    const factory = registry.get(name);
    if (!factory) throw new ConfigError('pipeline', `unknown middleware "${name}"`);
    const given = (deps.config.middleware?.[name] ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(given)) {
      if (!(key in factory.defaults)) throw new ConfigError(`middleware.${name}.${key}`, 'unknown option');
    }
    const opts = { ...factory.defaults, ...given };
    factory.validate?.(opts);
    factory.registerInfo?.(opts, deps.info);
    layers.push(factory.create(opts, deps));
  }
  let handler = app;
  for (let i = layers.length - 1; i >= 0; i--) handler = layers[i]!(handler);
  return handler;
}

function withRequired(names: string[], registry: ReadonlyMap<string, MiddlewareFactory<any>>): string[] {
  const out = [...names];
  for (const f of registry.values()) {
    if (f.requiredAfter === undefined || out.includes(f.name)) continue;
    const at = f.requiredAfter === '' ? -1 : out.indexOf(f.requiredAfter);
    out.splice(at + 1, 0, f.name);
  }
  return out;
}
