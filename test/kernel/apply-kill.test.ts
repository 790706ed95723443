/**
 * An apply killed (SIGKILL) half-way through its batch, then run again, converges: the services the
 * killed run created are owned (the record is written before the batch), so a second apply with a
 * different table and prune removes them; ipvsadm's services are untouched; a third apply sends nothing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Table, type DesiredTable } from '../../lib';
import { spawnAsync } from '../helpers/child';
import { TestNamespace, requireIpvs } from '../helpers/kernel';

const ROOT = join(__dirname, '..', '..');
let ns: TestNamespace;
let tmp: string;

const table = (from: number, to: number): DesiredTable => ({
  services: Array.from({ length: to - from }, (_, i) => ({
    service: { protocol: 'tcp' as const, address: '192.0.2.40', port: 1000 + from + i },
    options: { scheduler: 'rr' },
    destinations: [1, 2, 3].map((n) => ({ destination: { address: `198.51.100.${n}`, port: 80 }, options: { forwarding: 'masq' as const, weight: n } })),
  })),
});

beforeAll(async () => {
  await requireIpvs();
  ns = new TestNamespace('akill');
  tmp = mkdtempSync(join(tmpdir(), 'apply-kill-'));
});

afterAll(() => {
  ns?.delete();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

it('an apply killed half-way, run again, converges', async () => {
  ns.ipvsadm('-A', '-t', '203.0.113.3:80', '-s', 'wlc');
  const state = join(tmp, 'state.json');
  const first = join(tmp, 'first.json');
  writeFileSync(first, JSON.stringify(table(0, 200)));
  // The child sends the first 400 of its 800 operations (apply sends them in chunks), then kills
  // itself: as if killed mid-batch.
  const child = await spawnAsync(process.execPath, ['-e', `
    const { Ipvs } = require(${JSON.stringify(join(ROOT, 'dist', 'index.js'))});
    (async () => {
      const ipvs = await Ipvs.open({ netns: ${JSON.stringify(ns.name)} });
      const batch = ipvs.batch.bind(ipvs);
      let sent = 0;
      ipvs.batch = async (ops, o) => {
        const part = ops.slice(0, 400 - sent);
        const results = await batch(part, o);
        sent += part.length;
        if (sent === 400) process.kill(process.pid, 'SIGKILL');
        return results;
      };
      await ipvs.apply(require(${JSON.stringify(first)}), { ownership: { file: ${JSON.stringify(state)} } });
    })();`]);
  expect(child.signal).toBe('SIGKILL');
  // 200 services and 600 destinations to add; the first 400 operations took effect.
  const partial = ns.saved().filter((l) => l.includes('192.0.2.40:'));
  expect(partial.filter((l) => l.startsWith('-A')).length).toBe(200);
  expect(partial.filter((l) => l.startsWith('-a')).length).toBe(200);
  expect(JSON.parse(readFileSync(state, 'utf8')).services).toHaveLength(200);

  // The second run is the command, given rules text: an idempotent restore.
  const second = join(tmp, 'second.rules');
  writeFileSync(second, Table.fromObjects(table(150, 250)).toRules());
  const r = await spawnAsync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'apply', second, '--prune', '--state', state, '--netns', ns.name, '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout).results.filter((x: { outcome: string }) => x.outcome !== 'applied')).toEqual([]);
  const mine = ns.saved().filter((l) => !l.includes('203.0.113.3'));
  expect(mine).toEqual(Table.fromObjects(table(150, 250)).toRules({ thresholds: false }).split('\n').filter(Boolean).sort());
  expect(ns.saved()).toContain('-A -t 203.0.113.3:80 -s wlc');
  expect(JSON.parse(readFileSync(state, 'utf8')).services).toHaveLength(100);

  const again = await spawnAsync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'diff', second, '--prune', '--state', state, '--netns', ns.name]);
  expect(again).toMatchObject({ status: 0, stdout: 'No changes.\n' });
}, 120_000);
