/**
 * Type-level checks of the public API, compiled by test/unit/types.test.ts:
 * every @ts-expect-error line must be a compile error, every other line must compile.
 */
import type { BatchOperation, DestinationOptions, Ipvs, IpvsErrorCode, ServiceInfo, ServiceKey, ServiceOptions, Stats } from '../../lib';
import { IpvsError, isAddressService, isFwmarkService } from '../../lib';

declare const ipvs: Ipvs;

export async function checks(): Promise<void> {
  const tcp: ServiceKey = { protocol: 'tcp', address: '192.0.2.1', port: 80 };
  const mark: ServiceKey = { fwmark: 5, family: 'ipv6' };
  // @ts-expect-error: protocols are a literal union
  const icmp: ServiceKey = { protocol: 'icmp', address: '192.0.2.1', port: 80 };
  // @ts-expect-error: a port is a number
  const textPort: ServiceKey = { protocol: 'tcp', address: '192.0.2.1', port: '80' };

  const opts: ServiceOptions = { scheduler: 'wrr', schedulerFlags: ['sh-port'], persistence: { timeout: 60, netmask: '255.255.255.0' } };
  const custom: ServiceOptions = { scheduler: 'my-own-scheduler' }; // any name the kernel knows
  // @ts-expect-error: scheduler flags are a literal union
  const badFlag: ServiceOptions = { schedulerFlags: ['fast'] };

  const dest: DestinationOptions = { forwarding: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } };
  // @ts-expect-error: NAT is spelled 'masq'
  const nat: DestinationOptions = { forwarding: 'nat' };
  // @ts-expect-error: tunnel types are a literal union
  const vxlan: DestinationOptions = { forwarding: 'tunnel', tunnel: { type: 'vxlan' } };

  const services: ServiceInfo[] = await ipvs.listServices();
  const conns: bigint = services[0].stats.conns; // 64-bit counters are bigint
  // @ts-expect-error: not a number
  const asNumber: number = services[0].stats.inBytes;
  const stats: Stats = services[0].stats;

  const op: BatchOperation = { op: 'addDestination', service: tcp, destination: { address: '198.51.100.1', port: 80 } };
  // @ts-expect-error: an update needs its options
  const update: BatchOperation = { op: 'updateService', service: tcp };
  const results = await ipvs.batch([op]);
  if (!results[0].ok) {
    const code: string = results[0].error.code;
    const applied: 'no' | 'unknown' = results[0].applied;
    void code;
    void applied;
  }
  // @ts-expect-error: state is master or backup
  await ipvs.stopDaemon('primary');

  // Error codes: a union of the codes the library produces, open for errnos it does not name.
  const err = new IpvsError(17, { operation: 'addService', object: 'service' });
  const known: IpvsErrorCode = 'EEXIST';
  const unnamed: IpvsErrorCode = 'E4242';
  const code: IpvsErrorCode = err.code;
  const asText: string = err.code;
  if (err.code === 'ESRCH' || err.code === 'ETIMEDOUT') void err.errno;
  // @ts-expect-error: a code is text, never a number
  const numeric: IpvsErrorCode = 17;
  // @ts-expect-error: the union is wider than one code
  const onlyExists: 'EEXIST' = err.code;

  // Service keys narrow with the guards.
  const key: ServiceKey = services[0].key;
  if (isFwmarkService(key)) {
    const fw: number = key.fwmark;
    // @ts-expect-error: a fwmark key has no address
    void key.address;
    void fw;
  } else {
    const address: string = key.address;
    const port: number = key.port;
    void [address, port];
  }
  if (isAddressService(key)) void key.protocol;
  // @ts-expect-error: not narrowed, a key may have no address
  void key.address;
  void [known, unnamed, code, asText, numeric, onlyExists];
  void [mark, icmp, textPort, opts, custom, badFlag, dest, nat, vxlan, conns, asNumber, stats, update];
}
