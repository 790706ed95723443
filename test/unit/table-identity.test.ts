/**
 * One identity key (lib/keys.ts) for a service: the table model, the batch planner, the dump
 * de-duplication and the rules parser's shared keys all spell it the same way.
 */
import { describe, expect, it } from 'vitest';
import type { NativeRecord } from '../../lib/binding';
import { AF, CMD, PROTOCOLS } from '../../lib/constants';
import { uniqueDestinations, uniqueServices } from '../../lib/dumps';
import { destinationId, endpointId, serviceId } from '../../lib/keys';
import { parseRules } from '../../lib/rules/parse';
import { Table } from '../../lib/table';
import { destinationKey } from '../../lib/validate/destination';
import { serviceKey } from '../../lib/validate/service';

const SVC = { scheduler: 'wlc', persistenceEngine: '', flags: 0, timeout: 0, netmask: 0xffffffff };

function serviceRecord(s: { family: number; protocol?: number; address?: string; port?: number; fwmark?: number }): NativeRecord {
  return { cmd: CMD.NEW_SERVICE, service: { protocol: 0, fwmark: 0, ...SVC, ...s } };
}

describe('the identity key', () => {
  it('is one string per service however its address is written, and differs by family for fwmarks', () => {
    expect(serviceId(serviceKey({ protocol: 'tcp', address: '2001:DB8:0::1', port: 80 }))).toBe('tcp/2001:db8::1/80');
    expect(serviceId(serviceKey({ fwmark: 7 }))).toBe('fwmark/ipv4/7');
    expect(serviceId(serviceKey({ fwmark: 7, family: 'ipv6' }))).toBe('fwmark/ipv6/7');
    expect(destinationId(serviceKey({ fwmark: 7 }), destinationKey({ address: '198.51.100.7', port: 0 }))).toBe('fwmark/ipv4/7>198.51.100.7/0');
    expect(endpointId({ address: '2001:db8::7', port: 80 })).toBe('2001:db8::7/80');
  });

  it('is what dumps de-duplicate by: a repeated service dropped, fwmarks of two families kept', () => {
    const records = [
      serviceRecord({ family: AF.ipv4, fwmark: 7 }),
      serviceRecord({ family: AF.ipv6, fwmark: 7 }),
      serviceRecord({ family: AF.ipv4, protocol: PROTOCOLS.tcp, address: '192.0.2.1', port: 80 }),
      serviceRecord({ family: AF.ipv4, protocol: PROTOCOLS.udp, address: '192.0.2.1', port: 80 }),
      serviceRecord({ family: AF.ipv4, protocol: PROTOCOLS.tcp, address: '192.0.2.1', port: 80 }),
      serviceRecord({ family: AF.ipv4, fwmark: 7 }),
    ];
    expect(uniqueServices(records)).toEqual(records.slice(0, 4));
    const dest = (address: string, port: number) => ({ cmd: CMD.NEW_DEST, destination: { address, port } }) as unknown as NativeRecord;
    const dests = [dest('198.51.100.7', 80), dest('198.51.100.7', 81), dest('198.51.100.7', 80)];
    expect(uniqueDestinations(dests)).toEqual(dests.slice(0, 2));
  });

  it('is what parsed rules share keys by: two spellings of one service give one key object', () => {
    const rules = parseRules('-A -t [2001:db8::1]:80\n-a -t [2001:DB8:0::1]:80 -r [2001:db8::7]:80 -m\n-a -t [2001:db8::1]:80 -r [2001:db8::8]:80 -m\n');
    const [add, first, second] = rules.map((r) => (r.operation as { service: object }).service);
    expect(first).toBe(add);
    expect(second).toBe(add);
    expect(add).toEqual({ protocol: 'tcp', address: '2001:db8::1', port: 80 });
    expect(Table.fromRules(rules).service({ protocol: 'tcp', address: '2001:db8::1', port: 80 })!.destinations).toHaveLength(2);
  });
});
