/**
 * proxy-logging (Swift's swift/common/middleware/proxy_logging.py): one access-log line per request,
 * written when the response body has been sent (or the client went away: logged as 499, as Swift
 * does). Fields: client ip (X-Cluster-Client-Ip / X-Forwarded-For / peer), method, path+query,
 * status, bytes received and sent, duration, transaction id, and swift.source for subrequests made
 * by middlewares.
 *
 * `format: json` (the default follows config log.format) logs a pino object; `format: swift` logs
 * Swift's space-separated proxy-access line (each field URL-quoted, '-' when empty or zero):
 *   client_ip remote_addr end_time method path protocol status referer user_agent auth_token
 *   bytes_recvd bytes_sent client_etag txn_id headers request_time source log_info start_time
 *   end_time policy_index
 *
 * Request bodies are counted by a pass-through stream only when a body is expected; after the
 * response is done any unread rest of it is drained so the connection stays usable.
 */
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { SwiftRequest } from '../http.js';
import { ConfigError, type MiddlewareFactory } from '../pipeline.js';
import { pyQuote } from '../pyjson.js';
import { countBodyIn, reportSent } from './common/count-through.js';

export interface ProxyLoggingOptions {
  /** 'json' | 'swift' | '' ('' follows config log.format). */
  format: string;
  /** How many characters of X-Auth-Token to show (Swift's reveal_sensitive_prefix). */
  reveal_sensitive_prefix: number;
}

/** What one access line records; exported for tests and for a future metrics hook. */
export interface AccessRecord {
  client_ip: string | undefined;
  remote_addr: string | undefined;
  method: string;
  path: string;
  protocol: string;
  status: number;
  referer: string | undefined;
  user_agent: string | undefined;
  auth_token: string | undefined;
  bytes_recvd: number;
  bytes_sent: number;
  client_etag: string | undefined;
  txn_id: string;
  request_time: number;
  source: string | undefined;
  start_time: number;
  end_time: number;
}

function peerOf(req: SwiftRequest): string | undefined {
  const sock = (req.body as Readable & { socket?: Socket }).socket;
  return sock?.remoteAddress;
}

/** Swift's get_remote_client. */
export function remoteClient(req: SwiftRequest): string | undefined {
  const cluster = req.headers['x-cluster-client-ip'];
  if (cluster) return cluster;
  const xff = req.headers['x-forwarded-for'];
  if (xff) return xff.split(',')[0]!.trim();
  return peerOf(req);
}

function gmStr(seconds: number): string {
  const d = new Date(seconds * 1000);
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}/${p(d.getUTCHours())}/${p(d.getUTCMinutes())}/${p(d.getUTCSeconds())}`;
}

/** Swift's default log_msg_template, each field quoted with safe ':/{}' and '-' for empty/zero. */
export function swiftLogLine(r: AccessRecord): string {
  const fields: unknown[] = [
    r.client_ip, r.remote_addr, gmStr(r.end_time), r.method, r.path, r.protocol, r.status, r.referer,
    r.user_agent, r.auth_token, r.bytes_recvd, r.bytes_sent, r.client_etag, r.txn_id, undefined,
    r.request_time.toFixed(4), r.source, undefined, r.start_time.toFixed(9), r.end_time.toFixed(9), undefined,
  ];
  return fields.map((f) => (f ? pyQuote(String(f), ':/{}') : '-')).join(' ');
}

export const proxyLogging: MiddlewareFactory<ProxyLoggingOptions> = {
  name: 'proxy-logging',
  defaults: { format: '', reveal_sensitive_prefix: 16 },
  validate(opts) {
    if (!['', 'json', 'swift'].includes(opts.format)) {
      throw new ConfigError('middleware.proxy-logging.format', 'must be "json" or "swift"');
    }
    if (!Number.isInteger(opts.reveal_sensitive_prefix) || opts.reveal_sensitive_prefix < 0) {
      throw new ConfigError('middleware.proxy-logging.reveal_sensitive_prefix', 'must be a non-negative integer');
    }
  },
  create(opts, deps) {
    const format = opts.format || deps.config.log.format;
    const access = deps.logger.child({ log: 'proxy-access' });
    return (next) => async (req) => {
      const startTime = Date.now() / 1000;
      const startHr = process.hrtime.bigint();
      const path = req.rawPath + (req.rawQuery ? `?${req.rawQuery}` : '');
      const method = req.method;
      const counted = countBodyIn(req);
      req = counted.req;
      const inCounter = counted.counter;
      const token = req.headers['x-auth-token'] ?? req.headers['x-storage-token'];
      const log = (status: number, bytesOut: number): void => {
        const endTime = Date.now() / 1000;
        if (inCounter && !inCounter.destroyed && !inCounter.readableEnded && inCounter.listenerCount('data') === 0) {
          // Whatever the handler did not read is drained, so the next request on the socket can be parsed.
          inCounter.resume();
        }
        const record: AccessRecord = {
          client_ip: remoteClient(req), remote_addr: peerOf(req), method, path, protocol: 'HTTP/1.1', status,
          referer: req.headers['referer'], user_agent: req.headers['user-agent'],
          auth_token: token === undefined ? undefined
            : token.length > opts.reveal_sensitive_prefix ? `${token.slice(0, opts.reveal_sensitive_prefix)}...` : token,
          bytes_recvd: counted.bytesIn(), bytes_sent: bytesOut, client_etag: req.headers['etag'], txn_id: req.ctx.txnId,
          request_time: Number(process.hrtime.bigint() - startHr) / 1e9, source: req.ctx.source,
          start_time: startTime, end_time: endTime,
        };
        if (format === 'swift') access.info(swiftLogLine(record));
        else access.info(record, 'access');
      };
      return reportSent(() => next(req), method, log);
    };
  },
};
