/**
 * The director agent with a vrrp: section, on fakes (a kernel table, a hand-driven monitor, a VRRP
 * bus and clock): VRRP starts only after the first apply, a service's lost quorum reaches its
 * tracked priority, a reload changes the instance, stop gives the VIPs up before anything else, and
 * a VRRP start that fails stops the agent whole.
 */
import { describe, expect, it } from 'vitest';
import { Director, type LogRecord } from '../../lib/director';
import type { Ipvs } from '../../lib/ipvs';
import { FakeIpvs, FakeKernel } from '../helpers/fake-kernel';
import { FakeMonitor } from './director-fake-monitor';
import { TRACK_SERVICE, failoverConfig } from './failover-config';
import { FakeBus, FakeClock, FakeHost } from './vrrp-machine-fakes';

const S = { protocol: 'tcp', address: '203.0.113.10', port: 80 } as const;

const config = (priority: number) => failoverConfig(priority, { extra: TRACK_SERVICE, sync: false as const });

function agent(priority: number, fail = false) {
  const clock = new FakeClock();
  const bus = new FakeBus(clock, 1);
  const host = new FakeHost(clock);
  const monitor = new FakeMonitor();
  const logs: LogRecord[] = [];
  const ipvs = new FakeIpvs(new FakeKernel()) as unknown as Ipvs;
  const director = new Director({
    ipvs, config: config(priority), monitor, log: (r) => logs.push(r),
    failover: {
      clock, effects: () => host, link: async () => true, linkEvents: async () => ({ on: () => {}, close: () => {} }),
      transport: async (i) => {
        if (fail) throw new Error(`no ${i.interface}`);
        return bus.transport('192.0.2.1');
      },
    },
  });
  return { director, clock, host, monitor, logs };
}

describe('Director with failover', () => {
  it('starts VRRP after the first apply, tracks the quorum, and gives the VIPs up first on stop', async () => {
    const { director, clock, host, monitor, logs } = agent(150);
    await director.start();
    const events = logs.map((r) => r.event);
    expect(events.indexOf('apply')).toBeLessThan(events.indexOf('vrrp'));
    await clock.advance(5000);
    expect(director.failoverStatus().instances).toMatchObject([{ name: 'VI_1', state: 'master', priority: 150 }]);
    expect(host.holding).toBe(true);

    monitor.emit('quorum', { service: S, up: false, weight: 0, at: Date.now() });
    expect(director.failoverStatus().instances[0].priority).toBe(90);
    expect(logs.some((r) => r.event === 'vrrp' && /priority 150 -> 90 \(service tcp 203\.0\.113\.10:80\)/.test(r.message))).toBe(true);

    await director.stop();
    expect(host.holding).toBe(false);
    const order = logs.map((r) => `${r.event}${r.to ? ` ${r.to}` : ''}`);
    expect(order.indexOf('vrrp initialize')).toBeGreaterThan(-1);
    expect(order.indexOf('vrrp initialize')).toBeLessThan(order.lastIndexOf('stop'));
    expect(monitor.stopped).toBe(1);
    expect(director.failoverStatus().instances).toEqual([]);
  });

  it('a reload that changes the instance restarts it with the new settings', async () => {
    const { director, clock } = agent(150);
    await director.start();
    await clock.advance(5000);
    await director.reload(config(200));
    expect(director.failoverStatus().instances[0].priority).toBe(200);
    await director.stop();
  });

  it('a VRRP start that fails rejects start() and leaves nothing running', async () => {
    const { director, monitor, logs } = agent(150, true);
    await expect(director.start()).rejects.toThrow('no eth0');
    expect(monitor.started).toBe(1);
    expect(monitor.stopped).toBe(1);
    expect(logs.some((r) => r.event === 'start')).toBe(false);
    await expect(director.resync()).rejects.toThrow('not running (stopped)');
  });
});
