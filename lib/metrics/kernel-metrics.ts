/**
 * The metrics read from the kernel at scrape time: the project's own under `ipvs_` (per service and
 * per real server), and node_exporter's ipvs collector's under its exact names, help texts and labels.
 * Every series is rebuilt from the scrape's reading (reset, then set), so a service or real server
 * deleted from the kernel leaves no stale series behind.
 */
import type { Counter, Gauge, Registry } from 'prom-client';
import { prom } from './prom';
import type { Stats } from '../types';
import type { GlobalStats } from './global-stats';
import { NODE_BACKEND_LABELS } from './labels';
import type { Reading } from './reading';
import type { Turns } from './turns';

type Labels = Record<string, string>;
type Emit = (labels: Labels, value: number) => void;

interface Definition {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  labelNames: readonly string[];
  values(reading: Reading, emit: Emit): void;
}

// Kernel counters are 64-bit; Prometheus samples are doubles: exact up to 2^53, rounded past it.
const num = (v: bigint) => Number(v);

/** The kernel's stats fields, as counters (totals) and gauges (its rate estimates, per second). */
const TOTALS: [suffix: string, field: keyof Stats, what: string][] = [
  ['connections_total', 'conns', 'Connections scheduled'],
  ['incoming_packets_total', 'inPackets', 'Packets received from clients'],
  ['outgoing_packets_total', 'outPackets', 'Packets sent back to clients'],
  ['incoming_bytes_total', 'inBytes', 'Bytes received from clients'],
  ['outgoing_bytes_total', 'outBytes', 'Bytes sent back to clients'],
];
const RATES: [suffix: string, field: keyof Stats, what: string][] = [
  ['connections_per_second', 'cps', 'Connections per second'],
  ['incoming_packets_per_second', 'inPps', 'Incoming packets per second'],
  ['outgoing_packets_per_second', 'outPps', 'Outgoing packets per second'],
  ['incoming_bytes_per_second', 'inBps', 'Incoming bytes per second'],
  ['outgoing_bytes_per_second', 'outBps', 'Outgoing bytes per second'],
];

