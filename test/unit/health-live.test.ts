/**
 * The monitor with real timers and the real HTTP checker against a local server that stops and
 * starts: detection and recovery within interval × fall (rise) plus a timeout, and events carrying
 * the checker's reason.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { HealthMonitor, type HealthTransition } from '../../lib';

const SVC = { protocol: 'tcp' as const, address: '203.0.113.10', port: 80 };

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

function waitFor(m: HealthMonitor, to: 'up' | 'down', ms: number): Promise<HealthTransition> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no transition to ${to} within ${ms} ms`)), ms);
    const on = (tr: HealthTransition) => {
      if (tr.to !== to) return;
      clearTimeout(t);
      m.off('transition', on);
      resolve(tr);
    };
    m.on('transition', on);
  });
}

describe('HealthMonitor with the http checker', () => {
  it('takes a stopped server out within fall checks and back within rise checks', async () => {
    let server = createServer((_q, r) => r.end('ok'));
    servers.push(server);
    const port = await listen(server);
    const m = new HealthMonitor();
    m.update({ services: [{ service: SVC, destinations: [{
      destination: { address: '192.0.2.1', port: 80 }, weight: 1,
      check: { type: 'http', interval: 100, timeout: 100, retries: 0, rise: 2, fall: 2, warmup: 0, target: { address: '127.0.0.1', port } },
    }] }] });
    let checks = 0;
    // Two checks, however long the first takes: it loads undici, hundreds of ms on a loaded machine.
    const twoChecks = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${checks} check(s) within 3 s, not 2`)), 3000);
      m.on('check', () => {
        if (++checks === 2) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    m.start();
    await twoChecks;
    expect(m.states()[0]).toMatchObject({ state: 'up', reason: 'status 200' });

    const downing = waitFor(m, 'down', 2000);
    const stopped = Date.now();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    const down = await downing;
    expect(down.reason).toBe('connect ECONNREFUSED');
    // Two failed checks 100 ms apart, the first within 100 ms of the stop: ~200 ms; the bound leaves room for a loaded machine.
    expect(down.at - stopped).toBeLessThan(1500);
    expect(m.healthy({ services: [{ service: SVC, destinations: [{ destination: { address: '192.0.2.1', port: 80 } }] }] }).removed).toHaveLength(1);

    const uping = waitFor(m, 'up', 2000);
    server = createServer((_q, r) => r.end('ok'));
    servers.push(server);
    await listen(server, port);
    const started = Date.now();
    const upAgain = await uping;
    expect(upAgain).toMatchObject({ from: 'down', reason: 'status 200', since: down.at });
    expect(upAgain.at - started).toBeLessThan(1500);
    await m.stop();
    const after = checks;
    await new Promise((r) => setTimeout(r, 300));
    expect(checks).toBe(after);
  });
});

describe('HealthMonitor with the exec checker and unchecked servers', () => {
  it("applies exec's dynamic weight; a 'none' server is up without checks and counts for the quorum", async () => {
    const m = new HealthMonitor();
    const weightFile = `/tmp/health-live-${process.pid}`;
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(weightFile, '7');
    let checks = 0;
    m.on('check', () => checks++);
    m.update({ services: [{ service: SVC, quorum: { min: 2 }, destinations: [
      { destination: { address: '192.0.2.1', port: 80 }, weight: 1,
        check: { type: 'exec', interval: 100, warmup: 0, retries: 0, exec: { command: ['sh', '-c', 'exit $(cat "$1")', 'sh', weightFile], dynamicWeight: true } } },
      { destination: { address: '192.0.2.2', port: 80 }, weight: 1, check: { type: 'none' } },
    ] }] });
    try {
      const changed = new Promise<void>((r) => m.once('change', () => r()));
      m.start();
      await changed;
      expect(m.states().map((s) => [s.state, s.weight, s.reason])).toEqual([['up', 5, 'exit 7 (weight 5)'], ['up', 1, 'not checked']]);
      expect(m.quorums()).toEqual([{ service: SVC, up: true, weight: 6 }]);
      const quorumLost = new Promise((r) => m.once('quorum', r));
      writeFileSync(weightFile, '1');
      expect(await quorumLost).toMatchObject({ up: false, weight: 1 });
      expect(m.states()[0]).toMatchObject({ state: 'down', weight: 0, reason: 'exit 1' });
    } finally {
      await m.stop();
      rmSync(weightFile, { force: true });
    }
    // Only the exec server was ever checked.
    expect(checks).toBeGreaterThan(0);
    expect(m.states()[1].checkedAt).toBeNull();
  });
});
