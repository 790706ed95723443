/** createMetrics: the kernel's table and the health monitor's state as Prometheus metrics, on a registry. */
import type { Registry } from 'prom-client';
import { IpvsValidationError } from '../errors';
import { HEALTH_METRIC_NAMES, HealthMetrics } from './health-metrics';
import { kernelDefinitions, registerKernelMetrics } from './kernel-metrics';
import { listenOptions, metricsOptions, type MetricsOptions } from './options';
import { KernelReader } from './reading';
import { serveMetrics, type MetricsServer } from './server';
import { Turns } from './turns';
import { VRRP_METRIC_NAMES, registerVrrpMetrics } from './vrrp-metrics';

export interface IpvsMetrics {
  readonly registry: Registry;
  /**
   * One scrape in Prometheus text format: the table read once (getTable with stats) and the
   * namespace's /proc/net/ip_vs_stats. Calls made while one is running share it. Rejects with
   * the kernel's IpvsError (ETIMEDOUT past the deadline).
   */
  scrape(): Promise<string>;
  /** GET /metrics over HTTP on host and port (0: any free port). */
  serve(listen: { host: string; port: number }): Promise<MetricsServer>;
  /** Detaches from the health monitor and takes the metrics off the registry. Idempotent. */
  close(): void;
}

export function createMetrics(options: MetricsOptions): IpvsMetrics {
  const o = metricsOptions(options);
  const reader = new KernelReader(o.ipvs, o.timeout);
  const before = new Set(o.registry.getMetricsAsArray().map((m) => m.name));
  // All or nothing: prom-client refuses a name registered twice, and would leave half the set behind.
  const taken = [...kernelDefinitions().map((d) => d.name), ...(o.health ? HEALTH_METRIC_NAMES : []), ...(o.vrrp ? VRRP_METRIC_NAMES : [])]
    .filter((n) => before.has(n));
  if (taken.length > 0) {
    throw new IpvsValidationError('options.registry', o.registry,
      `a registry without ${taken[0]} (${taken.length} of these metrics are on it already: close() the IpvsMetrics that registered them)`);
  }
  const turns = new Turns();
  registerKernelMetrics(o.registry, () => reader.read(), turns);
  const health = o.health ? new HealthMetrics(o.registry, o.health, turns) : null;
  if (o.vrrp) registerVrrpMetrics(o.registry, o.vrrp);
  const names = o.registry.getMetricsAsArray().map((m) => m.name).filter((name) => !before.has(name));
  let inFlight: Promise<string> | null = null;
  let closed = false;

  const scrape = (): Promise<string> => {
    if (inFlight) return inFlight;
    const run = o.registry.metrics();
    inFlight = run;
    const done = () => {
      if (inFlight === run) inFlight = null;
    };
    run.then(done, done);
    return run;
  };

  return {
    registry: o.registry,
    scrape,
    serve: async (listen) => serveMetrics({ scrape, contentType: o.registry.contentType, timeoutMs: o.timeout }, listenOptions(listen)),
    close() {
      if (closed) return;
      closed = true;
      health?.close();
      for (const name of names) o.registry.removeSingleMetric(name);
    },
  };
}
