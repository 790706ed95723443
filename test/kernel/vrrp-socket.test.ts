/**
 * VRRPv3 on the wire, on a real kernel: two namespaces joined by a veth. Adverts cross it decoded
 * with the interface they came in on; packets a router must refuse (TTL 64, a bad checksum), written
 * by hand through an IP_HDRINCL socket, are counted and never delivered; keepalived (Debian's) and
 * the library understand each other both ways; a gratuitous ARP / unsolicited NA moves the peer's
 * neighbour entries to the announcing MAC.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../../lib/binding';
import { announceAddresses } from '../../lib/vrrp/announce';
import { VrrpSocket, VrrpSocketError } from '../../lib/vrrp/socket';
import type { Advert, VrrpDropReason } from '../../lib/vrrp/types';
import { TestNamespace } from '../helpers/kernel';
import { buildVrrpCheck, runChild } from '../helpers/native-check';

let a: TestNamespace;
let b: TestNamespace;
const open: VrrpSocket[] = [];

beforeAll(() => {
  a = new TestNamespace('vrrpa');
  b = new TestNamespace('vrrpb');
  a.exec('ip', 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b.name);
  for (const [ns, dev, v4, v6] of [[a, 'va', '192.0.2.1', '2001:db8::1'], [b, 'vb', '192.0.2.2', '2001:db8::2']] as const) {
    // No duplicate address detection: the link-local address must be usable as soon as the link is up.
    ns.exec('sysctl', '-qw', `net.ipv6.conf.${dev}.accept_dad=0`);
    ns.exec('ip', 'addr', 'add', `${v4}/24`, 'dev', dev);
    ns.exec('ip', 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad');
    ns.exec('ip', 'link', 'set', dev, 'up');
  }
});

afterAll(async () => {
  for (const s of open) await s.close();
  a?.delete();
  b?.delete();
});

async function socket(ns: TestNamespace, iface: string, family: 'inet' | 'inet6', extra: { peers?: string[] } = {}) {
  const s = await VrrpSocket.open({ netns: ns.name, interface: iface, family, ...extra });
  open.push(s);
  return s;
}

/** What a socket hears, in order. */
function record(s: VrrpSocket): { adverts: Advert[]; drops: VrrpDropReason[] } {
  const heard = { adverts: [] as Advert[], drops: [] as VrrpDropReason[] };
  s.onAdvert((adv) => heard.adverts.push(adv));
  s.onDrop((r) => heard.drops.push(r));
  return heard;
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('VRRP sockets across a veth', () => {
  it('an IPv4 advert sent in one namespace arrives decoded in the other, with its interface', async () => {
    const rx = await socket(b, 'vb', 'inet');
    const tx = await socket(a, 'va', 'inet');
    expect(tx.source).toBe('192.0.2.1');
    const heard = record(rx);
    await tx.send({ family: 'inet', vrid: 7, priority: 150, intervalCs: 100, addresses: ['192.0.2.100', '192.0.2.101'] });
    await until('the advert', () => heard.adverts.length > 0);
    expect(heard.adverts[0]).toEqual({
      family: 'inet', vrid: 7, priority: 150, intervalCs: 100, addresses: ['192.0.2.100', '192.0.2.101'], source: '192.0.2.1', interface: 'vb',
    });
    expect(heard.drops).toEqual([]);
    expect(tx.stats().sent).toBe(1);
    expect(rx.stats().received).toBe(1);
    // Not looped back to the sender (IP_MULTICAST_LOOP off).
    const own = record(tx);
    await tx.send({ family: 'inet', vrid: 7, priority: 150, intervalCs: 100, addresses: ['192.0.2.100'] });
    await until('the second advert', () => heard.adverts.length > 1);
    expect(own.adverts).toEqual([]);
    await rx.close();
    await tx.close();
  });

  it('drain() delivers an advert waiting in the socket before it returns, the event loop held; closed, it does nothing', async () => {
    const rx = await socket(b, 'vb', 'inet');
    const tx = await socket(a, 'va', 'inet');
    const heard = record(rx);
    await tx.send({ family: 'inet', vrid: 9, priority: 120, intervalCs: 10, addresses: ['192.0.2.100'] });
    // No await from here: only drain() can deliver (the loop's poll phase cannot run).
    const end = Date.now() + 5000;
    while (heard.adverts.length === 0 && Date.now() < end) rx.drain();
    expect(heard.adverts.map((x) => [x.vrid, x.priority, x.source])).toEqual([[9, 120, '192.0.2.1']]);
    expect(rx.stats().received).toBe(1);
    await rx.close();
    await tx.send({ family: 'inet', vrid: 9, priority: 120, intervalCs: 10, addresses: ['192.0.2.100'] });
    rx.drain();
    expect(heard.adverts).toHaveLength(1);
    await tx.close();
  });

  it('an IPv6 advert leaves from the link-local address and arrives decoded', async () => {
    const rx = await socket(b, 'vb', 'inet6');
    const tx = await socket(a, 'va', 'inet6');
    expect(tx.source).toMatch(/^fe80::/);
    const heard = record(rx);
    await tx.send({ family: 'inet6', vrid: 9, priority: 255, intervalCs: 4095, addresses: ['2001:db8::100'] });
    await until('the advert', () => heard.adverts.length > 0);
    expect(heard.adverts[0]).toEqual({
      family: 'inet6', vrid: 9, priority: 255, intervalCs: 4095, addresses: ['2001:db8::100'], source: tx.source, interface: 'vb',
    });
    await rx.close();
    await tx.close();
  });

  it('unicast peers: the advert goes to the peer (its checksum over the peer address) and decodes there', async () => {
    const rx = await socket(b, 'vb', 'inet', { peers: ['192.0.2.1'] });
    const tx = await socket(a, 'va', 'inet', { peers: ['192.0.2.2'] });
    const heard = record(rx);
    await tx.send({ family: 'inet', vrid: 3, priority: 10, intervalCs: 50, addresses: ['192.0.2.100'] });
    await until('the advert', () => heard.adverts.length > 0);
    expect(heard.adverts[0]).toMatchObject({ vrid: 3, priority: 10, intervalCs: 50, source: '192.0.2.1' });
    expect(heard.drops).toEqual([]);
    await rx.close();
    await tx.close();
  });

  it('TTL 64 and a bad checksum, written through IP_HDRINCL, are dropped and counted, never delivered', async () => {
    const rx = await socket(b, 'vb', 'inet');
    const heard = record(rx);
    const message = native().vrrpCodec.encode({ family: 'inet', vrid: 5, priority: 100, intervalCs: 100, addresses: ['192.0.2.100'] },
      '192.0.2.1', '224.0.0.18');
    const bad = Buffer.from(message);
    bad[6] ^= 0xff; // the checksum
    // Each packet: [ttl, hex of the VRRP message]; the kernel fills the IP checksum, id and length.
    const packets = [[64, message], [255, bad], [255, message]].map(([ttl, m]) => `(${ttl}, '${(m as Buffer).toString('hex')}')`);
    a.exec('python3', '-c', `
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'va')
for ttl, hexmsg in [${packets.join(', ')}]:
    m = bytes.fromhex(hexmsg)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0xc0, 20 + len(m), 0, 0, ttl, 112, 0, socket.inet_aton('192.0.2.1'), socket.inet_aton('224.0.0.18'))
    s.sendto(ip + m, ('224.0.0.18', 0))
`);
    await until('the good packet', () => heard.adverts.length > 0);
    expect(heard.drops).toEqual(['ttl', 'checksum']);
    expect(heard.adverts).toHaveLength(1);
    expect(heard.adverts[0]).toMatchObject({ vrid: 5, source: '192.0.2.1' });
    const stats = rx.stats();
    expect(stats.dropped).toMatchObject({ ttl: 1, checksum: 1, version: 0 });
    expect(stats.received).toBe(1);
    await rx.close();
  });

  it('refuses an unknown interface, an address-less one, and sends on a closed socket', async () => {
    await expect(socket(a, 'nosuch0', 'inet')).rejects.toMatchObject({ name: 'VrrpSocketError', code: 'ENODEV' });
    a.exec('ip', 'link', 'add', 'bare0', 'type', 'dummy');
    await expect(socket(a, 'bare0', 'inet')).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
    const s = await socket(a, 'va', 'inet');
    await s.close();
    const err = await s.send({ family: 'inet', vrid: 1, priority: 1, intervalCs: 1, addresses: ['192.0.2.9'] }).catch((e) => e);
    expect(err).toBeInstanceOf(VrrpSocketError);
    expect(err.code).toBe('EBADF');
  });
});

describe('gratuitous ARP and unsolicited neighbour advertisements', () => {
  it("move the peer's existing neighbour entries for the VIPs to the announcing MAC", async () => {
    const mac = a.exec('cat', '/sys/class/net/va/address').trim();
    // Entries that point elsewhere (the old master); locktime 0 so an update is taken at once.
    b.exec('sysctl', '-qw', 'net.ipv4.neigh.vb.locktime=0');
    b.exec('ip', 'neigh', 'replace', '192.0.2.100', 'lladdr', '02:00:00:00:00:99', 'dev', 'vb', 'nud', 'stale');
    b.exec('ip', 'neigh', 'replace', '2001:db8::100', 'lladdr', '02:00:00:00:00:99', 'dev', 'vb', 'nud', 'stale');
    const sent = await announceAddresses({ netns: a.name, interface: 'va', addresses: ['192.0.2.100', '2001:db8::100'] });
    expect(sent).toBe(2);
    await until('the neighbour entries to move', () =>
      b.exec('ip', 'neigh', 'show', '192.0.2.100', 'dev', 'vb').includes(mac) &&
      b.exec('ip', '-6', 'neigh', 'show', '2001:db8::100', 'dev', 'vb').includes(mac), 5000);
  });

  it('refuses a non-Ethernet interface', async () => {
    await expect(announceAddresses({ netns: a.name, interface: 'lo', addresses: ['192.0.2.100'] }))
      .rejects.toMatchObject({ code: 'EOPNOTSUPP' });
  });
});

describe('keepalived interoperation (VRRP version 3)', () => {
  let dir: string;
  let keepalived: ChildProcess | undefined;
  let log = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vrrp-ka-'));
    writeFileSync(join(dir, 'keepalived.conf'), `
global_defs {
  router_id vrrp-wire-test
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface va
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101/24
  }
}
vrrp_instance VI_6 {
  state BACKUP
  interface va
  virtual_router_id 52
  priority 150
  advert_int 0.5
  virtual_ipaddress {
    2001:db8::100/64
  }
}
`);
    keepalived = spawn('ip', ['netns', 'exec', a.name, 'keepalived', '-n', '-l', '-G', '-D', '-P', '-f', join(dir, 'keepalived.conf'),
      '-p', join(dir, 'main.pid'), '-r', join(dir, 'vrrp.pid'), '-c', join(dir, 'checkers.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    keepalived.stdout!.on('data', (d) => { log += d; });
    keepalived.stderr!.on('data', (d) => { log += d; });
  });

  afterAll(async () => {
    if (keepalived && keepalived.exitCode === null) {
      const exited = new Promise((r) => keepalived!.once('exit', r));
      keepalived.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("keepalived's adverts decode with its VRID, priority, interval and VIPs; it yields to a higher priority of ours", async () => {
    const rx4 = await socket(b, 'vb', 'inet');
    const rx6 = await socket(b, 'vb', 'inet6');
    const heard4 = record(rx4);
    const heard6 = record(rx6);
    // keepalived starts as backup and becomes master after its master-down interval (about 3 s).
    await until("keepalived's first adverts", () => heard4.adverts.length > 0 && heard6.adverts.length > 0, 20_000);
    expect(heard4.adverts[0]).toEqual({
      family: 'inet', vrid: 51, priority: 100, intervalCs: 100, addresses: ['192.0.2.100', '192.0.2.101'], source: '192.0.2.1', interface: 'vb',
    });
    const linkLocal = a.exec('ip', '-6', '-o', 'addr', 'show', 'dev', 'va', 'scope', 'link').match(/inet6 (\S+)\//)![1];
    expect(heard6.adverts[0]).toEqual({
      family: 'inet6', vrid: 52, priority: 150, intervalCs: 50, addresses: ['2001:db8::100'], source: linkLocal, interface: 'vb',
    });
    expect([...heard4.drops, ...heard6.drops]).toEqual([]);
    await until('keepalived to log both master states', () => /\(VI_1\) Entering MASTER STATE/.test(log) && /\(VI_6\) Entering MASTER STATE/.test(log));

    // Ours, priority 200 every interval: keepalived must take them as valid adverts and step down.
    let running = true;
    const advertising = (async () => {
      while (running) {
        await rx4.send({ family: 'inet', vrid: 51, priority: 200, intervalCs: 100, addresses: ['192.0.2.100', '192.0.2.101'] });
        await rx6.send({ family: 'inet6', vrid: 52, priority: 200, intervalCs: 50, addresses: ['2001:db8::100'] });
        await pause(500);
      }
    })();
    try {
      const after = (name: string) => log.slice(log.indexOf(`(${name}) Entering MASTER STATE`));
      await until('keepalived to become backup', () =>
        /\(VI_1\) Entering BACKUP STATE/.test(after('VI_1')) && /\(VI_6\) Entering BACKUP STATE/.test(after('VI_6')), 10_000);
      // As backup it stops advertising: nothing more from it within two of its intervals.
      const counts = [heard4.adverts.length, heard6.adverts.length];
      await pause(2500);
      expect([heard4.adverts.length, heard6.adverts.length]).toEqual(counts);
      expect(log).not.toMatch(/Invalid VRRPv3 checksum|wrong VRRP version|too short|too long|invalid TTL/);
    } finally {
      running = false;
      await advertising;
    }
    await rx4.close();
    await rx6.close();
  }, 60_000);
});

describe('lifecycle and memory', () => {
  /** A node child that loads the built library; prints what the script logs. */
  const node = (script: string) => runChild(process.execPath, ['--expose-gc', '-e', `
    const { VrrpSocket } = require(${JSON.stringify(require.resolve('../../dist/vrrp/socket'))});
    const { Worker } = require('node:worker_threads');
    (async () => { ${script} })().catch((e) => { console.error(e); process.exit(1); });
  `]);

  it('a worker thread ended with its socket open and receiving, and a socket collected unclosed, crash nothing', async () => {
    const r = await node(`
      const flood = await VrrpSocket.open({ netns: ${JSON.stringify(a.name)}, interface: 'va', family: 'inet' });
      const advert = { family: 'inet', vrid: 1, priority: 1, intervalCs: 1, addresses: ['192.0.2.9'] };
      const timer = setInterval(() => { for (let i = 0; i < 20; i++) flood.send(advert).catch(() => {}); }, 1);
      for (let round = 0; round < 5; round++) {
        const w = new Worker(\`
          const { VrrpSocket } = require(${JSON.stringify(require.resolve('../../dist/vrrp/socket'))});
          const { parentPort } = require('node:worker_threads');
          VrrpSocket.open({ netns: ${JSON.stringify(b.name)}, interface: 'vb', family: 'inet' }).then((s) => {
            s.onAdvert(() => {});
            parentPort.postMessage('open');
          });
        \`, { eval: true });
        await new Promise((res) => w.once('message', res));
        await new Promise((res) => setTimeout(res, 30));
        await w.terminate();
      }
      for (let i = 0; i < 50; i++) {
        const s = await VrrpSocket.open({ netns: ${JSON.stringify(b.name)}, interface: 'vb', family: 'inet' });
        s.unref();
      }
      global.gc();
      await new Promise((res) => setTimeout(res, 100));
      global.gc();
      clearInterval(timer);
      await flood.close();
      console.log('done', flood.stats().sent > 0);
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('done true');
    expect(r.status).toBe(0);
  }, 120_000);

  it('an open socket keeps the process alive until closed; unref() lets it exit', async () => {
    const r = await node(`
      const s = await VrrpSocket.open({ netns: ${JSON.stringify(b.name)}, interface: 'vb', family: 'inet' });
      setTimeout(() => { console.log('still here'); s.close(); }, 300);
      const t = await VrrpSocket.open({ netns: ${JSON.stringify(b.name)}, interface: 'vb', family: 'inet6' });
      t.unref();
    `);
    expect(r.stdout.trim()).toBe('still here');
    expect(r.status).toBe(0);
  });

  it('the N-API edge does not grow over 40 rounds of 500 adverts sent and received and 20 opens and closes', async () => {
    const r = await node(`
      const rx = await VrrpSocket.open({ netns: ${JSON.stringify(b.name)}, interface: 'vb', family: 'inet' });
      const tx = await VrrpSocket.open({ netns: ${JSON.stringify(a.name)}, interface: 'va', family: 'inet' });
      let heard = 0;
      rx.onAdvert(() => { heard++; });
      const addresses = Array.from({ length: 20 }, (_, i) => '192.0.2.' + (100 + i));
      const round = async () => {
        const target = heard + 500;
        for (let i = 0; i < 500; i++) {
          await tx.send({ family: 'inet', vrid: 1 + (i % 255), priority: 100, intervalCs: 100, addresses });
          if (i % 50 === 49) await new Promise((res) => setTimeout(res, 5));
        }
        const end = Date.now() + 10000;
        while (heard < target && Date.now() < end) await new Promise((res) => setTimeout(res, 5));
        for (let i = 0; i < 20; i++) (await VrrpSocket.open({ netns: ${JSON.stringify(b.name)}, interface: 'vb', family: 'inet6' })).close();
      };
      const nativeMemory = () => { global.gc(); const m = process.memoryUsage(); return m.rss - m.heapTotal; };
      for (let i = 0; i < 15; i++) await round();
      const before = nativeMemory();
      for (let i = 0; i < 40; i++) await round();
      const after = nativeMemory();
      await rx.close();
      await tx.close();
      console.log(JSON.stringify({ before, after, heard, sent: tx.stats().sent }));
    `);
    expect(r.stderr).toBe('');
    const { before, after, heard, sent } = JSON.parse(r.stdout);
    expect(sent).toBe(55 * 500);
    expect(heard).toBeGreaterThan(sent * 0.9); // a few may overflow the receive buffer; the point is they were decoded
    // 40 rounds decode 20,000 adverts of 20 addresses and open 800 sockets: a leaked advert buffer
    // (4 KiB) or socket per round trip would add 80 MiB or more. 8 MiB allows for allocator noise.
    expect(after - before).toBeLessThan(8 * 1024 * 1024);
  }, 300_000);

  it('the socket core, both families, and the announcements have no memory error or leak under valgrind', async () => {
    const bin = await buildVrrpCheck('vrrp_check_plain', []);
    const r = await runChild('valgrind', ['--leak-check=full', '--errors-for-leak-kinds=definite,indirect', '--error-exitcode=99',
      bin, 'kernel', `/run/netns/${a.name}`, `/run/netns/${b.name}`]);
    expect(r.stderr).not.toMatch(/CHECK failed/);
    expect(r.stdout.trim()).toBe('kernel: 0 failures');
    expect(r.stderr).toMatch(/ERROR SUMMARY: 0 errors/);
    expect(r.stderr).toMatch(/All heap blocks were freed|definitely lost: 0 bytes/);
    expect(r.status).toBe(0);
  }, 600_000);
});
