/**
 * ipvs.apply against IPVS: only the difference is sent (a second apply writes nothing),
 * ipvsadm's services beside the managed ones are never touched, prune removes only owned
 * services, and drains with a TCP connection held through the service (NAT to two real
 * servers in a second namespace): kept while busy, new connections elsewhere, deleted once idle,
 * timed out, cancelled, and carried across a restart by the ownership file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Ipvs, Table, type DesiredTable } from '../../lib';
import { DESTINATION_WORDS, PackedListing, SERVICE_WORDS } from '../../lib/table/packed';
import { TestNamespace, natPair, requireIpvs } from '../helpers/kernel';

let director: TestNamespace;
let real: TestNamespace;
let ipvs: Ipvs;
let server: ChildProcess;
let tmp: string;

const VIP = '192.0.2.100';
const V = { protocol: 'tcp', address: VIP, port: 80 } as const;
const A = { address: '198.51.100.2', port: 8080 };
const B = { address: '198.51.100.3', port: 8080 };
const dest = (d: typeof A, weight = 1) => ({ destination: d, options: { forwarding: 'masq' as const, weight } });
const table = (...dests: ReturnType<typeof dest>[]): DesiredTable => ({ services: [{ service: V, options: { scheduler: 'rr' }, destinations: dests }] });

/** A client in the director's namespace: `open` makes a connection to the VIP and prints the server that answered; `rst` resets every connection. */
function client(): { send(line: string): Promise<string>; stop(): void } {
  const child = spawn('ip', ['netns', 'exec', director.name, process.execPath, '-e', `
    const net = require('net');
    const held = [];
    require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
      if (line === 'rst') { for (const s of held) s.resetAndDestroy(); held.length = 0; console.log('reset'); return; }
      const s = net.connect(80, '${VIP}');
      s.once('data', (d) => { held.push(s); console.log(String(d)); });
      s.on('error', (e) => console.log('error ' + e.message));
    });`], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += String(d);
    for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) {
      const l = buf.slice(0, i);
      const w = waiting.shift();
      if (w) w(l); else lines.push(l);
    }
  });
  return {
    send(line) {
      child.stdin!.write(`${line}\n`);
      return new Promise((resolve) => (lines.length ? resolve(lines.shift()!) : waiting.push(resolve)));
    },
    stop() {
      child.stdin!.end();
      child.kill();
    },
  };
}

const connectionsOf = async (d: typeof A) => {
  const s = (await ipvs.getTable()).find((e) => 'address' in e.key && e.key.address === VIP)!;
  return s.destinations.find((x) => x.key.address === d.address);
};

beforeAll(async () => {
  await requireIpvs();
  tmp = mkdtempSync(join(tmpdir(), 'apply-'));
  ({ director, real } = natPair('a', VIP, ['198.51.100.2', '198.51.100.3']));
  // Answers with the address it was reached at, and keeps the connection open.
  server = spawn('ip', ['netns', 'exec', real.name, process.execPath, '-e', `
    const keep = [];
    require('net').createServer((s) => { keep.push(s); s.on('error', () => {}); s.write(s.localAddress.replace('::ffff:', '')); })
      .listen(8080, '::', () => console.log('ready'));`]);
  await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
  ipvs = await director.open();
}, 60_000);

