/**
 * Tracked inputs read by polling a function (TrackPoller: keepalived's vrrp_script rise/fall and
 * timeout), a user hook driving a failover, and a config file's instance turned into a running
 * machine (machineOptionsOf, daemonsFor).
 */
import { describe, expect, it } from 'vitest';
import { IpvsValidationError, parseConfig } from '../../lib';
import { daemonsFor, machineOptionsOf } from '../../lib/vrrp/from-config';
import { VrrpMachine } from '../../lib/vrrp/machine';
import { TrackPoller } from '../../lib/vrrp/track-poll';
import { FakeClock, FakeHost, Lab, timeOf } from './vrrp-machine-fakes';

function recorder(clock: FakeClock) {
  const calls: [string, boolean, number][] = [];
  return { calls, setTracked: (name: string, up: boolean) => calls.push([name, up, clock.now()]) };
}

describe('TrackPoller', () => {
  it('down after fall failures in a row, up after rise successes in a row; runs interval apart', async () => {
    const clock = new FakeClock();
    const target = recorder(clock);
    // One result per run: fail, ok, fail, fail (down), ok, ok, ok (up), ok.
    const results = [false, true, false, false, true, true, true, true];
    const runs: number[] = [];
    const poller = new TrackPoller(target, { name: 'chk', check: () => (runs.push(clock.now()), results.shift() ?? true), interval: 1000, rise: 3, fall: 2 }, clock);
    poller.start();
    await clock.advance(7500);
    expect(runs).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000]);
    expect(target.calls).toEqual([['chk', false, 3000], ['chk', true, 6000]]);
    expect(poller.state).toBe(true);
  });

  it('a run that takes longer than timeout, throws or rejects is a failure; the next run is interval after it ended', async () => {
    const clock = new FakeClock();
    const target = recorder(clock);
    const behaviours: (() => boolean | Promise<boolean>)[] = [
      () => new Promise<boolean>(() => {}), // never settles: fails at the timeout (300)
      () => {
        throw new Error('boom');
      },
      () => Promise.reject(new Error('no')),
      () => 1 as unknown as boolean, // not true: a failure
    ];
    const runs: number[] = [];
    const poller = new TrackPoller(target, { name: 'x', check: () => (runs.push(clock.now()), behaviours.shift()!()), interval: 1000, timeout: 300, fall: 4 }, clock);
    poller.start();
    await clock.advance(3400);
    expect(runs).toEqual([0, 1300, 2300, 3300]);
    expect(target.calls).toEqual([['x', false, 3300]]);
  });

  it('starts down when told; stop() ends the runs and a late result is not reported', async () => {
    const clock = new FakeClock();
    const target = recorder(clock);
    let resolve: (ok: boolean) => void = () => {};
    const poller = new TrackPoller(target, { name: 'x', check: () => new Promise<boolean>((r) => (resolve = r)), up: false, timeout: 5000 }, clock);
    poller.start();
    poller.start();
    await clock.advance(100);
    poller.stop();
    resolve(true);
    await clock.advance(10_000);
    expect(target.calls).toEqual([]);
    expect(poller.state).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  const yes = (): boolean => true;
  it.each([
    [{ name: '', check: yes }, 'hook.name'],
    [{ name: 'x', check: 'true' }, 'hook.check'],
    [{ name: 'x', check: yes, interval: 5 }, 'hook.interval'],
    [{ name: 'x', check: yes, rise: 0 }, 'hook.rise'],
    [{ name: 'x', check: yes, every: 1 }, 'hook.every'],
  ] as [Record<string, unknown>, string][])('%j: IpvsValidationError naming %s', (hook, field) => {
    expect(() => new TrackPoller({ setTracked: () => {} }, hook as never, new FakeClock())).toThrow(expect.objectContaining({ field }));
    expect(() => new TrackPoller({ setTracked: () => {} }, hook as never, new FakeClock())).toThrow(IpvsValidationError);
  });

  it('a user hook (a function) drives a failover: the master\'s check fails, its priority drops, the backup takes over', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 150, track: [{ name: 'app', weight: -100 }] });
    const b = lab.add({ priority: 100 });
    let healthy = true;
    const poller = new TrackPoller(a.machine, { name: 'app', check: async () => healthy, interval: 500, fall: 2 }, lab.clock);
    poller.start();
    a.machine.start();
    b.machine.start();
    await lab.clock.advance(10_000);
    expect(lab.masters()).toEqual([a]);
    healthy = false;
    await lab.clock.advance(10_000);
    expect(a.machine.priority).toBe(50);
    expect(lab.masters()).toEqual([b]);
    expect(timeOf(a, 'backup', 10_000)).toBeDefined();
    poller.stop();
  });
});

describe('from the config file to a machine', () => {
  const text = [
    'services: []',
    'vrrp:',
    '  instances:',
    '    - name: VI_1',
    '      interface: eth0',
    '      vrid: 51',
    '      priority: 150',
    '      interval: 200ms',
    '      preemptDelay: 5s',
    '      vips: [203.0.113.10/24, 203.0.113.11]',
    '      garp: { repeat: 2 }',
    '      track: [{ interface: eth1, weight: -60 }, { script: [/bin/true] }]',
    '    - { name: VI_2, interface: eth0, vrid: 52, vips: ["2001:db8::10"], source: "2001:db8::2", accept: false }',
    '  sync: { interface: eth1, instance: VI_1, run: { fault: [] } }',
  ].join('\n');

  it('machineOptionsOf gives options the machine takes; the source wins over the interface address', () => {
    const { vrrp } = parseConfig(text);
    const options = machineOptionsOf(vrrp.instances[0], '192.0.2.2');
    expect(options).toEqual({
      name: 'VI_1', vrid: 51, family: 'inet', priority: 150, interval: 200, preempt: true, preemptDelay: 5000, accept: true,
      addresses: ['203.0.113.10', '203.0.113.11'], primaryAddress: '192.0.2.2',
      garp: { repeat: 2, delay: 5000, refresh: 0, refreshRepeat: 1, interval: 0 },
      track: [{ name: 'interface eth1', weight: -60 }, { name: 'script /bin/true', weight: 0 }],
    });
    const clock = new FakeClock();
    const lab = new Lab();
    const machine = new VrrpMachine(options, lab.bus.transport('192.0.2.2'), new FakeHost(clock), clock);
    expect(machine.status()).toMatchObject({ priority: 150, masterDownInterval: 600 + 82.812 });
    expect(machineOptionsOf(vrrp.instances[1], '2001:db8::99')).toMatchObject({ family: 'inet6', primaryAddress: '2001:db8::2', accept: false, addresses: ['2001:db8::10'] });
  });

  it('daemonsFor: the plan per state, none in initialize', () => {
    const { vrrp } = parseConfig(text);
    const plan = vrrp.sync!.run;
    // The states run omits keep the default plan's daemons ('both').
    expect(['initialize', 'backup', 'master', 'fault'].map((s) => daemonsFor(plan, s as never))).toEqual([[], ['master', 'backup'], ['master', 'backup'], []]);
  });
});
