/**
 * Failover metrics, from the director's VRRP instances and sync daemons (a Failover's status(), read
 * at scrape time): each instance's state and priority, and its counters as Prometheus counters
 * (keepalived's SNMP VRRP statistics, by name: adverts, priority-0 adverts, becoming master, drops).
 */
import type { Registry } from 'prom-client';
import type { FailoverStatus } from '../failover/failover';
import type { VrrpCounters } from '../vrrp/counters';
import { prom } from './prom';

/** What the metrics need of a failover (a Failover, or a Director's failoverStatus bound). */
export interface VrrpSource {
  status(): FailoverStatus;
}

export const VRRP_STATES = ['initialize', 'backup', 'master', 'fault'] as const;

type CounterName = Exclude<keyof VrrpCounters, 'drops'>;

/** Counter name -> the instance counter it reports. */
const COUNTERS: readonly (readonly [string, CounterName, string])[] = [
  ['ipvs_vrrp_adverts_sent_total', 'advertsSent', 'VRRP advertisements sent.'],
  ['ipvs_vrrp_adverts_received_total', 'advertsReceived', 'VRRP advertisements received for this instance (checked on the wire, of its VRID).'],
  ['ipvs_vrrp_send_errors_total', 'sendErrors', 'Advertisements the socket failed to send.'],
  ['ipvs_vrrp_priority_zero_sent_total', 'priorityZeroSent', 'Priority-0 advertisements sent (this master leaving).'],
  ['ipvs_vrrp_priority_zero_received_total', 'priorityZeroReceived', 'Priority-0 advertisements received (a master leaving).'],
  ['ipvs_vrrp_address_list_errors_total', 'addressListErrors', 'Advertisements of this VRID carrying other addresses than ours.'],
  ['ipvs_vrrp_became_master_total', 'becameMaster', 'Times the instance became master.'],
  ['ipvs_vrrp_transitions_total', 'transitions', 'State transitions of the instance.'],
  ['ipvs_vrrp_effect_errors_total', 'effectErrors', 'Host effects (adding, removing, announcing the VIPs) that failed.'],
];

export const VRRP_METRIC_NAMES = [
  'ipvs_vrrp_state', 'ipvs_vrrp_priority', 'ipvs_vrrp_dropped_total', 'ipvs_sync_daemon_running', ...COUNTERS.map((c) => c[0]),
] as const;

export function registerVrrpMetrics(registry: Registry, source: VrrpSource): void {
  const registers = [registry];
  const p = prom();
  new p.Gauge({
    name: 'ipvs_vrrp_state', help: 'The VRRP instance\'s state: 1 for the state it is in, 0 for the others.',
    labelNames: ['instance', 'state'], registers,
    collect() {
      this.reset();
      for (const i of source.status().instances) for (const s of VRRP_STATES) this.set({ instance: i.name, state: s }, i.state === s ? 1 : 0);
    },
  });
  new p.Gauge({
    name: 'ipvs_vrrp_priority', help: 'The priority the instance advertises now (configured, moved by tracked inputs).',
    labelNames: ['instance'], registers,
    collect() {
      this.reset();
      for (const i of source.status().instances) this.set({ instance: i.name }, i.priority);
    },
  });
  for (const [name, counter, help] of COUNTERS) {
    new p.Counter({
      name, help, labelNames: ['instance'], registers,
      collect() {
        this.reset();
        for (const i of source.status().instances) this.inc({ instance: i.name }, i.counters[counter]);
      },
    });
  }
  new p.Counter({
    name: 'ipvs_vrrp_dropped_total', help: 'Received VRRP packets dropped before the state machine, by reason.',
    labelNames: ['instance', 'reason'], registers,
    collect() {
      this.reset();
      for (const i of source.status().instances)
        for (const [reason, n] of Object.entries(i.counters.drops)) if (n) this.inc({ instance: i.name, reason }, n);
    },
  });
  new p.Gauge({
    name: 'ipvs_sync_daemon_running', help: 'The kernel\'s connection sync daemons this director runs (daemon: master, backup).',
    labelNames: ['daemon'], registers,
    collect() {
      this.reset();
      const sync = source.status().sync;
      if (!sync) return;
      for (const d of ['master', 'backup']) this.set({ daemon: d }, sync.running.includes(d) ? 1 : 0);
    },
  });
}
