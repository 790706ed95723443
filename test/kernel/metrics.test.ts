/**
 * The metrics against the kernel, with real traffic: a client in the director's namespace connects
 * to a NAT service with two real servers in a second namespace (as test/kernel/stats.test.ts does),
 * and every per-service and per-server value of a scrape is compared with ipvsadm's
 * (-Ln, --stats --exact, --rate --exact), the global ones with /proc/net/ip_vs_stats read by cat
 * in the namespace. The CLI and the HTTP server give the same.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, type Ipvs, type IpvsMetrics } from '../../lib';
import { spawnAsync } from '../helpers/child';
import { TestNamespace, natPair, requireIpvs } from '../helpers/kernel';
import { parseSamples, seriesOf, valueOf, type Sample } from '../helpers/prom-text';

const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const REQUESTS = 6;

let director: TestNamespace;
let real: TestNamespace;
let ipvs: Ipvs;
let metrics: IpvsMetrics;
let servers: ChildProcess[] = [];

const VIP = { protocol: 'tcp', address: '192.0.2.100', port: 80 } as const;
const RIPS = [{ address: '198.51.100.2', port: 8080 }, { address: '198.51.100.3', port: 8080 }];

async function request(): Promise<string> {
  const r = await spawnAsync('ip', ['netns', 'exec', director.name, process.execPath, '-e', `
    const s = require('net').connect(80, '192.0.2.100', () => s.end('ping'));
    let data = ''; s.on('data', (d) => data += d); s.on('end', () => process.stdout.write(data));
    s.on('error', (e) => { console.error(e.message); process.exit(1); });`], { timeout: 20_000 });
  if (r.status !== 0) throw new Error(`client exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the oracles: ipvsadm's listings and the global stats file, keyed as the metrics label them ----

interface Row { service: string; destination?: string; values: string[] }

/** `TCP  192.0.2.100:80 ...` -> `tcp 192.0.2.100:80`; `FWM  7 ...` -> `fwmark 7`; `  -> 198.51.100.2:8080 ...` a destination of it. */
function ipvsadmRows(text: string): Row[] {
  const rows: Row[] = [];
  let service = '';
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (/^(TCP|UDP|SCTP)$/.test(words[0])) {
      service = `${words[0].toLowerCase()} ${words[1]}`;
      rows.push({ service, values: words.slice(2) });
    } else if (words[0] === 'FWM') {
      service = `fwmark ${words[1]}`;
      rows.push({ service, values: words.slice(2) });
    } else if (words[0] === '->' && words[1] !== 'RemoteAddress:Port') {
      rows.push({ service, destination: words[1], values: words.slice(2) });
    }
  }
  return rows;
}

interface Oracle {
  stats: Row[];
  rates: Row[];
  plain: Row[];
  global: bigint[];
  /** All of it as text: two readings agree when these are equal. */
  text: string;
}

/** Every listing in one child, so that a reading is short next to the rate estimator's 2 s tick. */
async function oracle(): Promise<Oracle> {
  const r = await spawnAsync('ip', ['netns', 'exec', director.name, 'sh', '-c',
    'ipvsadm -L -n --stats --exact && echo === && ipvsadm -L -n --rate --exact && echo === && ipvsadm -L -n && echo === && cat /proc/net/ip_vs_stats'],
  { timeout: 20_000 });
  if (r.status !== 0) throw new Error(`oracle failed (${r.status}): ${r.stderr}`);
  const [stats, rates, plain, file] = r.stdout.split('===\n');
  const global = file.split('\n').filter((l) => /^\s*[0-9A-F]+(\s+[0-9A-F]+){4}\s*$/.test(l))
    .flatMap((l) => l.trim().split(/\s+/).map((h) => BigInt(`0x${h}`)));
  return { stats: ipvsadmRows(stats), rates: ipvsadmRows(rates), plain: ipvsadmRows(plain), global, text: r.stdout };
}

/**
 * A scrape between two oracle readings that agree: the kernel's rate estimator ticks every 2 s, and
 * a comparison across a tick would compare two different moments.
 */
async function scrapeAgreeing(m: IpvsMetrics): Promise<{ o: Oracle; s: Sample[] }> {
  for (let attempts = 1; attempts <= 20; attempts++) {
    const before = await oracle();
    const text = await m.scrape();
    const after = await oracle();
    if (before.text === after.text) return { o: before, s: parseSamples(text) };
  }
  throw new Error('the kernel changed during every one of 20 scrapes');
}

/** Waits until the kernel's counters show every request (it folds per-CPU counters every 2 s) and stay put. */
async function settle(): Promise<void> {
  let last = '';
  for (let i = 0; i < 15; i++) {
    const entry = (await ipvs.getTable()).find((e) => 'address' in e.key && e.key.address === VIP.address)!;
    const now = `${entry.stats.conns}/${entry.stats.inPackets}/${entry.stats.outPackets}/${entry.stats.inBytes}`;
    if (entry.stats.conns === BigInt(REQUESTS) && now === last) return;
    last = now;
    await sleep(2100);
  }
  throw new Error(`counters did not settle at ${REQUESTS} connections: ${last}`);
}

