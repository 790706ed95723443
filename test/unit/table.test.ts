/**
 * The table model, by example: building tables (kernel listing, rules text, plain objects with
 * every field checked), the fold of batch operations with the kernel's outcomes, immutability.
 */
import { describe, expect, it } from 'vitest';
import { IpvsRulesError, IpvsValidationError } from '../../lib/errors';
import { Table, diff, type DesiredTable } from '../../lib/index';
import type { DestinationConfig, ServiceConfig, ServiceEntry, Stats } from '../../lib/types';

const S = { protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;
const F = { fwmark: 7, family: 'ipv4' } as const;
const D = { address: '198.51.100.7', port: 80 };
const E = { address: '198.51.100.8', port: 80 };

const WLC: ServiceConfig = { scheduler: 'wlc', schedulerFlags: [], onePacket: false, persistence: null, persistenceEngine: null };
const ROUTE_1: DestinationConfig = { forwarding: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: null };

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

function validationError(fn: () => unknown): IpvsValidationError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(IpvsValidationError);
  return err as IpvsValidationError;
}

describe('Table.fromObjects', () => {
  it('fills defaults as addService and addDestination do, and canonicalizes addresses', () => {
    const t = Table.fromObjects({ services: [{ service: { protocol: 'tcp', address: '2001:DB8:0::1', port: 80 }, destinations: [{ destination: { address: '2001:db8::0:7', port: 80 } }] }] });
    expect(t.services()).toEqual([{
      key: { protocol: 'tcp', address: '2001:db8::1', port: 80 },
      config: WLC,
      destinations: [{ key: { address: '2001:db8::7', port: 80 }, config: ROUTE_1 }],
    }]);
  });

  it('names the field of a bad value by its path', () => {
    const desired = { services: [{ service: S }, { service: F, destinations: [{ destination: D }, { destination: E, options: { weight: -1 } }] }] };
    const err = validationError(() => Table.fromObjects(desired));
    expect(err.field).toBe('services[1].destinations[1].options.weight');
    expect(err.value).toBe(-1);
    expect(validationError(() => Table.fromObjects({ services: [{ service: { ...S, port: 0 } }] })).field).toBe('services[0].service.port');
    expect(validationError(() => Table.fromObjects({ services: [{ service: S, options: { schedulr: 'rr' } as never }] })).field)
      .toBe('services[0].options.schedulr');
    expect(validationError(() => Table.fromObjects({ services: [{ service: S, destinations: [{ destination: { address: '198.51.100.7', port: 81 } }] }] })).field)
      .toBe('services[0].destinations[0].destination.port');
  });

  it('refuses a service or destination declared twice, naming both', () => {
    const V6 = { protocol: 'udp', address: '2001:db8::1', port: 53 } as const;
    const twice = validationError(() => Table.fromObjects({ services: [{ service: V6 }, { service: F }, { service: { ...V6, address: '2001:DB8:0::1' } }] }));
    expect(twice.field).toBe('services[2].service');
    expect(twice.message).toContain('services[0]');
    const dest = validationError(() => Table.fromObjects({ services: [{ service: F, destinations: [{ destination: D }, { destination: E }, { destination: { ...D } }] }] }));
    expect(dest.field).toBe('services[0].destinations[2].destination');
    expect(dest.message).toContain('services[0].destinations[0]');
  });

  it('reads own properties only and refuses holes, unknown keys and non-objects', () => {
    expect(validationError(() => Table.fromObjects(null as never)).field).toBe('table');
    expect(validationError(() => Table.fromObjects({ services: [, { service: S }] } as never)).field).toBe('services[0]');
    expect(validationError(() => Table.fromObjects(JSON.parse('{"services":[],"__proto__":{}}'))).field).toBe('table.__proto__');
    const inherited = Object.create({ service: S }) as DesiredTable['services'][number];
    expect(validationError(() => Table.fromObjects({ services: [inherited] })).field).toBe('services[0].service');
    expect(validationError(() => Table.fromObjects({ services: [{ service: S, destinations: {} as never }] })).field).toBe('services[0].destinations');
  });
});