afterAll(() => {
  server?.kill();
  ipvs?.close();
  director?.delete();
  real?.delete();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('apply', () => {
  it('sends the difference; applying the same table again sends nothing', async () => {
    const desired = table(dest(A), dest(B, 2));
    const first = await ipvs.apply(desired);
    expect(first.changed).toBe(true);
    expect(Table.fromRules(director.ipvsadm('-S', '-n')).equals(Table.fromObjects(desired))).toBe(true);
    // apply is handed the client and can reach only its public methods: a spy on every one that
    // writes counts every write it could make.
    const WRITES = ['batch', 'restore', 'addService', 'updateService', 'deleteService', 'addDestination', 'updateDestination',
      'deleteDestination', 'flush', 'zero', 'setTimeouts', 'startDaemon', 'stopDaemon'] as const;
    const spies = WRITES.map((m) => vi.spyOn(ipvs, m));
    const before = director.saved();
    const second = await ipvs.apply(desired);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    const counted = spies[0];
    expect(second).toEqual({ plan: { steps: [] }, results: [], draining: [], changed: false });
    expect(director.saved()).toEqual(before);
    // The spies see writes: a third apply with a change is one batch.
    await ipvs.apply(table(dest(A), dest(B, 3)));
    expect(counted).toHaveBeenCalledTimes(1);
    for (const spy of spies) spy.mockRestore();
    await ipvs.apply(desired);
  });

  it("never touches services ipvsadm added beside the managed ones; prune removes only owned ones", async () => {
    const file = join(tmp, 'owned.json');
    director.ipvsadm('-A', '-t', '203.0.113.5:80', '-s', 'rr');
    director.ipvsadm('-a', '-t', '203.0.113.5:80', '-r', '198.51.100.9:80', '-m', '-w', '3');
    director.ipvsadm('-A', '-u', '192.0.2.100:53', '-s', 'wlc');
    const theirs = () => director.saved().filter((l) => l.includes('203.0.113.5') || l.includes(':53'));
    const before = theirs();
    const extra = { service: { protocol: 'tcp', address: VIP, port: 443 } as const, options: { scheduler: 'rr' } };
    await ipvs.apply({ services: [...table(dest(A), dest(B, 2)).services, extra] }, { ownership: { file } });
    expect(JSON.parse(readFileSync(file, 'utf8')).services).toHaveLength(2);
    const r = await ipvs.apply(table(dest(A), dest(B, 2)), { ownership: { file }, prune: true });
    expect(r.results.map((x) => [x.step.action, x.step.service, x.outcome])).toEqual([['remove-service', extra.service, 'applied']]);
    expect(theirs()).toEqual(before);
    expect(director.saved().some((l) => l.includes(':443'))).toBe(false);
    director.ipvsadm('-D', '-t', '203.0.113.5:80');
    director.ipvsadm('-D', '-u', '192.0.2.100:53');
  });

  it('getTable({ consistent: true }) reads until two readings agree', async () => {
    const t = await ipvs.getTable({ consistent: true });
    expect(Table.fromKernel(t).equals(Table.fromRules(director.ipvsadm('-S', '-n')))).toBe(true);
    await expect(ipvs.getTable({ consistent: 'yes' as never })).rejects.toMatchObject({ name: 'IpvsValidationError', field: 'options.consistent' });
    await expect(ipvs.getTable({ consistnt: true } as never)).rejects.toMatchObject({ name: 'IpvsValidationError', field: 'options.consistnt' });
  });
});

describe('drain', () => {
  it('keeps a busy destination at weight 0, sends new connections elsewhere, deletes it once its connections end', async () => {
    await ipvs.apply(table(dest(A)));
    const c = client();
    try {
      expect(await c.send('open')).toBe(A.address);
      const r = await ipvs.apply(table(dest(B)));
      expect(r.results.map((x) => [x.step.action, x.step.destination?.address, x.outcome])).toEqual([
        ['add-destination', B.address, 'applied'],
        ['drain-destination', A.address, 'applied'],
      ]);
      expect(r.draining).toMatchObject([{ destination: A, active: 1 }]);
      expect((await connectionsOf(A))?.config.weight).toBe(0);
      for (let i = 0; i < 3; i++) expect(await c.send('open')).toBe(B.address);
      // Still busy: a second apply sends nothing and keeps it.
      const spy = vi.spyOn(ipvs, 'batch');
      expect((await ipvs.apply(table(dest(B)))).draining).toHaveLength(1);
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
      // A reset puts its entry in CLOSE (10 s): waiting then completes the drain.
      expect(await c.send('rst')).toBe('reset');
      const started = Date.now();
      const done = await ipvs.apply(table(dest(B)), { wait: true, pollInterval: 500, timeout: 60_000 });
      expect(done.draining).toEqual([]);
      expect(done.results.map((x) => [x.step.action, x.step.destination?.address, x.outcome])).toEqual([['remove-destination', A.address, 'applied']]);
      expect(Date.now() - started).toBeGreaterThan(1000);
      expect(await connectionsOf(A)).toBeUndefined();
    } finally {
      c.stop();
    }
  }, 90_000);

  it('re-declaring a draining destination cancels the drain and restores its weight', async () => {
    // A was deleted by the drain before: re-adding it (from the kernel's trash list) must work.
    const readd = await ipvs.apply(table(dest(A, 4), dest(B)));
    expect(readd.results.map((x) => [x.step.action, x.step.destination?.address, x.outcome])).toEqual([['add-destination', A.address, 'applied']]);
    const c = client();
    try {
      let to = await c.send('open');
      if (to !== A.address) to = await c.send('open'); // rr: the next one goes to A
      expect(to).toBe(A.address);
      expect((await ipvs.apply(table(dest(B)))).draining).toMatchObject([{ destination: A }]);
      const back = await ipvs.apply(table(dest(A, 4), dest(B)));
      expect(back.results.map((x) => [x.step.action, x.step.changes])).toEqual([['update-destination', [{ field: 'weight', from: 0, to: 4 }]]]);
      expect(back.draining).toEqual([]);
      expect((await connectionsOf(A))?.config.weight).toBe(4);
      expect((await connectionsOf(A))?.connections.active).toBeGreaterThanOrEqual(1);
    } finally {
      await c.send('rst');
      c.stop();
    }
  });

  it('a drain times out, and survives a restart through the ownership file', async () => {
    const file = join(tmp, 'drain.json');
    await ipvs.apply(table(dest(A), dest(B)), { ownership: { file } });
    const c = client();
    try {
      while ((await c.send('open')) !== A.address);
      const r = await ipvs.apply(table(dest(B)), { ownership: { file } });
      const since = r.draining[0].since;
      expect(JSON.parse(readFileSync(file, 'utf8')).drains).toEqual([{ service: V, destination: A, since }]);
      // Another process, the same file: the drain goes on from when it began.
      const other = await director.open();
      try {
        const again = await other.apply(table(dest(B)), { ownership: { file } });
        expect(again.draining).toMatchObject([{ destination: A, since }]);
        expect(again.results).toEqual([]);
        await new Promise((res) => setTimeout(res, 300));
        const late = await other.apply(table(dest(B)), { ownership: { file }, drainTimeout: Date.now() - since - 100 });
        expect(late.results.map((x) => [x.step.action, x.step.destination?.address])).toEqual([['remove-destination', A.address]]);
        expect(JSON.parse(readFileSync(file, 'utf8')).drains).toEqual([]);
        expect(await connectionsOf(A)).toBeUndefined();
      } finally {
        other.close();
      }
    } finally {
      await c.send('rst');
      c.stop();
    }
  });
});

describe('drain of a UDP destination', () => {
  it('waits for its entries (inactive: UDP is never active) to expire, not for active to reach 0', async () => {
    const U = { protocol: 'udp', address: VIP, port: 53 } as const;
    const udp = (...ds: ReturnType<typeof dest>[]): DesiredTable => ({ services: [{ service: U, options: { scheduler: 'rr' }, destinations: ds }] });
    await ipvs.apply(udp(dest(A)));
    // One datagram through the service: an entry for this client, counted inactive until the udp timeout.
    director.exec(process.execPath, '-e', `const s = require('dgram').createSocket('udp4'); s.send('x', 53, '${VIP}', () => s.close());`);
    const listed = (await ipvs.getTable()).find((e) => 'protocol' in e.key && e.key.protocol === 'udp')!.destinations[0];
    expect(listed.connections).toMatchObject({ active: 0, inactive: 1 });
    const r = await ipvs.apply(udp(dest(B)));
    expect(r.draining).toMatchObject([{ service: U, destination: A, active: 0, inactive: 1 }]);
    expect(r.results.map((x) => x.step.action)).toEqual(['add-destination', 'drain-destination']);
    const gone = await ipvs.apply(udp(dest(B)), { drainTimeout: 0 });
    expect(gone.results.map((x) => x.step.action)).toEqual(['remove-destination']);
    await ipvs.apply({ services: [] }); // U is not declared: left as it is
    await ipvs.deleteService(U);
  });
});

describe('a changing kernel', () => {
  it('an add meeting EEXIST for a service the listing missed reads it and updates it; nothing is reported failed', async () => {
    await ipvs.apply({ services: [] }, {});
    director.ipvsadm('-A', '-t', '203.0.113.7:80', '-s', 'wlc');
    director.ipvsadm('-a', '-t', '203.0.113.7:80', '-r', '198.51.100.2:8080', '-m', '-w', '1');
    const S7 = { protocol: 'tcp', address: '203.0.113.7', port: 80 } as const;
    // A torn listing, as under churn: the real kernel's answer (apply reads it packed) with that service missing.
    const real = ipvs.packedTable.bind(ipvs);
    const spy = vi.spyOn(ipvs, 'packedTable').mockImplementation(async (o) => {
      const listed = await real(o);
      const kept: number[] = [];
      let at = 0;
      listed.ids().forEach((id, i) => {
        const end = at + SERVICE_WORDS + listed.destinationCount(i) * DESTINATION_WORDS;
        if (id !== `tcp/${S7.address}/80`) kept.push(...listed.words.subarray(at, end));
        at = end;
      });
      return new PackedListing(Uint32Array.from(kept), listed.strings);
    });
    try {
      const r = await ipvs.apply({ services: [{ service: S7, options: { scheduler: 'rr' }, destinations: [dest(A, 5), dest(B)] }] });
      expect(r.results.map((x) => [x.step.action, x.step.destination?.address ?? null, x.outcome])).toEqual([
        ['add-service', null, 'existed'],
        ['add-destination', A.address, 'existed'],
        ['add-destination', B.address, 'applied'],
        ['update-service', null, 'applied'],
        ['update-destination', A.address, 'applied'],
      ]);
    } finally {
      spy.mockRestore();
    }
    expect(director.saved().filter((l) => l.includes('203.0.113.7'))).toEqual([
      '-A -t 203.0.113.7:80 -s rr',
      '-a -t 203.0.113.7:80 -r 198.51.100.2:8080 -m -w 5',
      '-a -t 203.0.113.7:80 -r 198.51.100.3:8080 -m -w 1',
    ]);
    director.ipvsadm('-D', '-t', '203.0.113.7:80');
  });

  it('apply with prune while another client churns its own services: nothing of theirs deleted, nothing misreported', async () => {
    const file = join(tmp, 'churn.json');
    for (let p = 1; p <= 5; p++) director.ipvsadm('-A', '-u', `203.0.113.21:${p}`, '-s', 'rr');
    const theirs = () => director.saved().filter((l) => l.includes('203.0.113.2'));
    const other = await director.open();
    let stop = false;
    let churned = 0;
    const churn = (async () => {
      for (let i = 0; !stop; i++) {
        const s = { protocol: 'udp', address: '203.0.113.20', port: 1000 + (i % 50) } as const;
        await other.addService(s, { scheduler: 'rr' });
        await other.deleteService(s);
        churned++;
      }
    })();
    try {
      const services = Array.from({ length: 40 }, (_, i) => ({
        service: { protocol: 'tcp', address: '192.0.2.30', port: 2000 + i } as const, options: { scheduler: 'rr' }, destinations: [dest(A)],
      }));
      for (let round = 0; round < 3; round++) {
        const r = await ipvs.apply({ services: services.slice(round * 10) }, { ownership: { file }, prune: true });
        expect(r.results.filter((x) => x.outcome === 'failed' || x.outcome === 'unknown')).toEqual([]);
        expect(r.results.filter((x) => x.step.action === 'remove-service').every((x) => 'address' in x.step.service && x.step.service.address === '192.0.2.30')).toBe(true);
      }
    } finally {
      stop = true;
      await churn;
      other.close();
    }
    expect(churned).toBeGreaterThan(0);
    const mine = director.saved().filter((l) => l.startsWith('-A -t 192.0.2.30:'));
    expect(mine).toHaveLength(20);
    expect(theirs()).toEqual([1, 2, 3, 4, 5].map((p) => `-A -u 203.0.113.21:${p} -s rr`));
    const r = await ipvs.apply({ services: [] }, { ownership: { file }, prune: true });
    expect(r.results.map((x) => x.step.action)).toEqual(Array(20).fill('remove-service'));
    expect(theirs()).toHaveLength(5);
    for (let p = 1; p <= 5; p++) director.ipvsadm('-D', '-u', `203.0.113.21:${p}`);
  }, 120_000);

  it('options.signal: aborted while apply reads, nothing is sent; aborted after the first batch of 512, the kernel holds exactly that batch', async () => {
    const file = join(tmp, 'signal.json');
    const before = director.saved();
    const c1 = new AbortController();
    const p1 = ipvs.apply(table(dest(A, 5), dest(B, 7)), { signal: c1.signal });
    c1.abort(new Error('stop now'));
    const e1 = await p1.catch((e) => e);
    expect(e1).toMatchObject({ name: 'IpvsPartialError', code: 'ECANCELED', applied: 0, unknown: 0 });
    expect(e1.notSent).toBe(e1.results.length);
    expect(e1.results.length).toBeGreaterThan(0);
    expect(e1.cause.cause.message).toBe('stop now');
    expect(director.saved()).toEqual(before);

    const services = Array.from({ length: 300 }, (_, i) => ({
      service: { protocol: 'tcp', address: '192.0.2.40', port: 3000 + i } as const, destinations: [dest(A), dest(B), dest({ address: '198.51.100.4', port: 8080 })],
    }));
    const c2 = new AbortController();
    const batch = ipvs.batch.bind(ipvs);
    const spy = vi.spyOn(ipvs, 'batch').mockImplementation(async (ops, o) => {
      const r = await batch(ops, o);
      c2.abort();
      return r;
    });
    try {
      const e2 = await ipvs.apply({ services }, { signal: c2.signal, ownership: { file } }).catch((e) => e);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(e2).toMatchObject({ name: 'IpvsPartialError', code: 'ECANCELED', applied: 512, unknown: 0, notSent: 688 });
      expect(director.saved().filter((l) => l.includes('192.0.2.40:'))).toHaveLength(512);
    } finally {
      spy.mockRestore();
    }
    // Owned before they were created: a prune removes what the cut-short apply made.
    await ipvs.apply({ services: [] }, { ownership: { file }, prune: true });
    expect(director.saved()).toEqual(before);
  }, 120_000);
});
