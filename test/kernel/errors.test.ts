/** Kernel error paths: the errno kept exactly, the operation and object named. */
import { spawnAsync } from '../helpers/child';
import { describe, expect, it } from 'vitest';
import { Ipvs, IpvsError, IpvsValidationError, type BatchOperation } from '../../lib';
import { native } from '../../lib/binding';
import { CMD } from '../../lib/constants';
import { TestNamespace, useNamespace, settleDaemon } from '../helpers/kernel';

const ctx = useNamespace('err', { flushEach: true });
const SVC = { protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;
const DEST = { address: '198.51.100.10', port: 80 };

async function failure(p: Promise<unknown>): Promise<IpvsError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(IpvsError);
  return err as IpvsError;
}

describe('kernel errors keep their errno', () => {
  it('EEXIST: adding a service twice', async () => {
    await ctx.ipvs.addService(SVC, { scheduler: 'rr' });
    const err = await failure(ctx.ipvs.addService(SVC, { scheduler: 'rr' }));
    expect(err).toMatchObject({ code: 'EEXIST', errno: 17, operation: 'addService', object: 'service tcp 192.0.2.1:80' });
    expect(err.message).toBe('service tcp 192.0.2.1:80 already exists');
  });

  it('EEXIST: adding a destination twice', async () => {
    await ctx.ipvs.addService(SVC, { scheduler: 'rr' });
    await ctx.ipvs.addDestination(SVC, DEST, { forwarding: 'masq' });
    const err = await failure(ctx.ipvs.addDestination(SVC, DEST, { forwarding: 'masq' }));
    expect(err).toMatchObject({ code: 'EEXIST', operation: 'addDestination' });
    expect(err.message).toBe('destination 198.51.100.10:80 of service tcp 192.0.2.1:80 already exists');
  });

  it('ESRCH: every command on a missing service (not ENOENT: libnl would merge them)', async () => {
    const calls: [string, Promise<unknown>][] = [
      ['getService', ctx.ipvs.getService(SVC)],
      ['updateService', ctx.ipvs.updateService(SVC, { scheduler: 'rr' })],
      ['deleteService', ctx.ipvs.deleteService(SVC)],
      ['listDestinations', ctx.ipvs.listDestinations(SVC)],
      ['addDestination', ctx.ipvs.addDestination(SVC, DEST)],
      ['updateDestination', ctx.ipvs.updateDestination(SVC, DEST, { weight: 2 })],
      ['deleteDestination', ctx.ipvs.deleteDestination(SVC, DEST)],
      ['zero', ctx.ipvs.zero(SVC)],
    ];
    for (const [operation, call] of calls) {
      const err = await failure(call);
      expect(err).toMatchObject({ code: 'ESRCH', errno: 3, operation });
      expect(err.message).toBe('service tcp 192.0.2.1:80 does not exist');
    }
  });

  it('ENOENT: a missing destination', async () => {
    await ctx.ipvs.addService(SVC, { scheduler: 'rr' });
    for (const call of [ctx.ipvs.deleteDestination(SVC, DEST), ctx.ipvs.updateDestination(SVC, DEST, { weight: 3 })]) {
      const err = await failure(call);
      expect(err).toMatchObject({ code: 'ENOENT', errno: 2 });
      expect(err.message).toBe('destination 198.51.100.10:80 of service tcp 192.0.2.1:80 does not exist');
    }
  });

  it('ENOENT: a scheduler or persistence engine the kernel does not have', async () => {
    let err = await failure(ctx.ipvs.addService(SVC, { scheduler: 'nosuch' }));
    expect(err).toMatchObject({ code: 'ENOENT', operation: 'addService' });
    expect(err.message).toMatch(/scheduler 'nosuch' \(module ip_vs_nosuch\) is not available in this kernel/);
    // twos exists in newer kernels only: this 6.1 guest must say so, not fail obscurely.
    err = await failure(ctx.ipvs.addService(SVC, { scheduler: 'twos' }));
    expect(err.code).toBe('ENOENT');
    err = await failure(ctx.ipvs.addService(SVC, { scheduler: 'rr', persistence: 60, persistenceEngine: 'nope' }));
    expect(err.message).toMatch(/persistence engine 'nope'/);
    expect(await ctx.ipvs.listServices()).toEqual([]);
  });

  it('EINVAL: an IPv4 destination while lo is down', async () => {
    const down = new TestNamespace('lodown', { loUp: false });
    const client = await down.open();
    try {
      await client.addService(SVC, { scheduler: 'rr' });
      const err = await failure(client.addDestination(SVC, DEST, { forwarding: 'masq' }));
      expect(err).toMatchObject({ code: 'EINVAL', errno: 22, operation: 'addDestination' });
    } finally {
      client.close();
      down.delete();
    }
  });

  it('EINVAL and ERANGE from the kernel when validation is bypassed (raw native requests)', async () => {
    const client = new (native().Client)();
    await client.open(`/run/netns/${ctx.ns.name}`, 5000);
    try {
      const v6 = { family: 10, protocol: 6, address: '2001:db8::1', port: 80, fwmark: 0, scheduler: 'rr', flags: 1, timeout: 60, netmask: 200 };
      const v4 = { family: 2, protocol: 6, address: '192.0.2.1', port: 80, fwmark: 0, scheduler: 'rr', netmask: 0xffffffff };
      const status = await client.execute([
        { cmd: CMD.NEW_SERVICE, service: v6 }, // IPv6 netmask outside 1..128
        { cmd: CMD.NEW_SERVICE, service: v4 },
        // Lower threshold above upper
        { cmd: CMD.NEW_DEST, service: v4, destination: { family: 2, address: '198.51.100.1', port: 80, forwarding: 0, weight: 1, upperThreshold: 1, lowerThreshold: 5 } },
        // GUE without a port
        { cmd: CMD.NEW_DEST, service: v4, destination: { family: 2, address: '198.51.100.2', port: 80, forwarding: 2, weight: 1, tunnelType: 1, tunnelPort: 0 } },
        // Another family without the tunnel method
        { cmd: CMD.NEW_DEST, service: v4, destination: { family: 10, address: '2001:db8::5', port: 80, forwarding: 0, weight: 1 } },
      ], 5000);
      expect(Array.from(status)).toEqual([22, 0, 34, 22, 22]);
    } finally {
      client.close();
    }
  });

  it('EPERM without CAP_NET_ADMIN', async () => {
    const script = `
      const { Ipvs } = require(${JSON.stringify(require.resolve('../../dist'))});
      Ipvs.open({ netns: ${JSON.stringify(ctx.ns.name)} })
        .then((c) => c.listServices().finally(() => c.close()))
        .then(() => console.log('NO ERROR'), (e) => console.log(JSON.stringify({ code: e.code, errno: e.errno, message: e.message })));
    `;
    const r = await spawnAsync('setpriv', ['--inh-caps=-net_admin', '--bounding-set=-net_admin', process.execPath, '-e', script]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim());
    expect(out).toMatchObject({ code: 'EPERM', errno: 1 });
    expect(out.message).toMatch(/CAP_NET_ADMIN/);
  });

  it('sync daemons: ENODEV, EEXIST, ESRCH', async () => {
    let err = await failure(ctx.ipvs.startDaemon({ state: 'master', interface: 'nosuch0' }));
    expect(err).toMatchObject({ code: 'ENODEV', operation: 'startDaemon' });
    expect(err.message).toMatch(/interface 'nosuch0' does not exist/);
    err = await failure(ctx.ipvs.stopDaemon('backup'));
    expect(err).toMatchObject({ code: 'ESRCH', operation: 'stopDaemon', message: 'backup sync daemon is not running' });
    ctx.ns.exec('ip', 'link', 'add', 'sync0', 'type', 'dummy');
    ctx.ns.exec('ip', 'link', 'set', 'sync0', 'up', 'multicast', 'on');
    ctx.ns.exec('ip', 'addr', 'add', '192.0.2.77/24', 'dev', 'sync0');
    await ctx.ipvs.startDaemon({ state: 'master', interface: 'sync0' });
    try {
      err = await failure(ctx.ipvs.startDaemon({ state: 'master', interface: 'sync0' }));
      expect(err).toMatchObject({ code: 'EEXIST', message: 'master sync daemon is already running' });
    } finally {
      await settleDaemon();
      await ctx.ipvs.stopDaemon('master');
    }
  });
});

