/**
 * Cairn's Prometheus metrics (prom-client), one registry per gateway process: what the `metrics`
 * middleware counts about requests, what the store reports through its StoreMetricsSink (per-brick
 * call latency and failures, heal and rebalance progress), and, at scrape time, which bricks are up.
 *
 * Every metric says how prom-client's AggregatorRegistry should combine it across `--workers`
 * (metrics-cluster.ts): counters and histograms add up; gauges that describe the shared volume rather
 * than one process (heal and rebalance progress, brick state) take the max or min, so two workers
 * seeing the same state do not double it.
 *
 * Label values are bounded: methods outside Swift's set are "OTHER", request types are a fixed list,
 * statuses are HTTP codes, bricks are the volume's bricks.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StoreError } from './storage/errors.js';
import type { HealProgress, RebalanceProgress, StoreMetricsSink } from './storage/metrics-sink.js';
import type { StoreHealth } from './storage/store.js';

/** Request latency buckets (seconds): sub-millisecond HEADs up to minute-long uploads. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Brick call buckets (seconds): index lookups take microseconds, a remote brick under load much longer. */
const BRICK_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30];

const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'COPY', 'OPTIONS']);

/** What a request addressed, as Swift's proxy-logging metrics split them (plus Cairn's own endpoints). */
export type RequestType = 'account' | 'container' | 'object' | 'auth' | 'info' | 'healthcheck' | 'metrics' | 'other';

export function requestType(path: string): RequestType {
  if (path === '/healthcheck') return 'healthcheck';
  if (path === '/info') return 'info';
  if (path === '/metrics') return 'metrics';
  if (path.startsWith('/auth/')) return 'auth';
  const parts = path.split('/');
  if (parts[1] !== 'v1' && parts[1] !== 'v1.0') return 'other';
  if (!parts[2]) return 'other';
  if (parts.length < 4 || (parts.length === 4 && !parts[3])) return 'account';
  if (parts.length === 4 || (parts.length === 5 && !parts[4])) return 'container';
  return 'object';
}

export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'OTHER';
}

/** One finished request, as the metrics middleware saw it. */
export interface RequestObservation {
  method: string;
  type: RequestType;
  status: number;
  seconds: number;
  bytesIn: number;
  bytesOut: number;
}

export class CairnMetrics implements StoreMetricsSink {
  readonly registry = new Registry();

  private readonly requests = new Counter({
    name: 'cairn_http_requests_total', help: 'Requests answered, by method, what they addressed, and status',
    labelNames: ['method', 'type', 'status'] as const, registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'cairn_http_request_duration_seconds', help: 'Time from the request to the end of its response body',
    labelNames: ['method', 'type'] as const, buckets: REQUEST_BUCKETS, registers: [this.registry],
  });
  private readonly bytesIn = new Counter({
    name: 'cairn_http_request_bytes_total', help: 'Request body bytes received',
    labelNames: ['method', 'type'] as const, registers: [this.registry],
  });
  private readonly bytesOut = new Counter({
    name: 'cairn_http_response_bytes_total', help: 'Response body bytes sent',
    labelNames: ['method', 'type'] as const, registers: [this.registry],
  });
  /** Requests being served now (a gauge every worker adds its share to). */
  readonly inFlight = new Gauge({
    name: 'cairn_http_requests_in_flight', help: 'Requests being served', registers: [this.registry],
  });

  private readonly brickCalls = new Histogram({
    name: 'cairn_brick_call_duration_seconds', help: 'Duration of calls to a brick (index operations, opens), failed ones included',
    labelNames: ['brick'] as const, buckets: BRICK_BUCKETS, registers: [this.registry],
  });
  private readonly brickErrors = new Counter({
    name: 'cairn_brick_errors_total', help: 'Brick calls that failed as a dead disk does (unavailable, timeout, full), by error code',
    labelNames: ['brick', 'code'] as const, registers: [this.registry],
  });
  private readonly brickUp = new Gauge({
    name: 'cairn_brick_up', help: 'Whether the brick answers its health check and is not marked down (1) or not (0)',
    labelNames: ['brick'] as const, aggregator: 'min', registers: [this.registry],
    // Filled at each scrape (before the registry reads it) when watchHealth gave a source.
    collect: () => this.collectBrickUp(),
  });
  private health: (() => Promise<StoreHealth>) | undefined;

