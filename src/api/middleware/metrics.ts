/**
 * metrics (Cairn's; Swift sends the same counts to statsd from proxy-logging): Prometheus metrics
 * at `path` (default /metrics), in the text exposition format, for GET and HEAD.
 *
 * Place it early (right after catch_errors) so it sees every request, healthchecks and refusals
 * included, with the status the client gets. Each request is counted when its response body has
 * been sent (or abandoned): by method, what it addressed (account/container/object/auth/...),
 * status, latency, and bytes in and out. The store's per-brick latency, errors and state, and heal
 * and rebalance progress, come from the CairnMetrics the gateway shares with the volume (metrics.ts).
 *
 * Under `cairn serve --workers N` a scrape answered by any worker covers all of them
 * (metrics-cluster.ts). The endpoint is not authenticated, as /healthcheck is not: firewall it, or
 * set `path` to something unguessable, where that matters.
 */
import { CairnMetrics, requestType, type RequestType } from '../../metrics.js';
import { inClusterWorker, WorkerMetricsClient } from '../../metrics-cluster.js';
import { errorResponse } from '../errors.js';
import type { SwiftRequest, SwiftResponse } from '../http.js';
import { ConfigError, type MiddlewareFactory } from '../pipeline.js';
import { countBodyIn, reportSent } from './common/count-through.js';

export interface MetricsOptions {
  /** Where the metrics are served. */
  path: string;
  /** Also export Node's process metrics (CPU, memory, event loop lag, GC). */
  process_metrics: boolean;
}

export const metrics: MiddlewareFactory<MetricsOptions> = {
  name: 'metrics',
  defaults: { path: '/metrics', process_metrics: true },
  validate(opts) {
    if (typeof opts.path !== 'string' || !opts.path.startsWith('/')) throw new ConfigError('middleware.metrics.path', 'must be a path starting with "/"');
    if (typeof opts.process_metrics !== 'boolean') throw new ConfigError('middleware.metrics.process_metrics', 'must be true or false');
  },
  create(opts, deps) {
    const m = deps.metrics ?? new CairnMetrics();
    if (opts.process_metrics) m.collectDefaults();
    m.watchHealth(() => deps.store.health());
    const cluster = inClusterWorker(deps.config.workers) ? new WorkerMetricsClient(m.registry) : undefined;

    const scrape = async (req: SwiftRequest): Promise<SwiftResponse> => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return errorResponse(405, undefined, { allow: 'GET, HEAD' });
      let body: string;
      let contentType: string;
      try {
        ({ text: body, contentType } = cluster ? await cluster.fetch() : { text: await m.text(), contentType: m.contentType });
      } catch (err) {
        req.ctx.log.error({ err }, 'gathering metrics failed');
        return errorResponse(503);
      }
      return { status: 200, headers: { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) }, body };
    };

    return (next) => async (req) => {
      const t0 = process.hrtime.bigint();
      const method = req.method;
      const type: RequestType = requestType(req.path);
      const counted = countBodyIn(req);
      req = counted.req;
      m.inFlight.inc();
      let done = false;
      const finish = (status: number, bytesOut: number): void => {
        if (done) return;
        done = true;
        m.inFlight.dec();
        m.observeRequest({ method, type, status, bytesIn: counted.bytesIn(), bytesOut, seconds: Number(process.hrtime.bigint() - t0) / 1e9 });
      };
      return reportSent(() => (req.path === opts.path ? scrape(req) : next(req)), method, finish);
    };
  },
};