describe('Table.fromKernel', () => {
  const zero: Stats = { conns: 0n, inPackets: 0n, outPackets: 0n, inBytes: 0n, outBytes: 0n, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n };
  const listing: ServiceEntry[] = [{
    key: S, family: 'ipv4', config: { ...WLC, schedulerFlags: ['flag-3', 'flag-1'] }, stats: { ...zero, conns: 5n },
    destinations: [
      { key: D, family: 'ipv4', config: ROUTE_1, connections: { active: 3, inactive: 1, persistent: 0 }, stats: zero },
      { key: D, family: 'ipv4', config: { ...ROUTE_1, weight: 9 }, connections: { active: 0, inactive: 0, persistent: 0 }, stats: zero },
    ],
  }, { key: S, family: 'ipv4', config: { ...WLC, scheduler: 'rr' }, stats: zero, destinations: [] }];

  it('ignores stats and counters, keeps the first of a key listed twice, sorts flags', () => {
    const t = Table.fromKernel(listing);
    expect(t.size).toBe(1);
    expect(t.services()).toEqual([{ key: S, config: { ...WLC, schedulerFlags: ['flag-1', 'flag-3'] }, destinations: [{ key: D, config: ROUTE_1 }] }]);
    expect(JSON.stringify(t.toObjects())).not.toContain('conns');
  });
});

describe('Table.fromRules', () => {
  it('folds -A -a -E -e -d -D -C in order; -Z and settings change nothing', () => {
    const t = Table.fromRules([
      '-A -t 192.0.2.9:80 -s rr', '-C', '--set 10 20 30',
      '-A -t 192.0.2.1:80 -s sh -b sh-port', '-a -t 192.0.2.1:80 -r 198.51.100.7 -g -w 2', '-a -t 192.0.2.1:80 -r 198.51.100.8 -g',
      '-E -t 192.0.2.1:80 -s rr', '-e -t 192.0.2.1:80 -r 198.51.100.7 -g -w 4 -x 10 -y 5', '-d -t 192.0.2.1:80 -r 198.51.100.8',
      '-A -f 7 -s wlc', '-D -f 7', '-Z',
    ].join('\n'));
    expect(t.services()).toEqual([{
      key: S, config: { ...WLC, scheduler: 'rr' },
      destinations: [{ key: D, config: { ...ROUTE_1, weight: 4, upperThreshold: 10, lowerThreshold: 5 } }],
    }]);
  });

  it('refuses a line the kernel would refuse, naming it', () => {
    const err = thrown(() => Table.fromRules('-A -t 192.0.2.1:80\n-a -t 192.0.2.2:80 -r 198.51.100.7\n')) as IpvsRulesError;
    expect(err).toBeInstanceOf(IpvsRulesError);
    expect(err.line).toBe(2);
    expect(err.reason).toContain('ESRCH');
    expect((thrown(() => Table.fromRules('-A -t 192.0.2.1:80\n-A -t 192.0.2.1:80 -s rr\n')) as IpvsRulesError).reason).toContain('EEXIST');
  });

  it('refuses what is neither rules text nor an array of parsed rules', () => {
    expect(validationError(() => Table.fromRules(42 as never)).field).toBe('rules');
    expect(validationError(() => Table.fromRules([null] as never)).field).toBe('rules[0]');
    expect(validationError(() => Table.fromRules([{ line: 1, text: '', operation: { op: 'addService' } }] as never)).field).toBe('rules[0].operation.service');
  });

  it('writes back as rules text', () => {
    const text = '-A -t 192.0.2.1:80 -s wlc\n-a -t 192.0.2.1:80 -r 198.51.100.7:80 -g -w 1\n';
    expect(Table.fromRules(text).toRules()).toBe(text);
  });
});

