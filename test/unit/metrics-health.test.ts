/**
 * The health metrics from a stand-in monitor (an EventEmitter with states() and quorums(), the shape of
 * lib/health's HealthMonitor): state and weight gauges, quorum, check latency histogram, check results,
 * transitions; a server the monitor stops watching loses its series; close() detaches.
 */
import { EventEmitter } from 'node:events';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ipvs, createMetrics } from '../../lib';
import type { HealthEvents, ServerHealth } from '../../lib/health/types';
import type { ServiceKey } from '../../lib/types';
import { answers, resetFake } from '../helpers/fake-binding';
import { parseSamples, seriesOf, valueOf } from '../helpers/prom-text';

vi.mock('../../lib/binding', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../lib/binding')>();
  const { FakeClient: Fake } = await import('../helpers/fake-binding');
  const file = '   Total Incoming Outgoing         Incoming         Outgoing\n   Conns  Packets  Packets            Bytes            Bytes\n' +
    '       0        0        0                0                0\n\n Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n' +
    '       0        0        0                0                0\n';
  return { ...real, native: () => ({ ...real.native(), Client: Fake, readProcNet: async () => [Buffer.from(file)] }) };
});

const WEB: ServiceKey = { protocol: 'tcp', address: '203.0.113.10', port: 80 };
const DNS: ServiceKey = { fwmark: 7, family: 'ipv6' };
const A = { address: '203.0.113.11', port: 80 };
const B = { address: '203.0.113.12', port: 80 };
const C = { address: '2001:db8::53', port: 53 };

class FakeMonitor extends EventEmitter<HealthEvents> {
  servers: ServerHealth[] = [];
  quorumList: { service: ServiceKey; up: boolean; weight: number }[] = [];
  states(): ServerHealth[] {
    return this.servers;
  }
  quorums() {
    return this.quorumList;
  }
}

const server = (service: ServiceKey, destination: { address: string; port: number }, state: 'up' | 'down', weight: number): ServerHealth =>
  ({ service, destination, state, weight, reason: state === 'up' ? '200 OK' : 'status 503', checkedAt: 1, since: 0 });

let ipvs: Ipvs;
let monitor: FakeMonitor;
beforeAll(async () => {
  ipvs = await Ipvs.open();
});
beforeEach(() => {
  resetFake();
  answers.table = [];
  monitor = new FakeMonitor();
  monitor.servers = [server(WEB, A, 'up', 5), server(WEB, B, 'down', 0), server(DNS, C, 'up', 3)];
  monitor.quorumList = [{ service: WEB, up: true, weight: 5 }, { service: DNS, up: false, weight: 0 }];
});

const web = (d: { address: string; port: number }) => ({ service: 'tcp 203.0.113.10:80', destination: `${d.address}:${d.port}` });
const dns = { service: 'fwmark 7 ipv6', destination: '[2001:db8::53]:53' };

