/** The failover metrics, from a Failover's status at scrape time: states, priorities, counters, drops, sync daemons. */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { FailoverStatus } from '../../lib/failover';
import { registerVrrpMetrics } from '../../lib/metrics/vrrp-metrics';
import { newCounters } from '../../lib/vrrp/counters';

function status(state: 'master' | 'backup', sent: number, running: string[]): FailoverStatus {
  const counters = newCounters();
  counters.advertsSent = sent;
  counters.drops.checksum = 2;
  return {
    instances: [{
      name: 'VI_1', state, priority: 150, masterAdverInterval: 1000, masterDownInterval: 3414, skewTime: 414, preemptHoldUntil: 0, tracks: [], counters,
    }],
    sync: { instance: 'VI_1', running },
  };
}

describe('VRRP metrics', () => {
  it('report what status() says at each scrape', async () => {
    const registry = new Registry();
    let now = status('master', 7, ['master']);
    registerVrrpMetrics(registry, { status: () => now });
    let text = await registry.metrics();
    expect(text).toContain('ipvs_vrrp_state{instance="VI_1",state="master"} 1');
    expect(text).toContain('ipvs_vrrp_state{instance="VI_1",state="backup"} 0');
    expect(text).toContain('ipvs_vrrp_priority{instance="VI_1"} 150');
    expect(text).toContain('ipvs_vrrp_adverts_sent_total{instance="VI_1"} 7');
    expect(text).toContain('ipvs_vrrp_dropped_total{instance="VI_1",reason="checksum"} 2');
    expect(text).toContain('ipvs_sync_daemon_running{daemon="master"} 1');
    expect(text).toContain('ipvs_sync_daemon_running{daemon="backup"} 0');
    now = status('backup', 9, ['backup']);
    text = await registry.metrics();
    expect(text).toContain('ipvs_vrrp_state{instance="VI_1",state="backup"} 1');
    expect(text).toContain('ipvs_vrrp_adverts_sent_total{instance="VI_1"} 9');
    expect(text).toContain('ipvs_sync_daemon_running{daemon="backup"} 1');
    now = { instances: [], sync: null };
    text = await registry.metrics();
    expect(text).not.toMatch(/ipvs_vrrp_state\{/);
    expect(text).not.toMatch(/ipvs_sync_daemon_running\{/);
  });
});
