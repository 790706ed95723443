/** diff() by example: each step kind, its operation and changes, the order, the scope options, formatPlan's text. */
import { describe, expect, it } from 'vitest';
import { IpvsValidationError } from '../../lib/errors';
import { Table, diff, formatPlan } from '../../lib/index';

const S = { protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;
const U = { protocol: 'udp', address: '192.0.2.2', port: 53 } as const;
const F6 = { fwmark: 7, family: 'ipv6' } as const;

const current = Table.fromRules([
  '-A -t 192.0.2.1:80 -s wlc',
  '-a -t 192.0.2.1:80 -r 198.51.100.8:80 -m -w 3',
  '-a -t 192.0.2.1:80 -r 198.51.100.9:80 -m -w 1',
  '-a -t 192.0.2.1:80 -r 198.51.100.10:80 -m -w 0',
  '-A -u 192.0.2.2:53 -s rr',
].join('\n'));

const desired = Table.fromObjects({
  services: [
    {
      service: S, options: { scheduler: 'rr', persistence: { timeout: 300, netmask: '255.255.255.0' } },
      destinations: [
        { destination: { address: '198.51.100.9', port: 80 }, options: { forwarding: 'masq', weight: 5 } },
        { destination: { address: '198.51.100.11', port: 8080 }, options: { forwarding: 'masq' } },
      ],
    },
    { service: F6, destinations: [{ destination: { address: '2001:db8::1', port: 0 } }] },
  ],
});

describe('diff', () => {
  it('gives each step kind with its operation, capacity first', () => {
    const plan = diff(current, desired);
    expect(plan.steps.map((s) => [s.action, s.destination?.address ?? null])).toEqual([
      ['add-service', null],
      ['update-service', null],
      ['update-destination', '198.51.100.9'],
      ['add-destination', '198.51.100.11'],
      ['add-destination', '2001:db8::1'],
      ['drain-destination', '198.51.100.8'],
      ['drain-destination', '198.51.100.10'],
    ]);
    const [add, update, changeDest, addDest, , drain, drained] = plan.steps;
    expect(add.operation).toEqual({
      op: 'addService', service: { fwmark: 7, family: 'ipv6' },
      options: { scheduler: 'wlc', schedulerFlags: [], onePacket: false, persistence: false, persistenceEngine: null },
    });
    expect(update.changes).toEqual([
      { field: 'scheduler', from: 'wlc', to: 'rr' },
      { field: 'persistence', from: null, to: { timeout: 300, netmask: 24 } },
    ]);
    expect(update.operation).toEqual({
      op: 'updateService', service: S,
      options: { scheduler: 'rr', schedulerFlags: [], onePacket: false, persistence: { timeout: 300, netmask: 24 }, persistenceEngine: null },
    });
    expect(changeDest.changes).toEqual([{ field: 'weight', from: 1, to: 5 }]);
    expect(addDest.operation).toEqual({
      op: 'addDestination', service: S, destination: { address: '198.51.100.11', port: 8080 },
      options: { forwarding: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: null },
    });
    expect(drain).toEqual({
      action: 'drain-destination', service: S, destination: { address: '198.51.100.8', port: 80 },
      changes: [{ field: 'weight', from: 3, to: 0 }],
      operation: { op: 'updateDestination', service: S, destination: { address: '198.51.100.8', port: 80 }, options: { weight: 0 } },
    });
    // Already at weight 0: the drain is under way; nothing changes.
    expect(drained.changes).toEqual([]);
  });

  it('drain: false removes leaving destinations at once; prune removes owned services, last', () => {
    const plan = diff(current, desired, { drain: false, prune: [U] });
    expect(plan.steps.slice(-3)).toEqual([
      {
        action: 'remove-destination', service: S, destination: { address: '198.51.100.8', port: 80 }, changes: [],
        operation: { op: 'deleteDestination', service: S, destination: { address: '198.51.100.8', port: 80 } },
      },
      {
        action: 'remove-destination', service: S, destination: { address: '198.51.100.10', port: 80 }, changes: [],
        operation: { op: 'deleteDestination', service: S, destination: { address: '198.51.100.10', port: 80 } },
      },
      { action: 'remove-service', service: U, changes: [], operation: { op: 'deleteService', service: U } },
    ]);
  });

  it('never touches a service outside the desired table, manage and prune', () => {
    expect(diff(current, desired).steps.some((s) => 'protocol' in s.service && s.service.protocol === 'udp')).toBe(false);
    expect(diff(current, Table.empty()).steps).toEqual([]);
    expect(diff(current, Table.empty(), { manage: [U] }).steps.map((s) => s.action)).toEqual(['remove-service']);
  });

  it('a destination that changes its key (address family behind a tunnel) leaves and arrives: add first', () => {
    const a = Table.fromObjects({ services: [{ service: F6, destinations: [{ destination: { address: '2001:db8::5', port: 0 }, options: { forwarding: 'tunnel' } }] }] });
    const b = Table.fromObjects({ services: [{ service: F6, destinations: [{ destination: { address: '198.51.100.5', port: 0 }, options: { forwarding: 'tunnel' } }] }] });
    expect(diff(a, b).steps.map((s) => `${s.action} ${s.destination!.address}`)).toEqual(['add-destination 198.51.100.5', 'drain-destination 2001:db8::5']);
  });

  it('checks its options', () => {
    const field = (options: unknown) => {
      try {
        diff(current, desired, options as never);
      } catch (err) {
        expect(err).toBeInstanceOf(IpvsValidationError);
        return (err as IpvsValidationError).field;
      }
      return null;
    };
    expect(field({ drain: 'yes' })).toBe('options.drain');
    expect(field({ prune: [S, { protocol: 'tcp', address: 'x', port: 1 }] })).toBe('options.prune[1].address');
    expect(field({ manage: {} })).toBe('options.manage');
    expect(field({ dryRun: true })).toBe('options.dryRun');
    expect(() => diff(current, desired.toObjects() as never)).toThrow(IpvsValidationError);
  });
});

describe('formatPlan', () => {
  it('prints +, ~ and - lines with the fields that change, and a summary', () => {
    expect(formatPlan(diff(current, desired, { prune: [U] }))).toBe([
      '+ fwmark 7 ipv6  scheduler wlc',
      '~ tcp 192.0.2.1:80  scheduler wlc → rr, persistence none → timeout=300 netmask=24',
      '~ tcp 192.0.2.1:80 -> 198.51.100.9:80  weight 1 → 5',
      '+ tcp 192.0.2.1:80 -> 198.51.100.11:8080  forwarding masq, weight 1',
      '+ fwmark 7 ipv6 -> [2001:db8::1]:0  forwarding route, weight 1',
      '- tcp 192.0.2.1:80 -> 198.51.100.8:80  drain: weight 3 → 0, removed once its connections end',
      '- tcp 192.0.2.1:80 -> 198.51.100.10:80  drain: weight already 0, removed once its connections end',
      '- udp 192.0.2.2:53  with its destinations',
      'Plan: 3 to add, 2 to change, 2 to drain, 1 to remove.',
      '',
    ].join('\n'));
  });

  it('prints removals, tunnels and thresholds', () => {
    const a = Table.fromRules('-A -t 192.0.2.1:80 -s sh -b sh-port\n-a -t 192.0.2.1:80 -r 198.51.100.8:80 -m -w 3\n');
    const b = Table.fromRules('-A -t 192.0.2.1:80 -s sh -b sh-fallback,sh-port\n-a -t 192.0.2.1:80 -r 198.51.100.9 -i --tun-type gue --tun-port 6080 --tun-csum -x 10 -y 2\n');
    expect(formatPlan(diff(a, b, { drain: false }))).toBe([
      '~ tcp 192.0.2.1:80  schedulerFlags sh-port → sh-fallback,sh-port',
      '+ tcp 192.0.2.1:80 -> 198.51.100.9:80  forwarding tunnel, weight 1, upperThreshold 10, lowerThreshold 2, tunnel type=gue port=6080 checksum=csum',
      '- tcp 192.0.2.1:80 -> 198.51.100.8:80',
      'Plan: 1 to add, 1 to change, 0 to drain, 1 to remove.',
      '',
    ].join('\n'));
  });

  it('says so when there is nothing to do', () => {
    expect(formatPlan(diff(desired, desired))).toBe('No changes.\n');
  });
});
