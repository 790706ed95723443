/** Prometheus metrics of the IPVS table and of the health checks; see docs/metrics.md. */
export { createMetrics, type IpvsMetrics } from './metrics';
export type { MetricsOptions, Listen } from './options';
export type { HealthSource } from './health-metrics';
export type { MetricsServer } from './server';
export { parseGlobalStats, type GlobalStats } from './global-stats';
export type { VrrpSource } from './vrrp-metrics';
