/**
 * Counters with real traffic: a client in the test's namespace connects to a
 * virtual service whose real server listens in a second namespace over a
 * veth pair (NAT). The 64-bit counters must equal ipvsadm's exact numbers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ipvs } from '../../lib';
import { TestNamespace, plain, requireIpvs } from '../helpers/kernel';

let director: TestNamespace;
let real: TestNamespace;
let ipvs: Ipvs;
let server: ChildProcess;

const VIP = { protocol: 'tcp', address: '192.0.2.100', port: 80 } as const;
const RIP = { address: '198.51.100.2', port: 8080 };

function request(): Promise<string> {
  return new Promise((resolve, reject) => {
    // Runs inside the director namespace through a helper: the test process stays where it is.
    const child = spawn('ip', ['netns', 'exec', director.name, process.execPath, '-e', `
      const s = require('net').connect(80, '192.0.2.100', () => s.end('ping'));
      let data = ''; s.on('data', (d) => data += d); s.on('end', () => process.stdout.write(data));
      s.on('error', (e) => { console.error(e.message); process.exit(1); });`]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`client exited ${code}`))));
  });
}

async function settle(): Promise<boolean> {
  let last = '';
  for (let i = 0; i < 10; i++) {
    const [svc] = await ipvs.listServices();
    const now = `${svc.stats.conns}/${svc.stats.inPackets}/${svc.stats.outPackets}`;
    if (svc.stats.conns === 5n && now === last) return true;
    last = now;
    await new Promise((r) => setTimeout(r, 2100));
  }
  return false;
}

beforeAll(async () => {
  await requireIpvs();
  director = new TestNamespace('dir');
  real = new TestNamespace('rs');
  // director (198.51.100.1) <-> real server (198.51.100.2); the VIP on the director's lo.
  director.exec('ip', 'link', 'add', 'to-rs', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', real.name);
  director.exec('ip', 'addr', 'add', '198.51.100.1/24', 'dev', 'to-rs');
  director.exec('ip', 'link', 'set', 'to-rs', 'up');
  director.exec('ip', 'addr', 'add', '192.0.2.100/32', 'dev', 'lo');
  real.exec('ip', 'addr', 'add', '198.51.100.2/24', 'dev', 'eth0');
  real.exec('ip', 'link', 'set', 'eth0', 'up');
  real.exec('ip', 'route', 'add', 'default', 'via', '198.51.100.1');
  server = spawn('ip', ['netns', 'exec', real.name, process.execPath, '-e', `
    require('net').createServer((s) => { s.on('error', () => {}); s.end('pong from real'); }).listen(8080, '198.51.100.2', () => console.log('ready'));`]);
  await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
  ipvs = await director.open();
  await ipvs.addService(VIP, { scheduler: 'rr' });
  await ipvs.addDestination(VIP, RIP, { forwarding: 'masq' });
});
afterAll(() => {
  server?.kill();
  ipvs?.close();
  director?.delete();
  real?.delete();
});

describe('stats with traffic', () => {
  it('counts connections, packets and bytes exactly as ipvsadm --stats --exact', async () => {
    for (let i = 0; i < 5; i++) expect(await request()).toBe('pong from real');
    // The kernel folds its per-CPU counters into what it reports every 2 s (the
    // rate estimator's tick): wait until the totals have settled.
    const settled = await settle();
    const [svc] = await ipvs.listServices();
    const [dest] = await ipvs.listDestinations(VIP);
    expect(settled).toBe(true);
    expect(svc.stats.conns).toBe(5n);
    expect(dest.stats.conns).toBe(5n);
    expect(svc.stats.inPackets).toBeGreaterThan(10n);
    expect(svc.stats.outBytes).toBeGreaterThan(0n);
    const exact = director.ipvsadm('-L', '-n', '--stats', '--exact').split('\n');
    const svcLine = exact.find((l) => l.startsWith('TCP'))!.trim().split(/\s+/);
    const destLine = exact.find((l) => l.includes('198.51.100.2:8080'))!.trim().split(/\s+/);
    const asStrings = (s: typeof svc.stats) => [s.conns, s.inPackets, s.outPackets, s.inBytes, s.outBytes].map(String);
    expect(svcLine.slice(2)).toEqual(asStrings(svc.stats));
    expect(destLine.slice(2)).toEqual(asStrings(dest.stats));
    // Connections just closed linger as inactive (TIME_WAIT) entries.
    expect(dest.connections.active + dest.connections.inactive).toBeGreaterThan(0);

    // The table, read in one native call, carries the same counters; the addon leaves them out for save().
    // Its rates are the estimator's of that moment: compared with listings taken just before and
    // just after it in the same 2 s tick (both equal), read again while a tick falls in between.
    let entry: Awaited<ReturnType<typeof ipvs.getTable>>[number] | undefined;
    let around: [typeof svc.stats, typeof dest.stats] | undefined;
    for (let i = 0; i < 10 && !around; i++) {
      const before = [(await ipvs.listServices())[0].stats, (await ipvs.listDestinations(VIP))[0].stats] as const;
      [entry] = await ipvs.getTable();
      const after = [(await ipvs.listServices())[0].stats, (await ipvs.listDestinations(VIP))[0].stats] as const;
      if (JSON.stringify(plain(before)) === JSON.stringify(plain(after))) around = [before[0], before[1]];
    }
    expect(around, 'no two listings within one estimator tick in 10 tries').toBeDefined();
    expect(entry!.stats).toEqual(around![0]);
    expect(entry!.destinations.map((d) => d.stats)).toEqual([around![1]]);
    expect(around![0].conns).toBe(svc.stats.conns);

    await ipvs.zero(VIP);
    const [zeroed] = await ipvs.listServices();
    expect(zeroed.stats.conns).toBe(0n);
    expect(zeroed.stats.inBytes).toBe(0n);
  });
});