describe('health metrics', () => {
  it('report each server\'s state and health weight, and each quorum, at scrape time', async () => {
    const m = createMetrics({ ipvs, health: monitor });
    let s = parseSamples(await m.scrape());
    expect(valueOf(s, 'ipvs_destination_health_up', web(A))).toBe(1);
    expect(valueOf(s, 'ipvs_destination_health_up', web(B))).toBe(0);
    expect(valueOf(s, 'ipvs_destination_health_up', dns)).toBe(1);
    expect(valueOf(s, 'ipvs_destination_health_weight', web(A))).toBe(5);
    expect(valueOf(s, 'ipvs_destination_health_weight', web(B))).toBe(0);
    expect(valueOf(s, 'ipvs_service_quorum_up', { service: 'tcp 203.0.113.10:80' })).toBe(1);
    expect(valueOf(s, 'ipvs_service_quorum_up', { service: 'fwmark 7 ipv6' })).toBe(0);
    monitor.servers = [server(WEB, A, 'down', 0)];
    s = parseSamples(await m.scrape());
    expect(seriesOf(s, 'ipvs_destination_health_up')).toEqual([{ name: 'ipvs_destination_health_up', labels: web(A), value: 0 }]);
  });

  it('count checks by result, observe their latency in seconds, count transitions and quorum changes', async () => {
    const m = createMetrics({ ipvs, health: monitor });
    const check = (destination: typeof A, ok: boolean, latencyMs: number) =>
      monitor.emit('check', { service: WEB, destination, outcome: { ok, reason: ok ? '200 OK' : 'status 503' }, latencyMs, at: 1 });
    check(A, true, 3);
    check(A, true, 40);
    check(A, false, 1000);
    check(B, false, 2);
    monitor.emit('transition', { service: WEB, destination: B, from: 'up', to: 'down', reason: 'status 503', at: 2, since: 0 });
    monitor.emit('transition', { service: WEB, destination: B, from: 'down', to: 'up', reason: '200 OK', at: 3, since: 2 });
    monitor.emit('transition', { service: WEB, destination: B, from: 'up', to: 'down', reason: 'status 503', at: 4, since: 3 });
    monitor.emit('quorum', { service: DNS, up: false, weight: 0, at: 5 });
    const s = parseSamples(await m.scrape());
    expect(valueOf(s, 'ipvs_health_checks_total', { ...web(A), result: 'ok' })).toBe(2);
    expect(valueOf(s, 'ipvs_health_checks_total', { ...web(A), result: 'failed' })).toBe(1);
    expect(valueOf(s, 'ipvs_health_checks_total', { ...web(B), result: 'failed' })).toBe(1);
    expect(valueOf(s, 'ipvs_health_check_duration_seconds_count', web(A))).toBe(3);
    expect(valueOf(s, 'ipvs_health_check_duration_seconds_sum', web(A))).toBeCloseTo(1.043, 9);
    expect(valueOf(s, 'ipvs_health_check_duration_seconds_bucket', { ...web(A), le: '0.005' })).toBe(1);
    expect(valueOf(s, 'ipvs_health_check_duration_seconds_bucket', { ...web(A), le: '0.05' })).toBe(2);
    expect(valueOf(s, 'ipvs_health_check_duration_seconds_bucket', { ...web(A), le: '1' })).toBe(3);
    expect(valueOf(s, 'ipvs_destination_health_transitions_total', { ...web(B), to: 'down' })).toBe(2);
    expect(valueOf(s, 'ipvs_destination_health_transitions_total', { ...web(B), to: 'up' })).toBe(1);
    expect(valueOf(s, 'ipvs_service_quorum_transitions_total', { service: 'fwmark 7 ipv6', to: 'down' })).toBe(1);
  });

  it('drop the event series of a server (and a service) the monitor no longer watches', async () => {
    const m = createMetrics({ ipvs, health: monitor });
    monitor.emit('check', { service: WEB, destination: B, outcome: { ok: false, reason: 'x' }, latencyMs: 1, at: 1 });
    monitor.emit('check', { service: WEB, destination: A, outcome: { ok: true, reason: 'x' }, latencyMs: 1, at: 1 });
    monitor.emit('transition', { service: WEB, destination: B, from: 'up', to: 'down', reason: 'x', at: 2, since: 0 });
    monitor.emit('quorum', { service: DNS, up: false, weight: 0, at: 5 });
    let s = parseSamples(await m.scrape());
    expect(seriesOf(s, 'ipvs_health_checks_total')).toHaveLength(2);
    monitor.servers = [server(WEB, A, 'up', 5)];
    s = parseSamples(await m.scrape());
    expect(seriesOf(s, 'ipvs_health_checks_total').map((x) => x.labels)).toEqual([{ ...web(A), result: 'ok' }]);
    expect(seriesOf(s, 'ipvs_health_check_duration_seconds_count').map((x) => x.labels)).toEqual([web(A)]);
    expect(seriesOf(s, 'ipvs_destination_health_transitions_total')).toEqual([]);
    expect(seriesOf(s, 'ipvs_service_quorum_transitions_total')).toEqual([]);
  });

  it('close() detaches from the monitor', async () => {
    const m = createMetrics({ ipvs, health: monitor });
    expect(monitor.listenerCount('check') + monitor.listenerCount('transition') + monitor.listenerCount('quorum')).toBe(3);
    m.close();
    expect(monitor.listenerCount('check') + monitor.listenerCount('transition') + monitor.listenerCount('quorum')).toBe(0);
    expect(m.registry.getMetricsAsArray()).toEqual([]);
  });

  it('without a health monitor there are no health metrics; without quorums() no quorum gauge', async () => {
    expect(await createMetrics({ ipvs }).scrape()).not.toMatch(/health|quorum/);
    const bare = Object.assign(new EventEmitter(), { states: () => monitor.servers });
    const text = await createMetrics({ ipvs, health: bare }).scrape();
    expect(text).toMatch(/^ipvs_destination_health_up\{/m);
    expect(text).not.toMatch(/ipvs_service_quorum_up/);
  });
});
