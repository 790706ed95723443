/**
 * The Director with lib/health's real HealthMonitor (TCP checks against servers on this host's
 * loopback) and apply's real logic on a fake kernel: a server that stops listening is deleted
 * within fall × interval, one that listens again is added back, and a reload keeps the health
 * state of the servers it did not change (a down server stays down, no new warm-up).
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Director, type LogRecord } from '../../lib/director';
import { parseConfig } from '../../lib';
import type { Ipvs } from '../../lib/ipvs';
import { FakeIpvs } from '../helpers/fake-kernel';

const servers = new Map<number, Server>();
let ports: number[] = [];

function listen(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer((c) => c.on('error', () => {}).end()).once('error', reject).listen(port, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      servers.set(p, s);
      resolve(p);
    });
  });
}

const close = (port: number) => new Promise<void>((r) => {
  const s = servers.get(port)!;
  servers.delete(port);
  s.close(() => r());
});

beforeAll(async () => {
  ports = [await listen(), await listen(), await listen()];
});
afterAll(async () => {
  for (const p of [...servers.keys()]) await close(p);
});

const config = (list: number[]) => parseConfig([
  'services:',
  '  - service: tcp 203.0.113.10:80',
  '    forwarding: nat',
  '    health: { type: tcp, interval: 100ms, timeout: 80ms, retries: 0, fall: 2, rise: 2, warmup: 10ms }',
  '    destinations:',
  ...list.map((p) => `      - server: 127.0.0.1:${p}`),
].join('\n'), { format: 'yaml' });

async function until(test: () => boolean, ms: number): Promise<number> {
  const start = Date.now();
  while (!test()) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

describe('Director with the real HealthMonitor', () => {
  it('deletes a server that stops answering, adds it back when it answers; a reload keeps unchanged servers\' state', async () => {
    const ipvs = new FakeIpvs();
    const logs: LogRecord[] = [];
    const d = new Director({ ipvs: ipvs as unknown as Ipvs, config: config(ports.slice(0, 2)), log: (r) => logs.push(r) });
    const has = (p: number) => ipvs.kernel.rules().includes(`127.0.0.1:${p} `);
    await d.start();
    expect(has(ports[0]) && has(ports[1])).toBe(true);

    await close(ports[1]);
    const removed = await until(() => !has(ports[1]), 3000);
    // fall checks 100 ms apart, the first within an interval of the close; slack for a loaded machine.
    expect(removed).toBeLessThan(2 * 100 + 80 + 1500);
    expect(logs.find((l) => l.event === 'transition')!.message).toMatch(/127\.0\.0\.1:\d+ is gone .*ECONNREFUSED/);

    // Reload adding the third server: the second, still down, stays out (its state kept); the first untouched.
    const writes = ipvs.kernel.writes.length;
    await d.reload(config(ports));
    expect(has(ports[2])).toBe(true);
    expect(has(ports[1])).toBe(false);
    expect(ipvs.kernel.writes.slice(writes).flat().map((op) => op.op)).toEqual(['addDestination']);

    await listen(ports[1]);
    await until(() => has(ports[1]), 3000);
    expect(logs.filter((l) => l.event === 'transition').map((l) => l.to)).toEqual(['down', 'up']);
    await d.stop();
  });
});
