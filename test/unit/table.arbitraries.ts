/**
 * fast-check arbitraries for valid desired tables: IPv4, IPv6 and fwmark services, schedulers and
 * their flags, persistence (port 0 with it), masq/route/tunnel destinations, weights, thresholds.
 * Addresses come from small pools so that two random tables share services and destinations.
 */
import fc from 'fast-check';
import type { DesiredDestination, DesiredService, DesiredTable } from '../../lib/table';
import type { DestinationOptions, Family, ServiceKey, ServiceOptions } from '../../lib/types';

const V4 = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
const V6 = ['2001:db8::1', '2001:db8::2'];
const REAL_V4 = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '203.0.113.4'];
const REAL_V6 = ['2001:db8:1::1', '2001:db8:1::2', '2001:db8:1::3'];

const familyOf = (key: ServiceKey): Family => ('fwmark' in key ? key.family ?? 'ipv4' : key.address.includes(':') ? 'ipv6' : 'ipv4');

export const serviceKeyArb: fc.Arbitrary<ServiceKey> = fc.oneof(
  fc.record({
    protocol: fc.constantFrom('tcp', 'udp', 'sctp'),
    address: fc.constantFrom(...V4, ...V6),
    port: fc.constantFrom(80, 443, 0),
  }),
  fc.record({ fwmark: fc.constantFrom(1, 2, 0xfffffffe), family: fc.constantFrom('ipv4', 'ipv6') }),
) as fc.Arbitrary<ServiceKey>;

function serviceOptionsArb(key: ServiceKey): fc.Arbitrary<ServiceOptions> {
  const family = familyOf(key);
  const needsPersistence = 'port' in key && key.port === 0;
  const persistence = fc.record({
    timeout: fc.integer({ min: 1, max: 3600 }),
    netmask: family === 'ipv6' ? fc.integer({ min: 1, max: 128 }) : fc.integer({ min: 0, max: 32 }),
  });
  const onePacketAllowed = !('protocol' in key) || key.protocol === 'udp';
  return fc.constantFrom('wlc', 'rr', 'wrr', 'sh', 'mh', 'lc').chain((scheduler) => {
    const flags = scheduler === 'sh' ? ['sh-fallback', 'sh-port'] : scheduler === 'mh' ? ['mh-fallback', 'mh-port'] : ['flag-3'];
    return fc.record({
      scheduler: fc.constant(scheduler),
      schedulerFlags: fc.subarray(flags),
      onePacket: onePacketAllowed ? fc.boolean() : fc.constant(false),
      persistence: needsPersistence ? persistence : fc.option(persistence, { nil: false as const }),
      persistenceEngine: fc.option(fc.constant('sip'), { nil: null, freq: 4 }),
    }) as fc.Arbitrary<ServiceOptions>;
  });
}

function destinationArb(key: ServiceKey): fc.Arbitrary<DesiredDestination> {
  const family = familyOf(key);
  const same = family === 'ipv6' ? REAL_V6 : REAL_V4;
  const other = family === 'ipv6' ? REAL_V4 : REAL_V6;
  // Route and tunnel destinations of address services take the service's port (0 too, as ipvsadm writes them).
  const fixedPort = 'port' in key ? key.port : null;
  const thresholds = fc.integer({ min: 0, max: 100 }).chain((upper) =>
    fc.record({ upperThreshold: fc.constant(upper), lowerThreshold: fc.integer({ min: 0, max: upper }) }));
  const port = (forwarding: string) => (forwarding !== 'masq' && fixedPort !== null ? fc.constant(fixedPort) : fc.constantFrom(80, 8080, 0));
  return fc.constantFrom('masq', 'route', 'tunnel').chain((forwarding) =>
    fc.record({
      destination: fc.record({
        address: forwarding === 'tunnel' ? fc.constantFrom(...same, ...other) : fc.constantFrom(...same),
        port: port(forwarding),
      }),
      options: fc.tuple(
        fc.integer({ min: 0, max: 10 }),
        thresholds,
        forwarding === 'tunnel'
          ? fc.oneof(
            fc.constant({ type: 'ipip' as const }),
            fc.record({ type: fc.constant('gue' as const), port: fc.integer({ min: 1, max: 65535 }), checksum: fc.constantFrom('nocsum', 'csum', 'remcsum') }),
            fc.record({ type: fc.constant('gre' as const), checksum: fc.constantFrom('nocsum', 'csum') }),
          )
          : fc.constant(null),
      ).map(([weight, t, tunnel]): DestinationOptions => ({ forwarding: forwarding as DestinationOptions['forwarding'], weight, ...t, tunnel })),
    }));
}

const serviceId = (key: ServiceKey) => ('fwmark' in key ? `f/${key.family}/${key.fwmark}` : `${key.protocol}/${key.address}/${key.port}`);

export const desiredServiceArb: fc.Arbitrary<DesiredService> = serviceKeyArb.chain((service) =>
  fc.record({
    service: fc.constant(service),
    options: serviceOptionsArb(service),
    destinations: fc.uniqueArray(destinationArb(service), {
      maxLength: 4, selector: (d) => `${d.destination.address}/${d.destination.port}`,
    }),
  }));

export const desiredTableArb: fc.Arbitrary<DesiredTable> = fc
  .uniqueArray(desiredServiceArb, { maxLength: 6, selector: (s) => serviceId(s.service) })
  .map((services) => ({ services }));
