/**
 * Every file in docs/examples/ is a config file the docs and the lab stand on: each one parses, and gives
 * exactly the desired table written out here (the LVS recipes: NAT, DR, TUN, persistence across all
 * ports, a fwmark service grouping two ports, IPv6). The NAT recipe in JSON and in rules text gives the
 * same table as in YAML.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, readConfig, type DesiredTable, type DestinationOptions, type ServiceOptions } from '../../lib';
import { docConfigs } from '../helpers/doc-examples';

const DIR = join(__dirname, '../../docs/examples');

const service = (o: Partial<ServiceOptions> = {}): ServiceOptions => ({
  scheduler: 'wlc', schedulerFlags: [], onePacket: false, persistence: null, persistenceEngine: null, ...o,
});
const dest = (o: Partial<DestinationOptions> = {}): DestinationOptions => ({
  forwarding: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: null, ...o,
});
const IPIP = { type: 'ipip', port: 0, checksum: 'nocsum' } as const;

const NAT: DesiredTable = {
  services: [{
    service: { protocol: 'tcp', address: '203.0.113.10', port: 80 },
    options: service({ scheduler: 'wrr' }),
    destinations: [
      { destination: { address: '192.0.2.11', port: 80 }, options: dest({ forwarding: 'masq', weight: 1 }) },
      { destination: { address: '192.0.2.12', port: 80 }, options: dest({ forwarding: 'masq', weight: 2 }) },
      { destination: { address: '192.0.2.13', port: 8080 }, options: dest({ forwarding: 'masq', upperThreshold: 200, lowerThreshold: 150 }) },
    ],
  }],
};

const EXPECTED: Record<string, DesiredTable> = {
  'nat.yaml': NAT,
  'nat.json': NAT,
  'nat.rules': NAT,
  'dr.yaml': {
    services: [{
      service: { protocol: 'tcp', address: '203.0.113.10', port: 80 },
      options: service({ scheduler: 'wlc' }),
      destinations: [
        { destination: { address: '203.0.113.11', port: 80 }, options: dest() },
        { destination: { address: '203.0.113.12', port: 80 }, options: dest({ weight: 3 }) },
        { destination: { address: '203.0.113.13', port: 80 }, options: dest() },
      ],
    }],
  },
  'tun.yaml': {
    services: [{
      service: { protocol: 'tcp', address: '203.0.113.10', port: 80 },
      options: service({ scheduler: 'rr' }),
      destinations: [
        { destination: { address: '198.51.100.11', port: 80 }, options: dest({ forwarding: 'tunnel', tunnel: IPIP }) },
        { destination: { address: '198.51.100.12', port: 80 }, options: dest({ forwarding: 'tunnel', tunnel: IPIP }) },
      ],
    }],
  },
  'nat-lab.yaml': {
    services: [{
      service: { protocol: 'tcp', address: '203.0.113.10', port: 80 },
      options: service({ scheduler: 'rr' }),
      destinations: [
        { destination: { address: '192.0.2.11', port: 8080 }, options: dest({ forwarding: 'masq' }) },
        { destination: { address: '192.0.2.12', port: 8080 }, options: dest({ forwarding: 'masq' }) },
      ],
    }],
  },
  'tun-lab.yaml': {
    services: [{
      service: { protocol: 'tcp', address: '203.0.113.10', port: 80 },
      options: service({ scheduler: 'rr' }),
      destinations: ['203.0.113.11', '203.0.113.12', '198.51.100.11'].map((address) => (
        { destination: { address, port: 80 }, options: dest({ forwarding: 'tunnel', tunnel: IPIP }) })),
    }],
  },
  'persistence-all-ports.yaml': {
    services: [{
      service: { protocol: 'tcp', address: '203.0.113.10', port: 0 },
      options: service({ scheduler: 'rr', persistence: { timeout: 300, netmask: 32 } }),
      destinations: [
        { destination: { address: '203.0.113.11', port: 0 }, options: dest() },
        { destination: { address: '203.0.113.12', port: 0 }, options: dest() },
      ],
    }],
  },
  'fwmark-two-ports.yaml': {
    services: [{
      service: { fwmark: 1, family: 'ipv4' },
      options: service({ persistence: { timeout: 600, netmask: 24 } }),
      destinations: [
        { destination: { address: '203.0.113.11', port: 0 }, options: dest() },
        { destination: { address: '203.0.113.12', port: 0 }, options: dest({ weight: 2 }) },
      ],
    }],
  },
  'ipv6.yaml': {
    services: [
      {
        service: { protocol: 'tcp', address: '2001:db8:1::10', port: 80 },
        options: service({ scheduler: 'wrr' }),
        destinations: [
          { destination: { address: '2001:db8:2::11', port: 80 }, options: dest({ forwarding: 'masq' }) },
          { destination: { address: '2001:db8:2::12', port: 80 }, options: dest({ forwarding: 'masq', weight: 2 }) },
        ],
      },
      {
        service: { protocol: 'udp', address: '2001:db8:1::10', port: 53 },
        options: service({ scheduler: 'rr', onePacket: true }),
        destinations: [
          { destination: { address: '2001:db8:1::11', port: 53 }, options: dest() },
          { destination: { address: '2001:db8:1::12', port: 53 }, options: dest() },
        ],
      },
      {
        service: { fwmark: 2, family: 'ipv6' },
        options: service({ persistence: { timeout: 300, netmask: 64 } }),
        destinations: [
          { destination: { address: '2001:db8:1::11', port: 0 }, options: dest() },
          { destination: { address: '2001:db8:1::12', port: 0 }, options: dest() },
        ],
      },
    ],
  },
};

describe('docs/examples', () => {
  it('has exactly the files checked here (a new example gets its expected table)', () => {
    expect(readdirSync(DIR).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.keys(EXPECTED))('%s gives its desired table', (name) => {
    const text = readFileSync(join(DIR, name), 'utf8');
    const config = parseConfig(text, { path: name });
    expect(config.table).toEqual(EXPECTED[name]);
    expect(config.format).toBe(name.endsWith('.json') ? 'json' : name.endsWith('.rules') ? 'rules' : 'yaml');
  });

  it.each(Object.keys(EXPECTED))('%s reads the same from the file (readConfig)', async (name) => {
    expect((await readConfig(join(DIR, name))).table).toEqual(EXPECTED[name]);
  });
});

describe('config files shown in the docs', () => {
  const blocks = docConfigs();

  it('the guides show theirs (a yaml block naming its file in docs/examples)', () => {
    const named = blocks.map((b) => b.file).filter(Boolean);
    for (const f of ['nat-lab.yaml', 'dr.yaml', 'tun-lab.yaml', 'nat.yaml', 'fwmark-two-ports.yaml']) expect(named).toContain(f);
  });

  it.each(blocks.map((b) => [b.where, b] as const))('%s parses', (_where, block) => {
    const config = parseConfig(block.text, { format: block.lang });
    // A block naming an example file declares the same table as the file (it may leave comments out).
    if (block.file) expect(config.table).toEqual(EXPECTED[block.file]);
  });
});