describe('opening', () => {
  it('ENOENT for a namespace that does not exist', async () => {
    const err = await failure(Ipvs.open({ netns: 'no-such-ns' }));
    expect(err).toMatchObject({ code: 'ENOENT', operation: 'open' });
    expect(err.message).toBe('network namespace /run/netns/no-such-ns does not exist');
  });

  it('EINVAL for a file that is not a network namespace', async () => {
    for (const path of ['/etc/hostname', '/proc/self/ns/uts']) {
      const err = await failure(Ipvs.open({ netns: path }));
      expect(err).toMatchObject({ code: 'EINVAL', operation: 'open' });
      expect(err.message).toBe(`${path} is not a network namespace`);
    }
  });
});

describe('refused before the kernel (issue 8, item 8)', () => {
  it('schedulers "." and ".." and a module name with a dot never reach request_module()', async () => {
    for (const [options, field] of [
      [{ scheduler: '..' }, 'options.scheduler'],
      [{ scheduler: '.' }, 'options.scheduler'],
      [{ scheduler: 'rr', persistence: 60, persistenceEngine: '..' }, 'options.persistenceEngine'],
    ] as const) {
      const err = await ctx.ipvs.addService(SVC, options).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IpvsValidationError);
      expect((err as IpvsValidationError).field).toBe(field);
    }
    expect(await ctx.ipvs.listServices()).toEqual([]);
  });
});

describe('a deadline counts the wait in the client\'s queue (issue 8, item 10)', () => {
  it('getService({ timeout: 30 }) queued behind a 5000-operation batch rejects at its deadline, unsent; the client goes on', async () => {
    const ops: BatchOperation[] = [];
    for (let i = 0; i < 5000; i++) ops.push({ op: 'addService', service: { ...SVC, port: 1000 + i }, options: { scheduler: 'rr' } });
    await ctx.ipvs.addService(SVC, { scheduler: 'rr' });
    const t0 = performance.now();
    let batchDone = 0;
    const batch = ctx.ipvs.batch(ops).then((r) => { batchDone = performance.now() - t0; return r; });
    const err = await failure(ctx.ipvs.getService(SVC, { timeout: 30 }));
    const failedAt = performance.now() - t0;
    expect(err).toMatchObject({ code: 'ETIMEDOUT', operation: 'getService', object: 'service tcp 192.0.2.1:80' });
    expect(err.message).toMatch(/was not sent: its deadline of 30 ms passed while it waited behind other calls/);
    const results = await batch;
    expect(results.every((r) => r.ok)).toBe(true);
    // It rejected at its deadline, not once the batch ahead of it was done.
    expect(failedAt).toBeGreaterThanOrEqual(29);
    expect(failedAt).toBeLessThan(batchDone);
    expect((await ctx.ipvs.getService(SVC)).config.scheduler).toBe('rr');
  });
});
