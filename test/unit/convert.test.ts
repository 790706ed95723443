/** Public values <-> kernel numbers, both ways. */
import { describe, expect, it } from 'vitest';
import { nativeService, serviceInfo } from '../../lib/convert';
import type { ServiceConfig } from '../../lib/types';
import type { NormalizedServiceKey } from '../../lib/validate/service';

const v4: NormalizedServiceKey = { kind: 'address', family: 'ipv4', protocol: 'tcp', address: '192.0.2.1', port: 80 };
const v6: NormalizedServiceKey = { kind: 'address', family: 'ipv6', protocol: 'udp', address: '2001:db8::1', port: 53 };
const base: ServiceConfig = { scheduler: 'sh', schedulerFlags: [], onePacket: false, persistence: null, persistenceEngine: null };

function roundTrip(key: NormalizedServiceKey, config: ServiceConfig): ServiceConfig {
  const n = nativeService(key, config);
  return serviceInfo({ cmd: 1, service: { ...n, scheduler: n.scheduler!, persistenceEngine: n.persistenceEngine!, flags: n.flags!, timeout: n.timeout!, netmask: n.netmask! } }).config;
}

describe('service config round trip', () => {
  it('every IPv4 prefix length', () => {
    for (let prefix = 0; prefix <= 32; prefix++) {
      const config = { ...base, persistence: { timeout: 60, netmask: prefix } };
      expect(roundTrip(v4, config)).toEqual(config);
    }
    expect(nativeService(v4, { ...base, persistence: { timeout: 1, netmask: 24 } }).netmask).toBe(0xffffff00);
    expect(nativeService(v4, base).netmask).toBe(0xffffffff);
  });

  it('every IPv6 prefix length', () => {
    for (let prefix = 1; prefix <= 128; prefix++) {
      const config = { ...base, persistence: { timeout: 60, netmask: prefix } };
      expect(roundTrip(v6, config)).toEqual(config);
    }
    expect(nativeService(v6, base).netmask).toBe(128);
  });

  it('every combination of flags, named for their scheduler', () => {
    for (const [scheduler, names] of [['sh', ['sh-fallback', 'sh-port', 'flag-3']], ['mh', ['mh-fallback', 'mh-port', 'flag-3']], ['rr', ['flag-1', 'flag-2', 'flag-3']]] as const) {
      for (let mask = 0; mask < 8; mask++) {
        const flags = names.filter((_, i) => mask & (1 << i));
        for (const onePacket of [false, true]) {
          const config = { ...base, scheduler, schedulerFlags: [...flags], onePacket, persistence: { timeout: 5, netmask: 32 }, persistenceEngine: 'sip' };
          expect(roundTrip(v4, config)).toEqual(config);
        }
      }
    }
  });
});
