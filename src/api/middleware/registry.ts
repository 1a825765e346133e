/**
 * Every middleware Cairn knows, by name. Add one line per middleware file; the order here does not
 * matter (config.pipeline gives the order).
 */
import type { MiddlewareFactory } from '../pipeline.js';
import { tempurl } from './tempurl/index.js';
import { formpost } from './formpost/index.js';
import { bulk } from './bulk/index.js';
import { staticweb } from './staticweb/index.js';

export const MIDDLEWARES: ReadonlyArray<MiddlewareFactory<any>> = [
  tempurl,
  formpost,
  bulk,
  staticweb,
];

export const REGISTRY: ReadonlyMap<string, MiddlewareFactory<any>> = new Map(MIDDLEWARES.map((m) => [m.name, m]));
