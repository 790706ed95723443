/**
 * Health metrics, from a health monitor (lib/health's HealthMonitor, or anything with its shape):
 * the state of each checked real server at scrape time (states(), quorums()), and what happened
 * between scrapes from its events: every check's latency and result, every transition. Series of
 * servers the monitor no longer watches are dropped at the next scrape.
 */
import type { EventEmitter } from 'node:events';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { prom } from './prom';
import type { CheckEvent, HealthTransition, QuorumTransition, ServerHealth } from '../health/types';
import type { ServiceKey } from '../types';
import { destinationLabel, serviceLabel } from './labels';
import type { Turns } from './turns';

/** An EventEmitter's listener type: a HealthMonitor (EventEmitter<HealthEvents>) and an untyped emitter both fit. */
type Listener = Parameters<EventEmitter['on']>[1];

/** What the metrics need of a health monitor. */
export interface HealthSource {
  states(): readonly ServerHealth[];
  /** Optional: services with a quorum, up or down. */
  quorums?(): readonly { service: ServiceKey; up: boolean; weight: number }[];
  on(event: 'check' | 'transition' | 'quorum', listener: Listener): unknown;
  off(event: 'check' | 'transition' | 'quorum', listener: Listener): unknown;
}

type ServerLabels = { service: string; destination: string };

const serverLabels = (e: Pick<ServerHealth, 'service' | 'destination'>): ServerLabels =>
  ({ service: serviceLabel(e.service), destination: destinationLabel(e.destination) });
const serverKey = (l: ServerLabels) => `${l.service}\0${l.destination}`;
const serviceKey = (service: string) => `${service}\0`;

/** Every name HealthMetrics may register (the quorum gauge only with quorums()). */
export const HEALTH_METRIC_NAMES = [
  'ipvs_destination_health_up', 'ipvs_destination_health_weight', 'ipvs_service_quorum_up', 'ipvs_health_check_duration_seconds',
  'ipvs_health_checks_total', 'ipvs_destination_health_transitions_total', 'ipvs_service_quorum_transitions_total',
] as const;

/** Check latencies from a local connect (about a millisecond) to a timeout of several seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class HealthMetrics {
  readonly #source: HealthSource;
  readonly #latency: Histogram<'service' | 'destination'>;
  readonly #checks: Counter<'service' | 'destination' | 'result'>;
  readonly #transitions: Counter<'service' | 'destination' | 'to'>;
  readonly #quorumTransitions: Counter<'service' | 'to'>;
  /** The label sets each server's event-fed series use, so a server that leaves takes its series along. */
  readonly #seen = new Map<string, { metric: Counter<string> | Histogram<string>; labels: Record<string, string> }[]>();
  readonly #onCheck = (e: CheckEvent) => this.#check(e);
  readonly #onTransition = (t: HealthTransition) => this.#transition(t);
  readonly #onQuorum = (q: QuorumTransition) => this.#quorum(q);

  constructor(registry: Registry, source: HealthSource, turns: Turns) {
    this.#source = source;
    const registers = [registry];
    const prune = async () => {
      await turns.next();
      this.#prune();
    };
    const states = () => source.states();
    new (prom().Gauge)({
      name: 'ipvs_destination_health_up', help: 'The real server\'s health: 1 up, 0 down.',
      labelNames: ['service', 'destination'], registers,
      async collect() {
        await turns.next();
        this.reset();
        for (const s of states()) this.set(serverLabels(s), s.state === 'up' ? 1 : 0);
      },
    });
    new (prom().Gauge)({
      name: 'ipvs_destination_health_weight', help: 'The weight health gives the real server: configured or dynamic while up, 0 while down.',
      labelNames: ['service', 'destination'], registers,
      async collect() {
        await turns.next();
        this.reset();
        for (const s of states()) this.set(serverLabels(s), s.weight);
      },
    });
    if (typeof source.quorums === 'function') {
      const quorums = source.quorums.bind(source);
      new (prom().Gauge)({
        name: 'ipvs_service_quorum_up', help: 'The virtual service\'s quorum: 1 held, 0 lost (its sorry server takes the traffic).',
        labelNames: ['service'], registers,
        async collect() {
          await turns.next();
          this.reset();
          for (const q of quorums()) this.set({ service: serviceLabel(q.service) }, q.up ? 1 : 0);
        },
      });
    }
    this.#latency = new (prom().Histogram)({
      name: 'ipvs_health_check_duration_seconds', help: 'How long each check attempt of the real server took.',
      labelNames: ['service', 'destination'], buckets: LATENCY_BUCKETS, registers, collect: prune,
    });
    this.#checks = new (prom().Counter)({
      name: 'ipvs_health_checks_total', help: 'Check attempts of the real server, by result (ok, failed).',
      labelNames: ['service', 'destination', 'result'], registers, collect: prune,
    });
    this.#transitions = new (prom().Counter)({
      name: 'ipvs_destination_health_transitions_total', help: 'Times the real server went up or down (label to).',
      labelNames: ['service', 'destination', 'to'], registers, collect: prune,
    });
    this.#quorumTransitions = new (prom().Counter)({
      name: 'ipvs_service_quorum_transitions_total', help: 'Times the virtual service gained or lost its quorum (label to: up, down).',
      labelNames: ['service', 'to'], registers, collect: prune,
    });
    source.on('check', this.#onCheck);
    source.on('transition', this.#onTransition);
    source.on('quorum', this.#onQuorum);
  }

  close(): void {
    this.#source.off('check', this.#onCheck);
    this.#source.off('transition', this.#onTransition);
    this.#source.off('quorum', this.#onQuorum);
  }

  #check(e: CheckEvent): void {
    const labels = serverLabels(e);
    this.#latency.observe(labels, e.latencyMs / 1000);
    const result = { ...labels, result: e.outcome.ok ? 'ok' : 'failed' };
    this.#checks.inc(result);
    this.#remember(serverKey(labels), this.#latency, labels);
    this.#remember(serverKey(labels), this.#checks, result);
  }

  #transition(t: HealthTransition): void {
    const labels = serverLabels(t);
    const counted = { ...labels, to: t.to };
    this.#transitions.inc(counted);
    this.#remember(serverKey(labels), this.#transitions, counted);
  }

  #quorum(q: QuorumTransition): void {
    const labels = { service: serviceLabel(q.service), to: q.up ? 'up' : 'down' };
    this.#quorumTransitions.inc(labels);
    this.#remember(serviceKey(labels.service), this.#quorumTransitions, labels);
  }

  #remember(key: string, metric: Counter<string> | Histogram<string>, labels: Record<string, string>): void {
    const list = this.#seen.get(key) ?? [];
    if (!list.some((s) => s.metric === metric && sameLabels(s.labels, labels))) list.push({ metric, labels });
    this.#seen.set(key, list);
  }

  /** Drops the series of servers (and services) the monitor no longer watches. Idempotent: each event-fed metric calls it. */
  #prune(): void {
    if (this.#seen.size === 0) return;
    const watched = new Set<string>();
    for (const s of this.#source.states()) {
      const labels = serverLabels(s);
      watched.add(serverKey(labels)).add(serviceKey(labels.service));
    }
    for (const [key, list] of this.#seen) {
      if (watched.has(key)) continue;
      for (const { metric, labels } of list) metric.remove(labels);
      this.#seen.delete(key);
    }
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
