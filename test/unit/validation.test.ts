/**
 * Bad input is refused before anything reaches the kernel, with a typed error
 * naming the field and the value. Runs against a fake native client that
 * records requests: none may be sent.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ipvs, IpvsValidationError } from '../../lib';
import { FakeClient, answers, calls } from '../helpers/fake-binding';

vi.mock('../../lib/binding', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../lib/binding')>();
  const { FakeClient: Fake } = await import('../helpers/fake-binding');
  return { ...real, native: () => ({ ...real.native(), Client: Fake }) };
});

let ipvs: Ipvs;
beforeAll(async () => {
  ipvs = await Ipvs.open();
});
beforeEach(() => {
  calls.length = 0;
});

const SVC = { protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;
const V6 = { protocol: 'tcp', address: '2001:db8::1', port: 80 } as const;
const DEST = { address: '198.51.100.1', port: 80 };

type Call = () => Promise<unknown>;

async function refused(call: Call, field: string, value: unknown): Promise<IpvsValidationError> {
  const err = await call().then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(IpvsValidationError);
  const v = err as IpvsValidationError;
  expect(v.field).toBe(field);
  expect(v.value).toEqual(value);
  expect(v.code).toBe('ERR_IPVS_INVALID');
  expect(v.message.startsWith(`${field}: expected `)).toBe(true);
  expect(calls).toEqual([]);
  return v;
}

const anyKey = (o: unknown) => o as never;

describe('service keys', () => {
  it.each<[string, unknown, string, unknown]>([
    ['port above 65535', { ...SVC, port: 65536 }, 'service.port', 65536],
    ['negative port', { ...SVC, port: -1 }, 'service.port', -1],
    ['fractional port', { ...SVC, port: 1.5 }, 'service.port', 1.5],
    ['port as a string', { ...SVC, port: '80' }, 'service.port', '80'],
    ['NaN port', { ...SVC, port: NaN }, 'service.port', NaN],
    ['unknown protocol', { ...SVC, protocol: 'icmp' }, 'service.protocol', 'icmp'],
    ['not an address', { ...SVC, address: 'example' }, 'service.address', 'example'],
    ['IPv4 octet out of range', { ...SVC, address: '256.0.0.1' }, 'service.address', '256.0.0.1'],
    ['empty address', { ...SVC, address: '' }, 'service.address', ''],
    ['zone-scoped IPv6', { ...SVC, address: 'fe80::1%eth0' }, 'service.address', 'fe80::1%eth0'],
    ['an unknown key', { ...SVC, vip: true }, 'service.vip', true],
    ['fwmark 0', { fwmark: 0 }, 'service.fwmark', 0],
    ['fwmark 2^32', { fwmark: 2 ** 32 }, 'service.fwmark', 2 ** 32],
    ['negative fwmark', { fwmark: -1 }, 'service.fwmark', -1],
    ['fwmark with an address', { fwmark: 1, address: '192.0.2.1' }, 'service.address', '192.0.2.1'],
    ['bad family', { fwmark: 1, family: 'ipv5' }, 'service.family', 'ipv5'],
    ['not an object', 'tcp://192.0.2.1:80', 'service', 'tcp://192.0.2.1:80'],
  ])('%s', async (_name, key, field, value) => {
    await refused(() => ipvs.addService(anyKey(key as object), { scheduler: 'rr' }), field, value);
    await refused(() => ipvs.deleteService(anyKey(key as object)), field, value);
  });
});

describe('service options', () => {
  it.each<[string, object, object, string, unknown]>([
    ['port 0 without persistence', { ...SVC, port: 0 }, {}, 'service.port', 0],
    ['scheduler name too long', SVC, { scheduler: 'x'.repeat(16) }, 'options.scheduler', 'x'.repeat(16)],
    ['empty scheduler', SVC, { scheduler: '' }, 'options.scheduler', ''],
    ['scheduler with a blank', SVC, { scheduler: 'r r' }, 'options.scheduler', 'r r'],
    ['a misspelled option', SVC, { schedular: 'rr' }, 'options.schedular', 'rr'],
    ['a flag of another scheduler', SVC, { scheduler: 'rr', schedulerFlags: ['sh-port'] }, 'options.schedulerFlags[0]', 'sh-port'],
    ['mh flag on sh', SVC, { scheduler: 'sh', schedulerFlags: ['mh-port'] }, 'options.schedulerFlags[0]', 'mh-port'],
    ['an unknown flag', SVC, { scheduler: 'sh', schedulerFlags: ['sh-fast'] }, 'options.schedulerFlags[0]', 'sh-fast'],
    ['the same bit twice', SVC, { scheduler: 'sh', schedulerFlags: ['sh-fallback', 'flag-1'] }, 'options.schedulerFlags[1]', 'flag-1'],
    ['flags not an array', SVC, { schedulerFlags: 'sh-port' }, 'options.schedulerFlags', 'sh-port'],
    ['onePacket not boolean', SVC, { onePacket: 1 }, 'options.onePacket', 1],
    ['onePacket on a TCP service', SVC, { onePacket: true }, 'options.onePacket', true],
    ['persistence timeout 0', SVC, { persistence: 0 }, 'options.persistence', 0],
    ['persistence timeout too long', SVC, { persistence: { timeout: 2678401 } }, 'options.persistence.timeout', 2678401],
    ['IPv4 prefix 33', SVC, { persistence: { timeout: 60, netmask: 33 } }, 'options.persistence.netmask', 33],
    ['non-contiguous IPv4 mask', SVC, { persistence: { timeout: 60, netmask: '255.0.255.0' } }, 'options.persistence.netmask', '255.0.255.0'],
    ['malformed IPv4 mask', SVC, { persistence: { timeout: 60, netmask: '255.255.255' } }, 'options.persistence.netmask', '255.255.255'],
    ['IPv6 prefix 0', V6, { persistence: { timeout: 60, netmask: 0 } }, 'options.persistence.netmask', 0],
    ['IPv6 prefix 129', V6, { persistence: { timeout: 60, netmask: 129 } }, 'options.persistence.netmask', 129],
    ['IPv6 dotted mask', V6, { persistence: { timeout: 60, netmask: '255.255.255.0' } }, 'options.persistence.netmask', '255.255.255.0'],
    ['persistence engine name too long', SVC, { persistence: 60, persistenceEngine: 'p'.repeat(16) }, 'options.persistenceEngine', 'p'.repeat(16)],
    ['unknown persistence key', SVC, { persistence: { timeout: 60, mask: 24 } }, 'options.persistence.mask', 24],
  ])('%s', async (_name, key, options, field, value) => {
    await refused(() => ipvs.addService(anyKey(key), anyKey(options)), field, value);
  });
});

describe('destinations', () => {
  it.each<[string, object, object, object, string, unknown]>([
    ['negative weight', SVC, DEST, { weight: -1 }, 'options.weight', -1],
    ['weight 2^31', SVC, DEST, { weight: 2 ** 31 }, 'options.weight', 2 ** 31],
    ['fractional weight', SVC, DEST, { weight: 0.5 }, 'options.weight', 0.5],
    ['lower above upper', SVC, DEST, { upperThreshold: 5, lowerThreshold: 6 }, 'options.lowerThreshold', 6],
    ['lower without upper', SVC, DEST, { lowerThreshold: 1 }, 'options.lowerThreshold', 1],
    ['threshold above 2^32-1', SVC, DEST, { upperThreshold: 2 ** 32 }, 'options.upperThreshold', 2 ** 32],
    ['unknown method', SVC, DEST, { forwarding: 'nat' }, 'options.forwarding', 'nat'],
    ['tunnel settings on masq', SVC, DEST, { forwarding: 'masq', tunnel: { type: 'gue', port: 1 } }, 'options.tunnel', { type: 'gue', port: 1 }],
    ['GUE without a port', SVC, DEST, { forwarding: 'tunnel', tunnel: { type: 'gue' } }, 'options.tunnel.port', undefined],
    ['GUE port 0', SVC, DEST, { forwarding: 'tunnel', tunnel: { type: 'gue', port: 0 } }, 'options.tunnel.port', 0],
    ['GUE port 65536', SVC, DEST, { forwarding: 'tunnel', tunnel: { type: 'gue', port: 65536 } }, 'options.tunnel.port', 65536],
    ['a port on an ipip tunnel', SVC, DEST, { forwarding: 'tunnel', tunnel: { type: 'ipip', port: 5 } }, 'options.tunnel.port', 5],
    ['unknown tunnel type', SVC, DEST, { forwarding: 'tunnel', tunnel: { type: 'vxlan' } }, 'options.tunnel.type', 'vxlan'],
    ['unknown checksum mode', SVC, DEST, { forwarding: 'tunnel', tunnel: { checksum: 'yes' } }, 'options.tunnel.checksum', 'yes'],
    ['IPv6 server behind IPv4 service without tunnel', SVC, { address: '2001:db8::9', port: 80 }, { forwarding: 'masq' }, 'destination.address', '2001:db8::9'],
    ['DR to another port', SVC, { address: '198.51.100.1', port: 8080 }, { forwarding: 'route' }, 'destination.port', 8080],
    ['destination port 65536', SVC, { address: '198.51.100.1', port: 65536 }, {}, 'destination.port', 65536],
    ['zone-scoped destination', V6, { address: 'fe80::2%lo', port: 80 }, {}, 'destination.address', 'fe80::2%lo'],
    ['unknown destination key', SVC, { ...DEST, weight: 2 }, {}, 'destination.weight', 2],
    ['unknown option', SVC, DEST, { wieght: 2 }, 'options.wieght', 2],
  ])('%s', async (_name, service, dest, options, field, value) => {
    await refused(() => ipvs.addDestination(anyKey(service), anyKey(dest), anyKey(options)), field, value);
  });
});

describe('settings', () => {
  it.each<[string, object, string, unknown]>([
    ['timeout 0 (the kernel\'s "unchanged")', { tcp: 0 }, 'timeouts.tcp', 0],
    ['negative timeout', { udp: -1 }, 'timeouts.udp', -1],
    ['huge timeout', { tcpFin: 2 ** 31 }, 'timeouts.tcpFin', 2 ** 31],
    ['misspelled timeout', { tcpfin: 5 }, 'timeouts.tcpfin', 5],
    ['nothing to set', {}, 'timeouts', {}],
  ])('timeouts: %s', async (_name, value, field, bad) => {
    await refused(() => ipvs.setTimeouts(anyKey(value)), field, bad);
  });

  it.each<[string, object, string, unknown]>([
    ['unknown state', { state: 'primary', interface: 'eth0' }, 'daemon.state', 'primary'],
    ['empty interface', { state: 'master', interface: '' }, 'daemon.interface', ''],
    ['interface with a slash', { state: 'master', interface: 'a/b' }, 'daemon.interface', 'a/b'],
    ['interface label', { state: 'master', interface: 'eth0:1' }, 'daemon.interface', 'eth0:1'],
    ['interface "."', { state: 'master', interface: '.' }, 'daemon.interface', '.'],
    ['interface of 16 bytes', { state: 'master', interface: 'x'.repeat(16) }, 'daemon.interface', 'x'.repeat(16)],
    ['sync id 256', { state: 'master', interface: 'eth0', syncId: 256 }, 'daemon.syncId', 256],
    ['unicast group', { state: 'master', interface: 'eth0', group: '192.0.2.1' }, 'daemon.group', '192.0.2.1'],
    ['unicast IPv6 group', { state: 'master', interface: 'eth0', group: '2001:db8::1' }, 'daemon.group', '2001:db8::1'],
    ['group ff::1 (00ff::1, not multicast)', { state: 'master', interface: 'eth0', group: 'ff::1' }, 'daemon.group', 'ff::1'],
    ['port 0', { state: 'master', interface: 'eth0', port: 0 }, 'daemon.port', 0],
    ['ttl 0', { state: 'master', interface: 'eth0', ttl: 0 }, 'daemon.ttl', 0],
    ['ttl 256', { state: 'master', interface: 'eth0', ttl: 256 }, 'daemon.ttl', 256],
  ])('daemon: %s', async (_name, value, field, bad) => {
    await refused(() => ipvs.startDaemon(anyKey(value)), field, bad);
  });

  it('stopDaemon with an unknown state', async () => {
    await refused(() => ipvs.stopDaemon(anyKey('both')), 'state', 'both');
  });

  it.each<[string, unknown, string]>([
    ['timeout 0', { timeout: 0 }, 'options.timeout'],
    ['negative timeout', { timeout: -5 }, 'options.timeout'],
    ['timeout as text', { timeout: 'fast' }, 'options.timeout'],
    ['unknown call option', { retries: 3 }, 'options.retries'],
  ])('call options: %s', async (_name, options, field) => {
    const err = await refused(() => ipvs.listServices(anyKey(options as object)), field, Object.values(options as object)[0]);
    expect(err).toBeInstanceOf(TypeError);
  });

  it.each<[string, unknown, string, unknown]>([
    ['empty namespace name', { netns: '' }, 'options.netns', ''],
    ['namespace ".."', { netns: '..' }, 'options.netns', '..'],
    ['unknown open option', { namespace: 'x' }, 'options.namespace', 'x'],
    ['open timeout 0', { timeout: 0 }, 'options.timeout', 0],
  ])('open: %s', async (_name, options, field, value) => {
    await refused(() => Ipvs.open(anyKey(options as object)), field, value);
  });
});

describe('batches', () => {
  it('names the operation index and nothing is sent', async () => {
    await refused(() => ipvs.batch(anyKey([
      { op: 'addService', service: SVC },
      { op: 'addService', service: { ...SVC, port: 99999 } },
    ])), 'operations[1].service.port', 99999);
    await refused(() => ipvs.batch(anyKey([{ op: 'addServer', service: SVC }])), 'operations[0].op', 'addServer');
    await refused(() => ipvs.batch(anyKey([{ op: 'flush', service: SVC }])), 'operations[0].service', SVC);
    await refused(() => ipvs.batch(anyKey('flush')), 'operations', 'flush');
    await refused(() => ipvs.batch(anyKey([, { op: 'flush' }])), 'operations[0]', undefined);
  });
});

describe('what valid input sends', () => {
  it('fills defaults as ipvsadm does: wlc, route, weight 1, host netmask', async () => {
    await ipvs.addService(SVC);
    await ipvs.addDestination(SVC, DEST);
    expect(calls.map((c) => c.requests[0])).toEqual([
      { cmd: 1, service: { family: 2, protocol: 6, address: '192.0.2.1', port: 80, fwmark: 0, scheduler: 'wlc', persistenceEngine: '', flags: 0, flagsMask: 0xffffffff, timeout: 0, netmask: 0xffffffff } },
      { cmd: 5, service: { family: 2, protocol: 6, address: '192.0.2.1', port: 80, fwmark: 0 }, destination: { family: 2, address: '198.51.100.1', port: 80, forwarding: 3, weight: 1, upperThreshold: 0, lowerThreshold: 0 } },
    ]);
  });

  it('canonicalizes addresses as ipvsadm -n prints them', async () => {
    await ipvs.addService({ protocol: 'udp', address: '2001:DB8:0:0:0:0:0:1', port: 53 });
    expect(calls.at(-1)!.requests[0].service!.address).toBe('2001:db8::1');
  });

  it('close() closes the native client and is idempotent', async () => {
    const client = await Ipvs.open();
    client.close();
    client.close();
    await expect(client.info()).rejects.toMatchObject({ code: 'ECANCELED' });
    expect(FakeClient).toBeDefined();
  });
});

describe('addresses the kernel refuses as real servers (issue 8, item 8)', () => {
  it.each<[string, object, string]>([
    ['0.0.0.0', SVC, '0.0.0.0'],
    ['0.1.2.3 (this network)', SVC, '0.1.2.3'],
    ['IPv4 multicast', SVC, '224.0.0.1'],
    ['top of IPv4 multicast', SVC, '239.255.255.255'],
    ['limited broadcast', SVC, '255.255.255.255'],
    ['the IPv6 unspecified address', V6, '::'],
    ['IPv6 multicast', V6, 'ff02::1'],
    ['IPv6 multicast, upper case', V6, 'FF05::2'],
    ['IPv4-mapped behind an IPv6 service', V6, '::ffff:198.51.100.7'],
    ['IPv4-mapped written in hex', V6, '::ffff:c633:6407'],
  ])('%s', async (_name, service, addr) => {
    const err = await refused(() => ipvs.addDestination(anyKey(service), { address: addr, port: 80 }, { forwarding: 'masq' }),
      'destination.address', addr);
    expect(err.message).toMatch(/a unicast address for a real server/);
    await refused(() => ipvs.updateDestination(anyKey(service), { address: addr, port: 80 }, { weight: 1 }), 'destination.address', addr);
  });

  it('00ff::1 (written ff::1) is unicast, and the IPv4 addresses around the refused ranges pass', async () => {
    await ipvs.addDestination(V6, { address: 'ff::1', port: 80 }, { forwarding: 'masq' });
    await ipvs.addDestination(SVC, { address: '1.0.0.0', port: 80 }, { forwarding: 'masq' });
    await ipvs.addDestination(SVC, { address: '223.255.255.255', port: 80 }, { forwarding: 'masq' });
    await ipvs.addDestination(SVC, { address: '240.0.0.1', port: 80 }, { forwarding: 'masq' });
    expect(calls.map((c) => c.requests[0].destination!.address)).toEqual(['ff::1', '1.0.0.0', '223.255.255.255', '240.0.0.1']);
  });
});

describe('module names (schedulers, persistence engines)', () => {
  it.each<[string, object, string, unknown]>([
    ['scheduler "."', { scheduler: '.' }, 'options.scheduler', '.'],
    ['scheduler ".."', { scheduler: '..' }, 'options.scheduler', '..'],
    ['scheduler with a dot', { scheduler: 'w.rr' }, 'options.scheduler', 'w.rr'],
    ['scheduler with a slash', { scheduler: 'a/b' }, 'options.scheduler', 'a/b'],
    ['scheduler "toString"', { scheduler: 'toString' }, 'options.scheduler', 'toString'],
    ['scheduler "constructor"', { scheduler: 'constructor' }, 'options.scheduler', 'constructor'],
    ['scheduler "__proto__"', { scheduler: '__proto__' }, 'options.scheduler', '__proto__'],
    ['scheduler that is not a string', { scheduler: 5 }, 'options.scheduler', 5],
    ['persistence engine ".."', { persistence: 60, persistenceEngine: '..' }, 'options.persistenceEngine', '..'],
    ['persistence engine "valueOf"', { persistence: 60, persistenceEngine: 'valueOf' }, 'options.persistenceEngine', 'valueOf'],
  ])('%s', async (_name, options, field, value) => {
    await refused(() => ipvs.addService(SVC, anyKey(options)), field, value);
    await refused(() => ipvs.updateService(SVC, anyKey(options)), field, value);
  });

  it('15 characters pass (the kernel keeps 16 bytes with the NUL), 16 do not', async () => {
    await ipvs.addService(SVC, { scheduler: 'a_b-c'.repeat(3) });
    expect(calls[0].requests[0].service!.scheduler).toBe('a_b-ca_b-ca_b-c');
    calls.length = 0;
    await refused(() => ipvs.addService(SVC, { scheduler: 'x'.repeat(16) }), 'options.scheduler', 'x'.repeat(16));
  });
});

describe('messages quote at most 64 characters of the input', () => {
  it('a 1 MB scheduler name gives a short message that says how long it was', async () => {
    const huge = 's'.repeat(1 << 20);
    const err = await refused(() => ipvs.addService(SVC, { scheduler: huge }), 'options.scheduler', huge);
    expect(err.message.length).toBeLessThan(250);
    expect(err.message).toContain(`"${'s'.repeat(64)}"… (1048576 chars)`);
  });

  it('a 1 MB unknown option name is cut in the field part of the message too', async () => {
    const name = 'k'.repeat(1 << 20);
    const err = await ipvs.addService(SVC, anyKey({ [name]: 1 })).then(() => null, (e: IpvsValidationError) => e);
    expect(err).toBeInstanceOf(IpvsValidationError);
    if (!err) return;
    expect(err.field).toBe(`options.${name}`);
    expect(err.message.length).toBeLessThan(400);
  });
});

describe('lookups of input are own-property only', () => {
  it.each<[string, Call, string, unknown]>([
    ['forwarding "constructor"', () => ipvs.addDestination(SVC, DEST, anyKey({ forwarding: 'constructor' })), 'options.forwarding', 'constructor'],
    ['forwarding "toString"', () => ipvs.updateDestination(SVC, DEST, anyKey({ forwarding: 'toString' })), 'options.forwarding', 'toString'],
    ['protocol "__proto__"', () => ipvs.addService(anyKey({ ...SVC, protocol: '__proto__' })), 'service.protocol', '__proto__'],
    ['protocol "hasOwnProperty"', () => ipvs.getService(anyKey({ ...SVC, protocol: 'hasOwnProperty' })), 'service.protocol', 'hasOwnProperty'],
    ['family "constructor"', () => ipvs.addService(anyKey({ fwmark: 1, family: 'constructor' })), 'service.family', 'constructor'],
    ['scheduler flag "constructor"', () => ipvs.addService(SVC, anyKey({ scheduler: 'sh', schedulerFlags: ['constructor'] })), 'options.schedulerFlags[0]', 'constructor'],
    ['scheduler flag "__proto__"', () => ipvs.updateService(SVC, anyKey({ schedulerFlags: ['__proto__'] })), 'options.schedulerFlags[0]', '__proto__'],
    ['tunnel type "toString"', () => ipvs.addDestination(SVC, DEST, anyKey({ forwarding: 'tunnel', tunnel: { type: 'toString' } })), 'options.tunnel.type', 'toString'],
    ['tunnel checksum "valueOf"', () => ipvs.addDestination(SVC, DEST, anyKey({ forwarding: 'tunnel', tunnel: { checksum: 'valueOf' } })), 'options.tunnel.checksum', 'valueOf'],
    ['daemon state "toString"', () => ipvs.startDaemon(anyKey({ state: 'toString', interface: 'eth0' })), 'daemon.state', 'toString'],
    ['stopDaemon "constructor"', () => ipvs.stopDaemon(anyKey('constructor')), 'state', 'constructor'],
    ['batch op "toString"', () => ipvs.batch(anyKey([{ op: 'toString' }])), 'operations[0].op', 'toString'],
    ['batch op "__proto__"', () => ipvs.batch(anyKey([{ op: '__proto__' }])), 'operations[0].op', '__proto__'],
    ['an own "__proto__" option (JSON.parse)', () => ipvs.addService(SVC, JSON.parse('{"__proto__": 1}')), 'options.__proto__', 1],
    ['an own "constructor" option', () => ipvs.updateService(SVC, anyKey({ constructor: 1 })), 'options.constructor', 1],
    ['an own "toString" key in a destination', () => ipvs.addDestination(SVC, anyKey({ ...DEST, toString: 1 })), 'destination.toString', 1],
  ])('%s', async (_name, call, field, value) => {
    await refused(call, field, value);
  });

  it('inherited option values are not options: a prototype, or a polluted Object.prototype, changes nothing', async () => {
    await ipvs.addDestination(SVC, DEST, Object.create({ weight: 7, forwarding: 'masq' }));
    const proto = Object.prototype as Record<string, unknown>;
    proto.scheduler = 'sh';
    proto.fwmark = 9;
    try {
      await ipvs.addService(SVC);
    } finally {
      delete proto.scheduler;
      delete proto.fwmark;
    }
    expect(calls[0].requests[0].destination).toMatchObject({ forwarding: 3, weight: 1 });
    expect(calls[1].requests[0].service).toMatchObject({ scheduler: 'wlc', address: '192.0.2.1', fwmark: 0 });
  });
});

describe('update options are checked before the call is queued (nothing read, nothing sent)', () => {
  it.each<[string, Call, string, unknown]>([
    ['a bad scheduler', () => ipvs.updateService(SVC, anyKey({ scheduler: '..' })), 'options.scheduler', '..'],
    ['persistence off on a port-0 service', () => ipvs.updateService({ ...SVC, port: 0 }, { persistence: false }), 'service.port', 0],
    ['onePacket on TCP', () => ipvs.updateService(SVC, { onePacket: true }), 'options.onePacket', true],
    ['flags of another scheduler given with it', () => ipvs.updateService(SVC, { scheduler: 'rr', schedulerFlags: ['sh-port'] }), 'options.schedulerFlags[0]', 'sh-port'],
    ['a misspelled option', () => ipvs.updateService(SVC, anyKey({ schedular: 'rr' })), 'options.schedular', 'rr'],
    ['a negative weight', () => ipvs.updateDestination(SVC, DEST, { weight: -1 }), 'options.weight', -1],
    ['lower above upper, both given', () => ipvs.updateDestination(SVC, DEST, { upperThreshold: 1, lowerThreshold: 2 }), 'options.lowerThreshold', 2],
    ['DR to another port', () => ipvs.updateDestination(SVC, { address: '198.51.100.1', port: 81 }, { forwarding: 'route' }), 'destination.port', 81],
    ['tunnel settings with masq', () => ipvs.updateDestination(SVC, DEST, { forwarding: 'masq', tunnel: { type: 'gre' } }), 'options.tunnel', { type: 'gre' }],
    ['a port on a GRE tunnel', () => ipvs.updateDestination(SVC, DEST, { tunnel: { type: 'gre', port: 5 } }), 'options.tunnel.port', 5],
    ['an unknown tunnel key', () => ipvs.updateDestination(SVC, DEST, anyKey({ tunnel: { kind: 'gre' } })), 'options.tunnel.kind', 'gre'],
    ['options not an object', () => ipvs.updateDestination(SVC, DEST, anyKey('weight=2')), 'options', 'weight=2'],
    ['in a batch, by index', () => ipvs.batch([{ op: 'updateService', service: SVC, options: anyKey({ persistence: { timeout: 0 } }) }]), 'operations[0].options.persistence.timeout', 0],
  ])('%s', async (_name, call, field, value) => {
    await refused(call, field, value);
  });

  it('what was validated is kept: the caller changing the options after the call changes nothing sent', async () => {
    answers.query.push([{ cmd: 8, destination: {
      family: 2, address: DEST.address, port: 80, forwarding: 3, weight: 1, upperThreshold: 0, lowerThreshold: 0,
      activeConns: 0, inactiveConns: 0, persistentConns: 0,
    } }], [{ cmd: 4, service: {
      family: 2, protocol: 6, address: SVC.address, port: 80, fwmark: 0, scheduler: 'wlc', persistenceEngine: '', flags: 0, timeout: 0, netmask: 0xffffffff,
    } }]);
    const options = { weight: 3 };
    const sent = ipvs.updateDestination(SVC, DEST, options);
    options.weight = 5;
    await sent;
    expect(calls.map((c) => c.method)).toEqual(['query', 'query', 'execute']);
    expect(calls[2].requests[0].destination).toMatchObject({ forwarding: 3, weight: 3 });
  });
});
