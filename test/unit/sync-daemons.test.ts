/** SyncDaemons against a fake kernel: which daemons run in each VRRP state, adoption, errors part-way. */
import { describe, expect, it } from 'vitest';
import { IpvsError, IpvsValidationError } from '../../lib/errors';
import { SYNC_PLANS, SyncDaemons, type SyncClient } from '../../lib/sync/daemons';
import { daemonsFor } from '../../lib/vrrp/from-config';
import type { DaemonInfo, DaemonOptions, DaemonState } from '../../lib/types';

class FakeDaemons implements SyncClient {
  readonly running = new Map<DaemonState, DaemonInfo>();
  readonly log: string[] = [];
  failStart: DaemonState | null = null;

  async listDaemons(): Promise<DaemonInfo[]> {
    return [...this.running.values()];
  }
  async startDaemon(d: DaemonOptions): Promise<void> {
    if (this.failStart === d.state) throw new IpvsError(19, { operation: 'startDaemon', object: `${d.state} sync daemon` });
    if (this.running.has(d.state)) throw new IpvsError(17, { operation: 'startDaemon', object: `${d.state} sync daemon` });
    this.log.push(`start ${d.state} ${d.interface} ${d.syncId ?? 0}`);
    this.running.set(d.state, {
      state: d.state, interface: d.interface, syncId: d.syncId ?? 0, maxLength: d.maxLength ?? 1472,
      group: d.group ?? '224.0.0.81', port: d.port ?? 8848, ttl: d.ttl ?? 1,
    });
  }
  async stopDaemon(state: DaemonState): Promise<void> {
    if (!this.running.delete(state)) throw new IpvsError(3, { operation: 'stopDaemon', object: `${state} sync daemon` });
    this.log.push(`stop ${state}`);
  }
}

describe('SyncDaemons', () => {
  it("'both' (the default) runs a master and a backup daemon in every state and never switches them", async () => {
    const kernel = new FakeDaemons();
    const sync = new SyncDaemons(kernel, { interface: 'eth1', syncId: 7 });
    expect(sync.plan).toEqual(SYNC_PLANS.both);
    expect(await sync.follow('backup')).toEqual([{ state: 'master', action: 'started' }, { state: 'backup', action: 'started' }]);
    expect(await sync.follow('master')).toEqual([]);
    expect(await sync.follow('fault')).toEqual([]);
    expect(kernel.log).toEqual(['start master eth1 7', 'start backup eth1 7']);
    expect(sync.running).toEqual(['backup', 'master']);
  });

  it("'follow' runs the master daemon on the master and the backup daemon in backup and fault, none in initialize", async () => {
    const kernel = new FakeDaemons();
    const sync = new SyncDaemons(kernel, { interface: 'eth1', mode: 'follow' });
    expect(await sync.follow('initialize')).toEqual([]);
    await sync.follow('master');
    await sync.follow('fault');
    await sync.follow('backup');
    expect(kernel.log).toEqual(['start master eth1 0', 'start backup eth1 0', 'stop master']);
    expect([...kernel.running.keys()]).toEqual(['backup']);
    expect(await sync.stop()).toEqual([{ state: 'backup', action: 'stopped' }]);
    expect(kernel.running.size).toBe(0);
  });

  it("runs a config's own plan (vrrp.sync.run), the same as daemonsFor says", async () => {
    const kernel = new FakeDaemons();
    const run = { master: ['master' as const], backup: ['master' as const, 'backup' as const], fault: [] };
    const sync = new SyncDaemons(kernel, { interface: 'eth1', run });
    await sync.follow('backup');
    expect(sync.running).toEqual(['backup', 'master']);
    await sync.follow('fault');
    expect(sync.running).toEqual([]);
    expect(['master', 'backup', 'fault'].map((s) => sync.wanted(s as 'master'))).toEqual(['master', 'backup', 'fault'].map((s) => daemonsFor(run, s as 'master')));
  });

  it('adopts a daemon that already runs with its settings (an agent restarted), refuses one with others', async () => {
    const kernel = new FakeDaemons();
    await kernel.startDaemon({ state: 'backup', interface: 'eth1', syncId: 7 });
    const sync = new SyncDaemons(kernel, { interface: 'eth1', syncId: 7, mode: 'follow' });
    expect(await sync.follow('backup')).toEqual([{ state: 'backup', action: 'adopted' }]);
    const other = new SyncDaemons(kernel, { interface: 'eth1', syncId: 8, mode: 'follow' });
    await expect(other.follow('backup')).rejects.toThrow(/one already runs on eth1 with sync id 7, not the one configured \(eth1, sync id 8\)/);
    expect(other.running).toEqual([]);
  });

  it('a kernel error part-way leaves `running` saying exactly what runs', async () => {
    const kernel = new FakeDaemons();
    kernel.failStart = 'backup';
    const sync = new SyncDaemons(kernel, { interface: 'eth1' });
    await expect(sync.follow('master')).rejects.toMatchObject({ code: 'ENODEV', operation: 'startDaemon' });
    expect(sync.running).toEqual(['master']);
    expect([...kernel.running.keys()]).toEqual(['master']);
  });

  it.each([
    [{ interface: '' }, 'sync.interface'],
    [{ interface: 'eth1', mode: 'switch' }, 'sync.mode'],
    [{ interface: 'eth1', syncid: 3 }, 'sync.syncid'],
    [{ interface: 'eth1', syncId: 256 }, 'sync.syncId'],
    [{ interface: 'eth1', group: '192.0.2.1' }, 'sync.group'],
    [{ interface: 'eth1', state: 'master' }, 'sync.state'],
    [JSON.parse('{"interface": "eth1", "__proto__": 1}'), 'sync.__proto__'],
    [null, 'sync'],
    [{ interface: 'eth1', mode: 'both', run: SYNC_PLANS.both }, 'sync.run'],
    [{ interface: 'eth1', run: { master: ['master'], backup: ['backup', 'backup'], fault: [] } }, 'sync.run.backup'],
    [{ interface: 'eth1', run: { master: ['primary'], backup: [], fault: [] } }, 'sync.run.master[0]'],
    [{ interface: 'eth1', run: { master: [], backup: [] } }, 'sync.run.fault'],
  ])('refuses bad settings %j naming the field', (settings, field) => {
    let err: unknown;
    try { new SyncDaemons(new FakeDaemons(), settings as never); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(IpvsValidationError);
    expect((err as IpvsValidationError).field).toBe(field);
  });
});
