/**
 * Every middleware Cairn knows, by name. Add one line per middleware file; the order here does not
 * matter (config.pipeline gives the order).
 */
import type { MiddlewareFactory } from '../pipeline.js';

export const MIDDLEWARES: ReadonlyArray<MiddlewareFactory<any>> = [
];

export const REGISTRY: ReadonlyMap<string, MiddlewareFactory<any>> = new Map(MIDDLEWARES.map((m) => [m.name, m]));
