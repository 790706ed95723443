/**
 * Bad input is refused before anything reaches the kernel, with a typed error
 * naming the field and the value. Runs against a fake native client that
 * records requests: none may be sent.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ipvs, IpvsValidationError } from '../../lib';
import { FakeClient, calls } from '../helpers/fake-binding';

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
