/**
 * The connection table with connections held open: a client in the director's namespace
 * keeps TCP connections through an IPv4 service, an IPv6 service and a persistent service
 * (NAT to a real server in a second namespace). listConnections() must report each one
 * exactly; `node-ipvs list -c` must print what `ipvsadm -Lnc` prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { spawnAsync } from '../helpers/child';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ipvs, type ConnectionEntry } from '../../lib';
import { TestNamespace, requireIpvs, settleDaemon } from '../helpers/kernel';

const CLI = require.resolve('../../dist/cli/main.js');

let director: TestNamespace;
let real: TestNamespace;
let ipvs: Ipvs;
let server: ChildProcess;
let holder: ChildProcess;
/** The client ports of the held connections, by service. */
let held: { v4: number[]; v6: number[]; persistent: number[] };
let tmp: string;
let backup: TestNamespace | undefined;
let talker: ChildProcess | undefined;

const V4 = { protocol: 'tcp', address: '192.0.2.100', port: 80 } as const;
const V6 = { protocol: 'tcp', address: '2001:db8:1::100', port: 80 } as const;
const PERSISTENT = { protocol: 'tcp', address: '192.0.2.100', port: 81 } as const;
const RIP4 = { address: '198.51.100.2', port: 8080 };
const RIP6 = { address: '2001:db8:2::2', port: 8080 };

function cli(...args: string[]) {
  return spawnAsync(process.execPath, [CLI, ...args]);
}

/** Opens connections from the director's namespace and keeps them until its stdin closes. */
function holdConnections(): Promise<typeof held> {
  holder = spawn('ip', ['netns', 'exec', director.name, process.execPath, '-e', `
    const net = require('net');
    const open = (host, port) => new Promise((resolve, reject) => {
      const s = net.connect(port, host);
      s.once('data', () => resolve(s.localPort));
      s.on('error', reject);
    });
    (async () => {
      const out = { v4: [], v6: [], persistent: [] };
      for (let i = 0; i < 3; i++) out.v4.push(await open('192.0.2.100', 80));
      for (let i = 0; i < 2; i++) out.v6.push(await open('2001:db8:1::100', 80));
      out.persistent.push(await open('192.0.2.100', 81));
      process.stdout.write(JSON.stringify(out) + '\\n');
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));
    })().catch((e) => { console.error(e.message); process.exit(1); });`], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    holder.stdout!.once('data', (d) => resolve(JSON.parse(String(d))));
    holder.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
  });
}