describe('Table.apply: the fold, with the kernel outcomes', () => {
  const base = Table.fromObjects({
    services: [{ service: S, options: { scheduler: 'sh', schedulerFlags: ['sh-port'], persistence: 300 }, destinations: [{ destination: D }] }],
  });

  it('answers as the kernel: EEXIST, ESRCH, ENOENT, and leaves the table as it was', () => {
    const cases = [
      [{ op: 'addService', service: S }, 'EEXIST'],
      [{ op: 'updateService', service: F, options: { scheduler: 'rr' } }, 'ESRCH'],
      [{ op: 'deleteService', service: F }, 'ESRCH'],
      [{ op: 'zero', service: F }, 'ESRCH'],
      [{ op: 'addDestination', service: F, destination: D }, 'ESRCH'],
      [{ op: 'addDestination', service: S, destination: D }, 'EEXIST'],
      [{ op: 'updateDestination', service: S, destination: E, options: { weight: 2 } }, 'ENOENT'],
      [{ op: 'deleteDestination', service: S, destination: E }, 'ENOENT'],
      [{ op: 'deleteDestination', service: F, destination: E }, 'ESRCH'],
    ] as const;
    for (const [op, code] of cases) {
      const { table, outcome } = base.apply(op);
      expect({ op: op.op, outcome }).toEqual({ op: op.op, outcome: { ok: false, code } });
      expect(table.equals(base)).toBe(true);
    }
  });

  it('updates are patches: given fields change, others keep; flags of another scheduler lapse', () => {
    const { table, outcome } = base.apply({ op: 'updateService', service: S, options: { scheduler: 'mh' } });
    expect(outcome).toEqual({ ok: true });
    expect(table.service(S)!.config).toEqual({ ...WLC, scheduler: 'mh', persistence: { timeout: 300, netmask: 32 } });
    const dest = base.apply({ op: 'updateDestination', service: S, destination: D, options: { weight: 0 } }).table;
    expect(dest.service(S)!.destinations).toEqual([{ key: D, config: { ...ROUTE_1, weight: 0 } }]);
  });

  it('an update invalid over what the table holds throws, as the client refuses it', () => {
    const withThreshold = base.apply({ op: 'updateDestination', service: S, destination: D, options: { upperThreshold: 10 } }).table;
    expect(validationError(() => withThreshold.apply({ op: 'updateDestination', service: S, destination: D, options: { lowerThreshold: 11 } })).field)
      .toBe('operations[0].options.lowerThreshold');
  });

  it('adds, deletes, zero and flush', () => {
    const { table, outcomes } = base.applyAll([
      { op: 'addService', service: F, options: { scheduler: 'rr' } },
      { op: 'addDestination', service: F, destination: E, options: { forwarding: 'masq', weight: 3 } },
      { op: 'deleteDestination', service: S, destination: D },
      { op: 'zero' }, { op: 'zero', service: S },
    ]);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(table.toRules()).toBe('-A -t 192.0.2.1:80 -s sh -p 300 -b sh-port\n-A -f 7 -s rr\n-a -f 7 -r 198.51.100.8:80 -m -w 3\n');
    expect(table.apply({ op: 'deleteService', service: S }).table.toRules()).toBe('-A -f 7 -s rr\n-a -f 7 -r 198.51.100.8:80 -m -w 3\n');
    expect(table.apply({ op: 'flush' }).table.size).toBe(0);
  });

  it('never changes the table it was called on, and what it hands out is frozen', () => {
    const before = base.toRules();
    base.applyAll([
      { op: 'updateDestination', service: S, destination: D, options: { weight: 9 } },
      { op: 'deleteService', service: S }, { op: 'addService', service: F }, { op: 'flush' },
    ]);
    expect(base.toRules()).toBe(before);
    const entry = base.services()[0];
    expect(Object.isFrozen(entry) && Object.isFrozen(entry.config) && Object.isFrozen(entry.config.persistence)).toBe(true);
    expect(Object.isFrozen(entry.destinations[0].config) && Object.isFrozen(entry.destinations)).toBe(true);
  });

  it('holds one frozen config per content: services of one config share it, and so do their add steps', () => {
    const t = Table.fromRules('-A -t 192.0.2.1:80 -s sh -b sh-port,sh-fallback\n-A -t 192.0.2.2:80 -s sh -b sh-fallback,sh-port\n-A -t 192.0.2.3:80 -s rr\n');
    const [a, b, c] = t.services();
    expect(a.config).toBe(b.config); // flags in another order are the same flags
    expect(c.config).not.toBe(a.config);
    expect(a.config.schedulerFlags).toEqual(['sh-fallback', 'sh-port']);
    const steps = diff(Table.fromRules(''), t).steps.filter((s) => s.action === 'add-service');
    expect(steps[0].changes).toBe(steps[1].changes);
    expect(steps[0].operation).not.toBe(steps[1].operation);
    expect((steps[0].operation as { options: unknown }).options).toBe((steps[1].operation as { options: unknown }).options);
    expect(Object.isFrozen(steps[0].changes) && steps[0].changes.every((ch) => Object.isFrozen(ch))).toBe(true);
    expect(steps[2].changes).toEqual(expect.arrayContaining([{ field: 'scheduler', from: null, to: 'rr' }]));
  });

  it('validates operations as the client does', () => {
    expect(validationError(() => base.apply({ op: 'addService', service: { ...S, port: 70000 } })).field).toBe('operations[0].service.port');
  });
});
