/**
 * Which TokenStore TempAuth uses. Signed tokens (the default) are accepted by every process that has
 * the same secret, so a client may land on any `--workers` worker or any gateway sharing the config;
 * `token_store: memory` keeps Swift's random tokens in this process only, and is overridden when the
 * gateway runs several workers (a token from one worker would be refused by the others).
 */
import type { AppDeps } from '../../pipeline.js';
import type { TempAuthOptions, TempAuthSettings } from './settings.js';
import { SignedTokenStore } from './signed-tokens.js';
import { resolveTokenSecret } from './token-secret.js';
import { LruTokenStore, type TokenStore } from './tokens.js';

export function makeTokenStore(opts: TempAuthOptions, s: TempAuthSettings, deps: AppDeps): TokenStore {
  const log = deps.logger.child({ middleware: 'tempauth' });
  if (opts.token_store === 'memory') {
    if (deps.config.workers <= 1) return new LruTokenStore(s.resellerPrefix);
    log.warn({ workers: deps.config.workers }, 'token_store "memory" ignored: several workers need signed tokens');
  }
  const secret = resolveTokenSecret(opts.token_secret, deps.config);
  if (secret.warning) log.warn(secret.warning);
  log.debug({ source: secret.source, file: secret.file }, 'signed tokens');
  return new SignedTokenStore(s.resellerPrefix, secret.key);
}