function statsDefinitions(): Definition[] {
  const out: Definition[] = [];
  for (const [list, type, note] of [[TOTALS, 'counter', ''], [RATES, 'gauge', ' (the kernel\'s estimate, averaged over seconds)']] as const) {
    for (const [suffix, field, what] of list) {
      out.push({
        name: `ipvs_service_${suffix}`, help: `${what} by the virtual service${note}.`, type, labelNames: ['service'],
        values: (r, emit) => r.services.forEach((s) => emit(s.labels, num(s.entry.stats[field]))),
      });
      out.push({
        name: `ipvs_destination_${suffix}`, help: `${what} by the real server of the virtual service${note}.`, type,
        labelNames: ['service', 'destination'],
        values: (r, emit) => r.services.forEach((s) => s.destinations.forEach((d) => emit(d.labels, num(d.info.stats[field])))),
      });
    }
  }
  for (const [suffix, field, what] of RATES) {
    out.push({
      name: `ipvs_${suffix}`, help: `${what}, all services of the namespace (the kernel's estimate).`, type: 'gauge', labelNames: [],
      values: (r, emit) => emit({}, num(r.global[field as keyof GlobalStats])),
    });
  }
  return out;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function stateDefinitions(): Definition[] {
  const service = (name: string, help: string, value: (s: Reading['services'][number]) => number): Definition => ({
    name, help, type: 'gauge', labelNames: ['service'], values: (r, emit) => r.services.forEach((s) => emit(s.labels, value(s))),
  });
  const destination = (name: string, help: string, value: (d: Reading['services'][number]['destinations'][number]) => number): Definition => ({
    name, help, type: 'gauge', labelNames: ['service', 'destination'],
    values: (r, emit) => r.services.forEach((s) => s.destinations.forEach((d) => emit(d.labels, value(d)))),
  });
  return [
    { name: 'ipvs_services', help: 'Virtual services in the table.', type: 'gauge', labelNames: [], values: (r, emit) => emit({}, r.services.length) },
    service('ipvs_service_destinations', 'Real servers of the virtual service.', (s) => s.destinations.length),
    service('ipvs_service_weight', 'Sum of the weights of the virtual service\'s real servers.', (s) => sum(s.destinations.map((d) => d.info.config.weight))),
    service('ipvs_service_connections_active', 'Active connections (established) of the virtual service\'s real servers.',
      (s) => sum(s.destinations.map((d) => d.info.connections.active))),
    service('ipvs_service_connections_inactive', 'Inactive connections (not established) of the virtual service\'s real servers.',
      (s) => sum(s.destinations.map((d) => d.info.connections.inactive))),
    destination('ipvs_destination_weight', 'Weight of the real server (0: no new connections).', (d) => d.info.config.weight),
    destination('ipvs_destination_connections_active', 'Active connections (established) of the real server.', (d) => d.info.connections.active),
    destination('ipvs_destination_connections_inactive', 'Inactive connections (not established) of the real server.', (d) => d.info.connections.inactive),
    destination('ipvs_destination_connections_persistent', 'Persistence templates pointing at the real server.', (d) => d.info.connections.persistent),
  ];
}

/**
 * node_exporter's collector/ipvs_linux.go, name for name and help text for help text. Like it, real
 * servers whose labels coincide (an IPv4 and an IPv6 firewall-mark service with the same mark) are summed.
 */
function nodeExporterDefinitions(): Definition[] {
  const global = (name: string, help: string, field: keyof GlobalStats): Definition => ({
    name, help, type: 'counter', labelNames: [], values: (r, emit) => emit({}, num(r.global[field])),
  });
  const backend = (name: string, help: string, value: (d: Reading['services'][number]['destinations'][number]) => number): Definition => ({
    name, help, type: 'gauge', labelNames: NODE_BACKEND_LABELS,
    values: (r, emit) => {
      const sums = new Map<string, { labels: Labels; value: number }>();
      for (const d of r.services.flatMap((s) => s.destinations)) {
        const key = NODE_BACKEND_LABELS.map((l) => d.node[l]).join('\0');
        const seen = sums.get(key);
        if (seen) seen.value += value(d);
        else sums.set(key, { labels: d.node, value: value(d) });
      }
      for (const { labels, value: v } of sums.values()) emit(labels, v);
    },
  });
  return [
    global('node_ipvs_connections_total', 'The total number of connections made.', 'conns'),
    global('node_ipvs_incoming_packets_total', 'The total number of incoming packets.', 'inPackets'),
    global('node_ipvs_outgoing_packets_total', 'The total number of outgoing packets.', 'outPackets'),
    global('node_ipvs_incoming_bytes_total', 'The total amount of incoming data.', 'inBytes'),
    global('node_ipvs_outgoing_bytes_total', 'The total amount of outgoing data.', 'outBytes'),
    backend('node_ipvs_backend_connections_active', 'The current active connections by local and remote address.', (d) => d.info.connections.active),
    backend('node_ipvs_backend_connections_inactive', 'The current inactive connections by local and remote address.', (d) => d.info.connections.inactive),
    backend('node_ipvs_backend_weight', 'The current backend weight by local and remote address.', (d) => d.info.config.weight),
  ];
}

export function kernelDefinitions(): Definition[] {
  return [...statsDefinitions(), ...stateDefinitions(), ...nodeExporterDefinitions()];
}

/**
 * Registers each definition as a prom-client metric whose collect callback awaits the scrape's
 * reading and its turn (turns.ts), then resets and refills it in one synchronous step (a concurrent
 * scrape never sees it half full).
 */
export function registerKernelMetrics(registry: Registry, read: () => Promise<Reading>, turns: Turns): void {
  for (const def of kernelDefinitions()) {
    const common = { name: def.name, help: def.help, labelNames: [...def.labelNames], registers: [registry] };
    if (def.type === 'counter') {
      new (prom().Counter)({
        ...common,
        async collect() {
          const reading = await read();
          await turns.next();
          this.reset();
          def.values(reading, (labels, value) => this.inc(labels, value));
        },
      });
    } else {
      new (prom().Gauge)({
        ...common,
        async collect() {
          const reading = await read();
          await turns.next();
          this.reset();
          def.values(reading, (labels, value) => this.set(labels, value));
        },
      });
    }
  }
}