  private readonly healRunning = new Gauge({
    name: 'cairn_heal_running', help: 'Whether a heal is running', aggregator: 'max', registers: [this.registry],
  });
  private readonly healPending = new Gauge({
    name: 'cairn_heal_pending_entries', help: 'Entries known to need a heal', aggregator: 'max', registers: [this.registry],
  });
  private readonly healDone = new Gauge({
    name: 'cairn_heal_entries', help: 'Entries healed or failed in the current (or last) heal run',
    labelNames: ['result'] as const, aggregator: 'max', registers: [this.registry],
  });
  private readonly rebalanceRunning = new Gauge({
    name: 'cairn_rebalance_running', help: 'Whether a rebalance is running', aggregator: 'max', registers: [this.registry],
  });
  private readonly rebalanceObjects = new Gauge({
    name: 'cairn_rebalance_objects', help: 'Objects scanned, moved and failed by the current (or last) rebalance',
    labelNames: ['state'] as const, aggregator: 'max', registers: [this.registry],
  });
  private readonly rebalanceBytes = new Gauge({
    name: 'cairn_rebalance_moved_bytes', help: 'Bytes moved by the current (or last) rebalance', aggregator: 'max', registers: [this.registry],
  });
  private readonly rebalanceContainers = new Gauge({
    name: 'cairn_rebalance_containers_done', help: 'Containers finished by the current (or last) rebalance', aggregator: 'max', registers: [this.registry],
  });

  private defaultsOn = false;

  constructor() {
    // Labelled gauges print nothing until set: start them at zero so dashboards find every series.
    for (const result of ['healed', 'failed']) this.healDone.set({ result }, 0);
    for (const state of ['scanned', 'moved', 'failed']) this.rebalanceObjects.set({ state }, 0);
  }

  /** Also export Node's process metrics (CPU, memory, event loop lag, GC). Idempotent. */
  collectDefaults(): void {
    if (this.defaultsOn) return;
    this.defaultsOn = true;
    collectDefaultMetrics({ register: this.registry });
  }

  /** Fill `cairn_brick_up` at each scrape from `health` (one health call per brick per scrape). */
  watchHealth(health: () => Promise<StoreHealth>): void {
    this.health = health;
  }

  private async collectBrickUp(): Promise<void> {
    if (!this.health) return;
    let h: StoreHealth;
    try {
      h = await this.health();
    } catch {
      return; // the last values stay: a scrape must not fail because a health call did
    }
    this.brickUp.reset();
    for (const b of h.bricks) this.brickUp.set({ brick: b.id }, b.up ? 1 : 0);
  }

  /** Count one finished request. */
  observeRequest(o: RequestObservation): void {
    const method = methodLabel(o.method);
    this.requests.inc({ method, type: o.type, status: String(o.status) });
    this.duration.observe({ method, type: o.type }, o.seconds);
    if (o.bytesIn > 0) this.bytesIn.inc({ method, type: o.type }, o.bytesIn);
    if (o.bytesOut > 0) this.bytesOut.inc({ method, type: o.type }, o.bytesOut);
  }

  // -- StoreMetricsSink -------------------------------------------------------------------------------

  brickCall(brickId: string, seconds: number, failure?: StoreError): void {
    this.brickCalls.observe({ brick: brickId }, seconds);
    if (failure) this.brickErrors.inc({ brick: brickId, code: failure.code });
  }

  healProgress(p: HealProgress): void {
    this.healRunning.set(p.running ? 1 : 0);
    if (p.pending !== undefined) this.healPending.set(p.pending);
    this.healDone.set({ result: 'healed' }, p.healed);
    this.healDone.set({ result: 'failed' }, p.failed);
  }

  rebalanceProgress(p: RebalanceProgress): void {
    this.rebalanceRunning.set(p.running ? 1 : 0);
    this.rebalanceObjects.set({ state: 'scanned' }, p.scanned);
    this.rebalanceObjects.set({ state: 'moved' }, p.moved);
    this.rebalanceObjects.set({ state: 'failed' }, p.failed);
    this.rebalanceBytes.set(p.bytes);
    this.rebalanceContainers.set(p.containers);
  }

  /** The Prometheus text exposition of this process's metrics. */
  text(): Promise<string> { return this.registry.metrics(); }

  get contentType(): string { return this.registry.contentType; }
}
