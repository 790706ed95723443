/**
 * The health lab runs the director agent and keepalived from the same numbers: the agent's file it
 * writes must read (with the library's own parser) as exactly those numbers, and keepalived's must
 * say the same in keepalived's words, or the side-by-side table compares different settings.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib';

// The lab's helpers are plain .mjs files without declarations.
const load = (path: string) => import(path);

const model = {
  vip: '203.0.113.10', port: 80, scheduler: 'rr', forwarding: 'route', quorum: 1, resync: 2000,
  check: { interval: 1000, timeout: 1000, fall: 2, rise: 2, path: '/health' },
  servers: ['203.0.113.11', '203.0.113.12', '203.0.113.13'], sorry: '203.0.113.15',
};

describe('health lab: the two agents\' configs from one model', () => {
  it('the director\'s file reads as the model: HTTP checks, fall/rise, no retry, the sorry server, resync, onStop remove', async () => {
    const { directorConfig } = await load('../../lab/scenarios/health-director.mjs');
    const config = parseConfig(directorConfig(model, '/tmp/lab'), { format: 'yaml' });
    expect(config.director).toMatchObject({ resyncInterval: 2000, onStop: 'remove', state: '/tmp/lab/director.json', log: 'json' });
    const [service] = config.health.services;
    expect(service!.quorum).toMatchObject({ min: 1, sorryServer: { address: '203.0.113.15', port: 80 } });
    expect(service!.destinations.map((d) => d.destination.address)).toEqual(model.servers);
    for (const d of service!.destinations) {
      expect(d.check).toMatchObject({ type: 'http', interval: 1000, timeout: 1000, retries: 0, fall: 2, rise: 2, alpha: false, inhibitOnFailure: false, http: { path: '/health', status: [200] } });
    }
    expect(config.table.services[0]!.destinations?.map((d) => d.options?.forwarding)).toEqual(['route', 'route', 'route']);
  });

  it('keepalived\'s file says the same in its words (fall 2 = retry 1 an interval apart), and refuses a rise it cannot say', async () => {
    const { keepalivedConf } = await load('../../lab/keepalived.mjs');
    const text: string = keepalivedConf(model);
    expect(text).toContain('virtual_server 203.0.113.10 80 {');
    for (const line of ['delay_loop 1', 'lb_algo rr', 'lb_kind DR', 'quorum 1', 'sorry_server 203.0.113.15 80']) expect(text).toContain(`  ${line}\n`);
    const real = text.split('real_server ').slice(1);
    expect(real.map((r) => r.split(' ')[0])).toEqual(model.servers);
    for (const r of real) {
      for (const line of ['path /health', 'status_code 200', 'connect_timeout 1', 'retry 1', 'delay_before_retry 1']) expect(r).toContain(line);
    }
    expect(() => keepalivedConf({ ...model, check: { ...model.check, rise: 1 } })).toThrow(/rise 1 with fall 2/);
  });
});
