/** createMetrics' and serve's options, checked before anything is registered or bound. */
import type { Registry } from 'prom-client';
import { prom } from './prom';
import { MAX_TIMEOUT_MS } from '../call';
import { IpvsValidationError } from '../errors';
import { Ipvs } from '../ipvs';
import { integer, onlyKeys, own, plainObject } from '../validate/primitives';
import type { HealthSource } from './health-metrics';
import type { VrrpSource } from './vrrp-metrics';

export interface MetricsOptions {
  /** The client whose table is reported (its namespace is the one /proc/net/ip_vs_stats is read in). */
  ipvs: Ipvs;
  /** A health monitor (lib/health's HealthMonitor): adds the health metrics. */
  health?: HealthSource;
  /** A failover (lib/failover's Failover, or anything with status()): adds the VRRP and sync daemon metrics. */
  vrrp?: VrrpSource;
  /** Where the metrics are registered; default a new Registry of their own. */
  registry?: Registry;
  /** A scrape's deadline in milliseconds, for the kernel reads (default 5,000). */
  timeout?: number;
}

export interface CheckedMetricsOptions {
  ipvs: Ipvs;
  health: HealthSource | null;
  vrrp: VrrpSource | null;
  registry: Registry;
  timeout: number;
}

export const DEFAULT_SCRAPE_TIMEOUT_MS = 5000;

export function metricsOptions(options: unknown): CheckedMetricsOptions {
  const obj = plainObject(options, 'options');
  onlyKeys(obj, ['ipvs', 'health', 'vrrp', 'registry', 'timeout'], 'options');
  const ipvs = own(obj, 'ipvs');
  if (!(ipvs instanceof Ipvs)) throw new IpvsValidationError('options.ipvs', ipvs, 'an Ipvs client (Ipvs.open())');
  const registry = own(obj, 'registry');
  if (registry !== undefined && !(registry instanceof prom().Registry)) throw new IpvsValidationError('options.registry', registry, 'a prom-client Registry');
  const timeout = own(obj, 'timeout');
  return {
    ipvs,
    health: healthSource(own(obj, 'health')),
    vrrp: vrrpSource(own(obj, 'vrrp')),
    registry: registry ?? new (prom().Registry)(),
    timeout: timeout === undefined ? DEFAULT_SCRAPE_TIMEOUT_MS : integer(timeout, 'options.timeout', 1, MAX_TIMEOUT_MS),
  };
}

function healthSource(value: unknown): HealthSource | null {
  if (value === undefined) return null;
  const expected = 'a health monitor (states(), on() and off(); quorums() optional)';
  if (typeof value !== 'object' || value === null) throw new IpvsValidationError('options.health', value, expected);
  const h = value as Record<string, unknown>;
  for (const method of ['states', 'on', 'off'])
    if (typeof h[method] !== 'function') throw new IpvsValidationError(`options.health.${method}`, h[method], `a function: ${expected}`);
  if (h.quorums !== undefined && typeof h.quorums !== 'function') throw new IpvsValidationError('options.health.quorums', h.quorums, 'a function or nothing');
  return value as HealthSource;
}

function vrrpSource(value: unknown): VrrpSource | null {
  if (value === undefined) return null;
  if (typeof value !== 'object' || value === null || typeof (value as Record<string, unknown>).status !== 'function')
    throw new IpvsValidationError('options.vrrp', value, 'a failover with status() (lib/failover\'s Failover)');
  return value as VrrpSource;
}

export interface Listen {
  host: string;
  port: number;
}

export function listenOptions(listen: unknown): Listen {
  const obj = plainObject(listen, 'listen');
  onlyKeys(obj, ['host', 'port'], 'listen');
  const host = own(obj, 'host');
  if (typeof host !== 'string' || host === '' || /[\s/]/.test(host))
    throw new IpvsValidationError('listen.host', host, 'an address or host name to listen on, e.g. \'127.0.0.1\'');
  return { host, port: integer(own(obj, 'port'), 'listen.port', 0, 65535) };
}