beforeAll(async () => {
  await requireIpvs();
  ({ director, real } = natPair('m', '192.0.2.100', RIPS.map((rip) => rip.address)));
  servers = RIPS.map((rip) => spawn('ip', ['netns', 'exec', real.name, process.execPath, '-e', `
    require('net').createServer((s) => { s.on('data', () => {}); s.end('pong from ${rip.address}'); })
      .listen(${rip.port}, '${rip.address}', () => console.log('ready'));`]));
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.stdout!.once('data', () => resolve()))));
  ipvs = await director.open();
  // The traffic's service, and services of other kinds for their labels: IPv6 UDP, SCTP, firewall mark.
  director.restore([
    '-A -t 192.0.2.100:80 -s rr',
    ...RIPS.map((r, i) => `-a -t 192.0.2.100:80 -r ${r.address}:${r.port} -m -w ${i + 2}`),
    '-A -u [2001:db8::10]:53 -s wlc', '-a -u [2001:db8::10]:53 -r [2001:db8::11]:53 -m -w 7',
    '-A -f 268439552 -s rr', '-a -f 268439552 -r 198.51.100.9:3306 -g -w 100',
    '-A --sctp-service 192.0.2.101:9 -s rr',
    '',
  ].join('\n'));
  metrics = createMetrics({ ipvs });
  for (let i = 0; i < REQUESTS; i++) expect(await request()).toMatch(/^pong from /);
  await settle();
}, 120_000);

afterAll(() => {
  metrics?.close();
  for (const s of servers) s.kill();
  ipvs?.close();
  director?.delete();
  real?.delete();
});

const COUNTERS = ['connections_total', 'incoming_packets_total', 'outgoing_packets_total', 'incoming_bytes_total', 'outgoing_bytes_total'];
const RATES = ['connections_per_second', 'incoming_packets_per_second', 'outgoing_packets_per_second', 'incoming_bytes_per_second', 'outgoing_bytes_per_second'];

