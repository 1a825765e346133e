/**
 * Cairn's configuration: one YAML file validated into one typed Config. Errors name the bad key.
 * (The loader and validation live here too; defaults are in config/default.yaml.)
 */
import type { VolumeSpec } from './storage/store.js';
import type { Constraints } from './api/constraints.js';

export interface Config {
  listen: { host: string; port: number };
  /** Worker processes (node cluster); 1 = serve in this process. */
  workers: number;
  /** Data root: relative brick paths resolve against it. */
  storage: { root: string };
  volume: VolumeSpec;
  /** Middleware names, outermost first (Swift's [pipeline:main] without proxy-server). */
  pipeline: string[];
  /** Options per middleware name. */
  middleware: Record<string, Record<string, unknown>>;
  /** Overrides of Swift's constraints. */
  constraints: Partial<Constraints>;
  log: { level: string; format: 'json' | 'swift' };
  /** Expose /info (Swift's expose_info). */
  exposeInfo: boolean;
}