beforeAll(async () => {
  await requireIpvs();
  tmp = mkdtempSync(join(tmpdir(), 'conn-'));
  director = new TestNamespace('cdir');
  real = new TestNamespace('crs');
  director.exec('ip', 'link', 'add', 'to-rs', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', real.name);
  director.exec('ip', 'addr', 'add', '198.51.100.1/24', 'dev', 'to-rs');
  director.exec('ip', '-6', 'addr', 'add', '2001:db8:2::1/64', 'dev', 'to-rs', 'nodad');
  director.exec('ip', 'link', 'set', 'to-rs', 'up');
  director.exec('ip', 'addr', 'add', '192.0.2.100/32', 'dev', 'lo');
  director.exec('ip', '-6', 'addr', 'add', '2001:db8:1::100/128', 'dev', 'lo', 'nodad');
  real.exec('ip', 'addr', 'add', '198.51.100.2/24', 'dev', 'eth0');
  real.exec('ip', '-6', 'addr', 'add', '2001:db8:2::2/64', 'dev', 'eth0', 'nodad');
  real.exec('ip', 'link', 'set', 'eth0', 'up');
  real.exec('ip', 'route', 'add', 'default', 'via', '198.51.100.1');
  real.exec('ip', '-6', 'route', 'add', 'default', 'via', '2001:db8:2::1');
  // Answers and keeps every connection open.
  server = spawn('ip', ['netns', 'exec', real.name, process.execPath, '-e', `
    const keep = [];
    require('net').createServer((s) => { keep.push(s); s.write('hi'); }).listen(8080, '::', () => console.log('ready'));`]);
  await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
  ipvs = await director.open();
  await ipvs.addService(V4, { scheduler: 'rr' });
  await ipvs.addDestination(V4, RIP4, { forwarding: 'masq' });
  await ipvs.addService(V6, { scheduler: 'rr' });
  await ipvs.addDestination(V6, RIP6, { forwarding: 'masq' });
  await ipvs.addService(PERSISTENT, { scheduler: 'rr', persistence: 300 });
  await ipvs.addDestination(PERSISTENT, RIP4, { forwarding: 'masq' });
  held = await holdConnections();
}, 60_000);

afterAll(() => {
  talker?.kill();
  backup?.delete();
  holder?.stdin?.end();
  holder?.kill();
  server?.kill();
  ipvs?.close();
  director?.delete();
  real?.delete();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const byClientPort = (entries: ConnectionEntry[], port: number) => entries.filter((e) => e.client.port === port);

describe('listConnections()', () => {
  it('reports every held connection with its addresses, ports, state and expiry, IPv4 and IPv6', async () => {
    const entries = await ipvs.listConnections();
    for (const port of held.v4) {
      expect(byClientPort(entries, port)).toEqual([{
        protocol: 'tcp', family: 'ipv4', client: { address: '192.0.2.100', port }, virtual: { address: '192.0.2.100', port: 80 },
        destination: RIP4, state: 'ESTABLISHED', expires: expect.any(Number), persistenceEngine: null,
      }]);
    }
    for (const port of held.v6) {
      expect(byClientPort(entries, port)).toEqual([{
        protocol: 'tcp', family: 'ipv6', client: { address: '2001:db8:1::100', port }, virtual: { address: '2001:db8:1::100', port: 80 },
        destination: RIP6, state: 'ESTABLISHED', expires: expect.any(Number), persistenceEngine: null,
      }]);
    }
    expect(byClientPort(entries, held.persistent[0])).toMatchObject([{ virtual: { port: 81 }, destination: RIP4, state: 'ESTABLISHED' }]);
    // The persistence template: client port 0, ASSURED once a connection used it, the service's timeout.
    const templates = entries.filter((e) => e.client.port === 0);
    expect(templates).toEqual([{
      protocol: 'tcp', family: 'ipv4', client: { address: '192.0.2.100', port: 0 }, virtual: { address: '192.0.2.100', port: 81 },
      destination: RIP4, state: 'ASSURED', expires: expect.any(Number), persistenceEngine: null,
    }]);
    expect(templates[0].expires).toBeLessThanOrEqual(300);
    for (const e of entries.filter((x) => x.state === 'ESTABLISHED')) {
      expect(e.expires).toBeGreaterThan(800); // tcp timeout 900 s
      expect(e.expires).toBeLessThanOrEqual(900);
    }
    expect(entries).toHaveLength(3 + 2 + 1 + 1);
  });

  it("is the client's namespace's table: this process's own namespace holds none of them", async () => {
    const own = await Ipvs.open();
    try {
      const ports = new Set([...held.v4, ...held.v6, ...held.persistent]);
      expect((await own.listConnections()).filter((e) => ports.has(e.client.port) && e.virtual.address === '192.0.2.100')).toEqual([]);
    } finally {
      own.close();
    }
  });

  it('with { origin: true }, every entry says it was made here', async () => {
    const entries = await ipvs.listConnections({ origin: true });
    expect(entries).toHaveLength(7);
    expect(new Set(entries.map((e) => e.origin))).toEqual(new Set(['local']));
    const plain = await ipvs.listConnections();
    const key = (e: ConnectionEntry) => `${e.client.address} ${e.client.port} ${e.virtual.port}`;
    expect(entries.map(key).sort()).toEqual(plain.map(key).sort());
  });

  it('refuses bad options, and rejects with ECANCELED once the client is closed', async () => {
    await expect(ipvs.listConnections({ origin: 1 } as never)).rejects.toMatchObject({ name: 'IpvsValidationError', field: 'options.origin' });
    await expect(ipvs.listConnections(JSON.parse('{"constructor": 1}'))).rejects.toMatchObject({ name: 'IpvsValidationError' });
    const closed = await director.open();
    closed.close();
    await expect(closed.listConnections()).rejects.toMatchObject({ code: 'ECANCELED', operation: 'listConnections' });
  });
});

describe('node-ipvs list -c', () => {
  /** The expiry column, mm:ss, at characters 4..8: the one thing that moves between two reads. */
  const masked = (text: string) => text.split('\n').map((l) => (/^[A-Z]+ +\d+:\d\d /.test(l) ? `${l.slice(0, 4)}XX:XX${l.slice(9)}` : l));
  const seconds = (line: string) => { const [m, s] = line.slice(4, 10).trim().split(':').map(Number); return m * 60 + s; };

  it("prints what ipvsadm -Lnc prints, byte for byte, from the same /proc/net/ip_vs_conn", () => {
    // Both tools read the same snapshot of the kernel's file: a private /proc in a mount
    // namespace holds it (at /proc/net for ipvsadm, /proc/thread-self/net for the addon).
    const snap = join(tmp, 'ip_vs_conn');
    writeFileSync(snap, director.exec('cat', '/proc/net/ip_vs_conn'));
    expect(readFileSync(snap, 'utf8').split('\n')).toHaveLength(1 + 7 + 1);
    const script = `mount -t tmpfs snapshot /proc && mkdir -p /proc/net /proc/thread-self/net &&
      cp ${snap} /proc/net/ip_vs_conn && cp ${snap} /proc/thread-self/net/ip_vs_conn &&
      ipvsadm -Lnc > ${tmp}/theirs && ${process.execPath} ${CLI} list -c > ${tmp}/mine &&
      ipvsadm -Lnc --persistent-conn > ${tmp}/theirs-pc && ${process.execPath} ${CLI} list -n -c --persistent-conn > ${tmp}/mine-pc`;
    director.exec('unshare', '-m', 'sh', '-c', script);
    const theirs = readFileSync(join(tmp, 'theirs'), 'utf8');
    expect(theirs).toMatch(/^IPVS connection entries\npro expire state/);
    expect(theirs).toContain('[2001:db8:1::100]:');
    expect(readFileSync(join(tmp, 'mine'), 'utf8')).toBe(theirs);
    expect(readFileSync(join(tmp, 'mine-pc'), 'utf8')).toBe(readFileSync(join(tmp, 'theirs-pc'), 'utf8'));
  });

  it('live, in another namespace: the same lines as ipvsadm -Lnc read just before, expiries no later', async () => {
    const theirs = director.ipvsadm('-Lnc');
    const mine = await cli('list', '-c', '--netns', director.name);
    expect(mine.stderr).toBe('');
    expect(mine.status).toBe(0);
    expect(masked(mine.stdout)).toEqual(masked(theirs));
    const t = theirs.split('\n').slice(2, -1);
    const m = mine.stdout.split('\n').slice(2, -1);
    expect(m).toHaveLength(7);
    m.forEach((line, i) => {
      expect(seconds(line)).toBeLessThanOrEqual(seconds(t[i]));
      expect(seconds(line)).toBeGreaterThanOrEqual(seconds(t[i]) - 5);
    });
  });

  it('--json prints the entries listConnections() returns', async () => {
    const r = await cli('list', '-c', '--json', '--netns', director.name);
    expect(r.status).toBe(0);
    const printed = JSON.parse(r.stdout) as ConnectionEntry[];
    const strip = (e: ConnectionEntry) => ({ ...e, expires: 0 });
    expect(printed.map(strip)).toEqual((await ipvs.listConnections()).map(strip));
  });
});

describe('origins from a sync daemon', () => {
  it("a backup director's entries received from the master say 'sync', the master's say 'local'", async () => {
    // A backup director on a second link; the master syncs connections that see traffic after it starts.
    backup = new TestNamespace('cbk');
    director.exec('ip', 'link', 'add', 'to-bk', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', backup.name);
    director.exec('ip', 'addr', 'add', '203.0.113.1/24', 'dev', 'to-bk');
    director.exec('ip', 'link', 'set', 'to-bk', 'up');
    backup.exec('ip', 'addr', 'add', '203.0.113.2/24', 'dev', 'eth0');
    backup.exec('ip', 'link', 'set', 'eth0', 'up');
    const standby = await backup.open();
    try {
      await standby.startDaemon({ state: 'backup', interface: 'eth0' });
      await ipvs.startDaemon({ state: 'master', interface: 'to-bk' });
      await settleDaemon();
      // A connection that keeps talking: the master syncs a connection once it has seen a few packets.
      talker = spawn('ip', ['netns', 'exec', director.name, process.execPath, '-e', `
        const s = require('net').connect(80, '192.0.2.100', () => {
          console.log(s.localPort);
          setInterval(() => s.write('tick'), 100);
        });`]);
      const port = await new Promise<number>((resolve) => talker!.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
      let received: ConnectionEntry[] = [];
      for (let i = 0; i < 40 && received.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 250));
        received = (await standby.listConnections({ origin: true })).filter((e) => e.client.port === port);
      }
      expect(received).toMatchObject([{
        origin: 'sync', protocol: 'tcp', client: { address: '192.0.2.100', port }, virtual: { address: '192.0.2.100', port: 80 },
        destination: RIP4,
      }]);
      const here = (await ipvs.listConnections({ origin: true })).filter((e) => e.client.port === port);
      expect(here).toMatchObject([{ origin: 'local' }]);
    } finally {
      standby.close();
    }
  }, 60_000);
});
