/**
 * Reading middleware options from YAML the way Swift reads paste.deploy strings: lists may be given
 * as a whitespace/comma separated string or as an array; booleans as Swift's TRUE_VALUES; numbers
 * as numbers or numeric strings. Each reader throws ConfigError naming `middleware.<name>.<key>`.
 */
import { ConfigError } from '../../pipeline.js';

const TRUE_VALUES = new Set(['true', '1', 'yes', 'on', 't', 'y']);

/** Swift's config_true_value. */
export function isTrue(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1;
  return typeof value === 'string' && TRUE_VALUES.has(value.trim().toLowerCase());
}

export function listOption(mw: string, key: string, value: unknown, sep: RegExp = /[\s,]+/): string[] {
  if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter(Boolean);
  if (typeof value === 'string') return value.split(sep).map((s) => s.trim()).filter(Boolean);
  if (value === undefined || value === null) return [];
  throw new ConfigError(`middleware.${mw}.${key}`, 'expected a list or a string');
}

export function numberOption(mw: string, key: string, value: unknown, opts: { min?: number; integer?: boolean } = {}): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new ConfigError(`middleware.${mw}.${key}`, 'expected a number');
  if (opts.integer && !Number.isInteger(n)) throw new ConfigError(`middleware.${mw}.${key}`, 'expected an integer');
  if (opts.min !== undefined && n < opts.min) {
    throw new ConfigError(`middleware.${mw}.${key}`, `must be at least ${opts.min}`);
  }
  return n;
}

export function stringOption(mw: string, key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ConfigError(`middleware.${mw}.${key}`, 'expected a string');
}
