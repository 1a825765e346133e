/**
 * /metrics across `cairn serve --workers N`. A scrape lands on one worker (the kernel picks), but
 * must describe the whole gateway: that worker asks the cluster primary, the primary gathers every
 * worker's registry with prom-client's AggregatorRegistry (over the cluster IPC channel) and answers
 * with the combined text. Counters and histograms are summed; gauges combine as each declares
 * (metrics.ts).
 *
 *   worker ──cairn:metrics-req──▶ primary ──prom-client:getMetricsReq──▶ every worker
 *   worker ◀──cairn:metrics-res── primary ◀──prom-client:getMetricsRes── every worker
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQ = 'cairn:metrics-req';
const RES = 'cairn:metrics-res';
/** A little over prom-client's own 5 s limit for gathering from the workers. */
const TIMEOUT_MS = 6000;

interface MetricsRequest { type: typeof REQ; id: number }
interface MetricsResponse { type: typeof RES; id: number; text?: string; contentType?: string; error?: string }

function isMessage<T extends { type: string }>(m: unknown, type: T['type']): m is T {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;
}

/** In the primary: answer workers' requests for the aggregated metrics. Call once, before forking. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry(); // also listens for the workers' answers
  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage<MetricsRequest>(message, REQ)) return;
    const reply = (r: Omit<MetricsResponse, 'type' | 'id'>): void => {
      if (worker.isConnected()) worker.send({ type: RES, id: message.id, ...r } satisfies MetricsResponse);
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ text, contentType: aggregator.contentType }),
      (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

/**
 * A cluster worker's side: answers the primary's gathering with `registry`, and fetches the
 * aggregated text for a scrape it received.
 */
export class WorkerMetricsClient {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (r: { text: string; contentType: string }) => void; reject: (e: Error) => void }>();

  constructor(registry: Registry) {
    AggregatorRegistry.setRegistries([registry]);
    // Constructing one makes prom-client answer the primary's getMetricsReq in this worker.
    void new AggregatorRegistry();
    process.on('message', (message: unknown) => {
      if (!isMessage<MetricsResponse>(message, RES)) return;
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error !== undefined || message.text === undefined) waiter.reject(new Error(message.error ?? 'no metrics'));
      else waiter.resolve({ text: message.text, contentType: message.contentType ?? 'text/plain; version=0.0.4; charset=utf-8' });
    });
  }

  /** The whole gateway's metrics, from the primary. */
  fetch(): Promise<{ text: string; contentType: string }> {
    const send = process.send?.bind(process);
    if (!send) return Promise.reject(new Error('not a cluster worker'));
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('the cluster primary did not answer in time'));
      }, TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (r) => { clearTimeout(timer); resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      send({ type: REQ, id } satisfies MetricsRequest);
    });
  }
}

/** Whether this process is a worker of a `--workers N` gateway (N > 1). */
export function inClusterWorker(workers: number): boolean {
  return workers > 1 && cluster.isWorker;
}
