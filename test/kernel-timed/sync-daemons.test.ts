/**
 * The connection sync daemons between two directors (issue 11: connection state): director A
 * forwards a held TCP connection (NAT), director B holds the same service without forwarding. With
 * SyncDaemons on both, B's connection table gets the connection as a 'sync' entry (what lets B take
 * over without breaking it), in both modes: 'both' (each runs master + backup) and 'follow'.
 * Topology: one bridge (in namespace sw) joining A, B, the client C and the real server R.
 *
 * In the timed suite (alone in its sandbox): beside a CPU-bound file (native-memory's valgrind) the
 * second mode's client got no answer to its SYNs for 20 s in 2 of 4 runs, A's connection table empty
 * and the echo server up, i.e. A's IPVS never saw them. Not explained yet; a failure here prints A's
 * connections, C's neighbours, A's link counters and daemons.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ipvs } from '../../lib';
import { director } from '../../lib/host';
import { SyncDaemons } from '../../lib/sync/daemons';
import type { ConnectionEntry } from '../../lib/types';
import { TestNamespace, requireIpvs, settleDaemon } from './../helpers/kernel';

const VIP = '203.0.113.10';
const RULES = `-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r 192.0.2.21:8080 -m -w 1\n`;

let sw: TestNamespace;
let a: TestNamespace;
let b: TestNamespace;
let c: TestNamespace;
let r: TestNamespace;
let ipvsA: Ipvs;
let ipvsB: Ipvs;
const children: ChildProcess[] = [];
let server: ChildProcess;

function plug(ns: TestNamespace, port: string, addresses: string[]): void {
  sw.exec('ip', 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name);
  sw.exec('ip', 'link', 'set', port, 'master', 'br0', 'up');
  for (const address of addresses) ns.exec('ip', 'addr', 'add', address, 'dev', 'eth0');
  ns.exec('ip', 'link', 'set', 'eth0', 'up');
}

/** A node one-liner inside a namespace, killed after the file. */
function node(ns: TestNamespace, script: string): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return child;
}

const lineFrom = (child: ChildProcess) => new Promise<string>((resolve, reject) => {
  child.stdout!.once('data', (d: Buffer) => resolve(String(d).trim()));
  child.once('exit', (code) => reject(new Error(`exited ${code}`)));
});

beforeAll(async () => {
  await requireIpvs();
  sw = new TestNamespace('sw');
  sw.exec('ip', 'link', 'add', 'br0', 'type', 'bridge');
  sw.exec('ip', 'link', 'set', 'br0', 'up');
  [a, b, c, r] = ['syncA', 'syncB', 'syncC', 'syncR'].map((p) => new TestNamespace(p));
  plug(a, 'pa', ['192.0.2.1/24', '198.51.100.1/24']);
  plug(b, 'pb', ['192.0.2.2/24', '198.51.100.2/24']);
  plug(c, 'pc', ['198.51.100.50/24']);
  plug(r, 'pr', ['192.0.2.21/24']);
  c.exec('ip', 'route', 'add', `${VIP}/32`, 'via', '198.51.100.1');
  r.exec('ip', 'route', 'add', 'default', 'via', '192.0.2.1');
  for (const d of [a, b]) {
    d.exec('ip', 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
    await director.apply({ netns: d.name, noRedirects: ['eth0'] });
    d.restore(RULES);
  }
  ipvsA = await a.open();
  ipvsB = await b.open();
  // An echo server on R; it answers each chunk with the same bytes.
  // A client killed with data in flight resets its connection: the server drops that socket, not itself.
  server = node(r, `require('net').createServer((s) => { s.on('error', () => s.destroy()); s.pipe(s); }).listen(8080, () => console.log('up'))`);
  expect(await lineFrom(server)).toBe('up');
});

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  ipvsA?.close();
  ipvsB?.close();
  for (const ns of [a, b, c, r, sw]) ns?.delete();
});

/** A client connection through A's VIP that sends a chunk every 50 ms and checks each echo. */
async function heldConnection(): Promise<{ port: number; stop: () => void }> {
  const client = node(c, `
    const giveUp = setTimeout(() => { console.error('no connection in 20 s'); process.exit(2); }, 20000);
    const s = require('net').connect(80, '${VIP}', () => {
      clearTimeout(giveUp);
      console.log(s.localPort);
      let n = 0;
      setInterval(() => s.write('ping ' + n++ + '\\n'), 50);
    });
    s.on('error', (e) => { console.error(e.message); process.exit(1); });`);
  let port: number;
  try {
    port = Number(await lineFrom(client));
  } catch (err) {
    // What the next person needs to see: A's connection table and whether the echo server still runs.
    throw new Error(`the held connection through A: ${(err as Error).message}; echo server ${server.exitCode === null ? 'running' : `exited ${server.exitCode}`}; ` +
      `A's connections:\n${a.exec('ipvsadm', '-Lnc')}\nC's neighbours: ${c.exec('ip', 'neigh')}\nA: ${a.exec('ip', '-s', 'link', 'show', 'eth0')}\nA's daemons: ${a.exec('ipvsadm', '-L', '--daemon')}\nR's route to C: ${r.exec('ip', 'route', 'get', '198.51.100.50')}`);
  }
  return { port, stop: () => client.kill('SIGKILL') };
}

/** Polls B's table until the client's connection is there (sync sends it after its 3rd packet). */
async function syncedOnB(port: number, withinMs: number): Promise<ConnectionEntry | undefined> {
  const until = Date.now() + withinMs;
  for (;;) {
    const entry = (await ipvsB.listConnections({ origin: true })).find((e) => e.client.port === port);
    if (entry || Date.now() > until) return entry;
    await new Promise((res) => setTimeout(res, 200));
  }
}

describe.each(['both', 'follow'] as const)('sync daemons, mode %s', (mode) => {
  it("B's table gets A's held connection as a 'sync' entry with A's real server", async () => {
    const syncA = new SyncDaemons(ipvsA, { interface: 'eth0', syncId: 9, mode });
    const syncB = new SyncDaemons(ipvsB, { interface: 'eth0', syncId: 9, mode });
    await syncA.follow('master');
    await syncB.follow('backup');
    expect(syncA.running).toEqual(mode === 'both' ? ['backup', 'master'] : ['master']);
    expect(syncB.running).toEqual(mode === 'both' ? ['backup', 'master'] : ['backup']);
    const held = await heldConnection();
    try {
      const onB = await syncedOnB(held.port, 10_000);
      const onA = (await ipvsA.listConnections({ origin: true })).find((e) => e.client.port === held.port);
      expect(onA).toMatchObject({ origin: 'local', state: 'ESTABLISHED', destination: { address: '192.0.2.21', port: 8080 } });
      expect(onB).toMatchObject({
        origin: 'sync', protocol: 'tcp', state: 'ESTABLISHED',
        client: { address: '198.51.100.50', port: held.port }, virtual: { address: VIP, port: 80 },
        destination: { address: '192.0.2.21', port: 8080 },
      });
    } finally {
      held.stop();
      await settleDaemon(); // a master daemon stopped moments after it started can hang the 6.1 kernel
      await syncA.stop();
      await syncB.stop();
    }
    expect(await ipvsA.listDaemons()).toEqual([]);
    expect(await ipvsB.listDaemons()).toEqual([]);
  });
});

it('A sent no ICMP redirect (each would have sent R around it)', () => {
  const snmp = a.exec('cat', '/proc/net/snmp').split('\n').filter((l) => l.startsWith('Icmp:'));
  const [names, values] = snmp.map((l) => l.split(/\s+/));
  expect(Number(values[names.indexOf('OutRedirects')])).toBe(0);
});