describe('metrics against ipvsadm and /proc/net/ip_vs_stats', () => {
  it('every service\'s and real server\'s counters and rates equal ipvsadm --stats/--rate --exact', async () => {
    const { o, s } = await scrapeAgreeing(metrics);
    expect(o.stats.filter((r) => !r.destination).map((r) => r.service).sort())
      .toEqual(['fwmark 268439552', 'sctp 192.0.2.101:9', 'tcp 192.0.2.100:80', 'udp [2001:db8::10]:53']);
    expect(o.stats.filter((r) => r.destination)).toHaveLength(4);
    for (const [rows, names] of [[o.stats, COUNTERS], [o.rates, RATES]] as const) {
      for (const row of rows) {
        const scope = row.destination ? 'destination' : 'service';
        const labels: Record<string, string> = row.destination ? { service: row.service, destination: row.destination } : { service: row.service };
        names.forEach((name, i) => expect(valueOf(s, `ipvs_${scope}_${name}`, labels), `${name} ${JSON.stringify(labels)}`).toBe(Number(row.values[i])));
      }
    }
    expect(seriesOf(s, 'ipvs_destination_connections_total')).toHaveLength(4);
    // The traffic is there: rr gave each real server half the connections.
    expect(valueOf(s, 'ipvs_service_connections_total', { service: 'tcp 192.0.2.100:80' })).toBe(REQUESTS);
    for (const rip of RIPS) {
      expect(valueOf(s, 'ipvs_destination_connections_total', { service: 'tcp 192.0.2.100:80', destination: `${rip.address}:${rip.port}` })).toBe(REQUESTS / 2);
    }
    expect(valueOf(s, 'ipvs_service_incoming_bytes_total', { service: 'tcp 192.0.2.100:80' })).toBeGreaterThan(0);
    // Seconds after the traffic the kernel's estimate has not decayed to nothing: nonzero rates were compared.
    expect(valueOf(s, 'ipvs_service_incoming_bytes_per_second', { service: 'tcp 192.0.2.100:80' })).toBeGreaterThan(0);
  });

  it('weights and active/inactive connections equal ipvsadm -Ln, under ipvs_ and node_exporter\'s names and labels', async () => {
    const { o, s } = await scrapeAgreeing(metrics);
    let inactive = 0;
    for (const row of o.plain.filter((r) => r.destination)) {
      const [, weight, active, inact] = row.values.map(Number);
      inactive += inact;
      const ours = { service: row.service, destination: row.destination! };
      expect(valueOf(s, 'ipvs_destination_weight', ours)).toBe(weight);
      expect(valueOf(s, 'ipvs_destination_connections_active', ours)).toBe(active);
      expect(valueOf(s, 'ipvs_destination_connections_inactive', ours)).toBe(inact);
      const [remote, remotePort] = /^\[?(.*?)\]?:(\d+)$/.exec(row.destination!)!.slice(1);
      const theirs = row.service.startsWith('fwmark')
        ? { local_address: '', local_port: '0', proto: 'FWM', local_mark: '10001000' }
        : (([proto, local]) => {
          const [address, port] = /^\[?(.*?)\]?:(\d+)$/.exec(local)!.slice(1);
          return { local_address: address, local_port: port, proto: proto.toUpperCase(), local_mark: '' };
        })(row.service.split(' '));
      const node = { ...theirs, remote_address: remote, remote_port: remotePort };
      expect(valueOf(s, 'node_ipvs_backend_weight', node), JSON.stringify(node)).toBe(weight);
      expect(valueOf(s, 'node_ipvs_backend_connections_active', node)).toBe(active);
      expect(valueOf(s, 'node_ipvs_backend_connections_inactive', node)).toBe(inact);
    }
    expect(seriesOf(s, 'node_ipvs_backend_weight')).toHaveLength(4);
    // The closed connections linger as inactive entries (TIME_WAIT): something real was compared.
    expect(inactive).toBeGreaterThan(0);
  });

  it('the global counters and rates equal /proc/net/ip_vs_stats of the namespace', async () => {
    const { o, s } = await scrapeAgreeing(metrics);
    const [conns, inPkts, outPkts, inBytes, outBytes, cps, inPps, outPps, inBps, outBps] = o.global.map(Number);
    expect(o.global).toHaveLength(10);
    expect(conns).toBe(REQUESTS);
    expect(valueOf(s, 'node_ipvs_connections_total')).toBe(conns);
    expect(valueOf(s, 'node_ipvs_incoming_packets_total')).toBe(inPkts);
    expect(valueOf(s, 'node_ipvs_outgoing_packets_total')).toBe(outPkts);
    expect(valueOf(s, 'node_ipvs_incoming_bytes_total')).toBe(inBytes);
    expect(valueOf(s, 'node_ipvs_outgoing_bytes_total')).toBe(outBytes);
    expect(valueOf(s, 'ipvs_connections_per_second')).toBe(cps);
    expect(valueOf(s, 'ipvs_incoming_packets_per_second')).toBe(inPps);
    expect(valueOf(s, 'ipvs_outgoing_packets_per_second')).toBe(outPps);
    expect(valueOf(s, 'ipvs_incoming_bytes_per_second')).toBe(inBps);
    expect(valueOf(s, 'ipvs_outgoing_bytes_per_second')).toBe(outBps);
    expect(inPkts).toBeGreaterThan(REQUESTS);
  });

  it('node-ipvs metrics --netns prints the same scrape; GET /metrics serves it', async () => {
    const r = await spawnAsync(process.execPath, [CLI, 'metrics', '--netns', director.name], { timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const cli = parseSamples(r.stdout);
    const srv = await metrics.serve({ host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`http://127.0.0.1:${srv.address.port}/metrics`);
      expect(res.status).toBe(200);
      const http = parseSamples(await res.text());
      // Weights do not move: all three agree with ipvsadm -Ln.
      const { o } = await scrapeAgreeing(metrics);
      for (const row of o.plain.filter((x) => x.destination)) {
        const labels = { service: row.service, destination: row.destination! };
        expect(valueOf(cli, 'ipvs_destination_weight', labels)).toBe(Number(row.values[1]));
        expect(valueOf(http, 'ipvs_destination_weight', labels)).toBe(Number(row.values[1]));
      }
      expect(valueOf(cli, 'ipvs_services')).toBe(4);
      expect(valueOf(http, 'ipvs_services')).toBe(4);
    } finally {
      await srv.close();
    }
  });

  it('a real server deleted with ipvsadm is gone from the next scrape (no stale series)', async () => {
    director.ipvsadm('-d', '-t', '192.0.2.100:80', '-r', '198.51.100.3:8080');
    director.ipvsadm('-D', '-u', '[2001:db8::10]:53');
    const { o, s } = await scrapeAgreeing(metrics);
    expect(o.plain.filter((r) => r.destination)).toHaveLength(2);
    for (const name of ['ipvs_destination_weight', 'ipvs_destination_connections_total', 'node_ipvs_backend_weight']) {
      expect(seriesOf(s, name), name).toHaveLength(2);
    }
    expect(seriesOf(s, 'ipvs_destination_weight').map((x) => x.labels.destination).sort()).toEqual(['198.51.100.2:8080', '198.51.100.9:3306']);
    expect(seriesOf(s, 'ipvs_service_connections_total').map((x) => x.labels.service)).not.toContain('udp [2001:db8::10]:53');
    expect(valueOf(s, 'ipvs_services')).toBe(3);
  });
});
