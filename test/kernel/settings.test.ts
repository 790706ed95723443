/** Table-wide commands: flush, zero, info, timeouts and sync daemons, checked against ipvsadm. */
import { beforeAll, describe, expect, it } from 'vitest';
import { settleDaemon, useNamespace } from '../helpers/kernel';

const ctx = useNamespace('set');
beforeAll(() => {
  ctx.ns.exec('ip', 'link', 'add', 'sync0', 'type', 'dummy');
  ctx.ns.exec('ip', 'link', 'set', 'sync0', 'up', 'multicast', 'on');
  ctx.ns.exec('ip', 'addr', 'add', '192.0.2.78/24', 'dev', 'sync0');
});

describe('info and timeouts', () => {
  it('info matches ipvsadm\'s header', async () => {
    const info = await ctx.ipvs.info();
    const header = ctx.ns.ipvsadm('-L', '-n').split('\n')[0];
    expect(header).toBe(`IP Virtual Server version ${info.version} (size=${info.connectionTableSize})`);
    expect(info.versionCode).toBe(0x010201);
  });

  it('sets only the given timeouts; reads them as ipvsadm does', async () => {
    ctx.ns.ipvsadm('--set', '900', '120', '300');
    await ctx.ipvs.setTimeouts({ udp: 42 });
    expect(await ctx.ipvs.getTimeouts()).toEqual({ tcp: 900, tcpFin: 120, udp: 42 });
    await ctx.ipvs.setTimeouts({ tcp: 3600, tcpFin: 30 });
    expect(await ctx.ipvs.getTimeouts()).toEqual({ tcp: 3600, tcpFin: 30, udp: 42 });
    expect(ctx.ns.ipvsadm('-L', '--timeout').trim()).toBe('Timeout (tcp tcpfin udp): 3600 30 42');
  });
});

describe('flush and zero', () => {
  it('flush removes every service', async () => {
    ctx.ns.restore('-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m\n-A -f 9 -s wlc\n');
    expect((await ctx.ipvs.listServices()).length).toBe(2);
    await ctx.ipvs.flush();
    expect(await ctx.ipvs.listServices()).toEqual([]);
    expect(ctx.ns.saved()).toEqual([]);
  });

  it('zero works on one service and on all', async () => {
    ctx.ns.restore('-A -t 192.0.2.1:80 -s rr\n');
    await ctx.ipvs.zero({ protocol: 'tcp', address: '192.0.2.1', port: 80 });
    await ctx.ipvs.zero();
    const [svc] = await ctx.ipvs.listServices();
    expect(svc.stats.conns).toBe(0n);
    await ctx.ipvs.flush();
  });
});

describe('sync daemons', () => {
  it('starts, lists and stops master and backup, as ipvsadm sees them', async () => {
    await ctx.ipvs.startDaemon({ state: 'master', interface: 'sync0', syncId: 7, group: '224.0.0.81', port: 8848, ttl: 2, maxLength: 1400 });
    await ctx.ipvs.startDaemon({ state: 'backup', interface: 'sync0', syncId: 7 });
    const daemons = await ctx.ipvs.listDaemons();
    expect(daemons).toEqual([
      { state: 'master', interface: 'sync0', syncId: 7, maxLength: 1400, group: '224.0.0.81', port: 8848, ttl: 2 },
      { state: 'backup', interface: 'sync0', syncId: 7, maxLength: expect.any(Number), group: '224.0.0.81', port: 8848, ttl: 1 },
    ]);
    const listing = ctx.ns.ipvsadm('-L', '--daemon');
    expect(listing).toContain('master sync daemon (mcast=sync0, syncid=7, maxlen=1400, group=224.0.0.81, port=8848, ttl=2)');
    expect(listing).toContain('backup sync daemon (mcast=sync0, syncid=7');
    await settleDaemon();
    await ctx.ipvs.stopDaemon('master');
    await ctx.ipvs.stopDaemon('backup');
    expect(await ctx.ipvs.listDaemons()).toEqual([]);
    expect(ctx.ns.ipvsadm('-L', '--daemon').trim()).toBe('');
  });

  it('an IPv6 multicast group', async () => {
    ctx.ns.exec('ip', '-6', 'addr', 'add', '2001:db8::99/64', 'dev', 'sync0', 'nodad');
    await ctx.ipvs.startDaemon({ state: 'master', interface: 'sync0', group: 'ff02::1:81', port: 9000 });
    try {
      const [d] = await ctx.ipvs.listDaemons();
      expect(d).toMatchObject({ state: 'master', group: 'ff02::1:81', port: 9000 });
      expect(ctx.ns.ipvsadm('-L', '--daemon')).toContain('group=ff02::1:81, port=9000');
    } finally {
      await settleDaemon();
    await ctx.ipvs.stopDaemon('master');
    }
  });

  it('sees a daemon ipvsadm started', async () => {
    ctx.ns.ipvsadm('--start-daemon', 'backup', '--mcast-interface', 'sync0', '--syncid', '3');
    try {
      expect(await ctx.ipvs.listDaemons()).toEqual([expect.objectContaining({ state: 'backup', interface: 'sync0', syncId: 3 })]);
    } finally {
      ctx.ns.ipvsadm('--stop-daemon', 'backup');
    }
  });
});
