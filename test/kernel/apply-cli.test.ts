/**
 * node-ipvs apply / diff against IPVS with docs/examples/nat.yaml: the first apply makes the
 * table, a second changes nothing (diff exits 0), a weight changed in the file makes diff exit 2
 * and print its `~` line, and apply then makes it (ipvsadm -Sn shows the new weight).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, Table } from '../../lib';
import { spawnAsync } from '../helpers/child';
import { TestNamespace, requireIpvs } from '../helpers/kernel';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
let ns: TestNamespace;
let tmp: string;
let file: string;

const cli = (...args: string[]) => spawnAsync(process.execPath, [CLI, ...args, '--netns', ns.name]);

beforeAll(async () => {
  await requireIpvs();
  ns = new TestNamespace('acli');
  tmp = mkdtempSync(join(tmpdir(), 'apply-cli-'));
  file = join(tmp, 'nat.yaml');
  copyFileSync(join(ROOT, 'docs', 'examples', 'nat.yaml'), file);
  // Another tool's service beside the file's: never touched.
  ns.ipvsadm('-A', '-t', '198.51.100.50:25', '-s', 'rr');
});

afterAll(() => {
  ns?.delete();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('node-ipvs apply FILE', () => {
  it('applies an example, then has nothing to do', async () => {
    const first = await cli('apply', file, '--state', join(tmp, 'state.json'));
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^\+ tcp 203\.0\.113\.10:80 {2}scheduler wrr/m);
    const saved = ns.ipvsadm('-S', '-n');
    // ipvsadm -S leaves the thresholds out: compared without them.
    const mine = saved.split('\n').filter((l) => l && !l.includes('198.51.100.50')).sort();
    const want = Table.fromObjects(parseConfig(readFileSync(file, 'utf8')).table).toRules({ thresholds: false });
    expect(mine).toEqual(want.split('\n').filter(Boolean).sort());
    expect(saved).toContain('-A -t 198.51.100.50:25 -s rr');

    const again = await cli('apply', file, '--state', join(tmp, 'state.json'));
    expect(again).toMatchObject({ status: 0, stdout: 'No changes.\n', stderr: '' });
    expect(await cli('diff', file)).toMatchObject({ status: 0, stdout: 'No changes.\n' });
    expect(ns.ipvsadm('-S', '-n')).toBe(saved);
  });

  it('diff shows a changed weight (exit 2), apply makes it', async () => {
    writeFileSync(file, readFileSync(file, 'utf8').replace('192.0.2.12:80\n        weight: 2', '192.0.2.12:80\n        weight: 7'));
    const d = await cli('diff', file);
    expect(d.status).toBe(2);
    expect(d.stdout).toBe('~ tcp 203.0.113.10:80 -> 192.0.2.12:80  weight 2 → 7\nPlan: 0 to add, 1 to change, 0 to drain, 0 to remove.\n');
    const dry = await cli('apply', file, '--dry-run', '--json');
    expect(dry.status).toBe(2);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, changed: false, results: [], plan: { steps: [{ action: 'update-destination' }] } });
    expect(ns.ipvsadm('-S', '-n')).toContain('-a -t 203.0.113.10:80 -r 192.0.2.12:80 -m -w 2');
    const r = await cli('apply', file, '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).results).toEqual([
      { action: 'update-destination', service: { protocol: 'tcp', address: '203.0.113.10', port: 80 }, destination: { address: '192.0.2.12', port: 80 }, outcome: 'applied' },
    ]);
    expect(ns.ipvsadm('-S', '-n')).toContain('-a -t 203.0.113.10:80 -r 192.0.2.12:80 -m -w 7');
    expect((await cli('diff', file)).status).toBe(0);
  });

  it('a destination removed from the file is drained, then deleted (no connections: at once)', async () => {
    writeFileSync(file, readFileSync(file, 'utf8').replace(/ {6}- server: 192\.0\.2\.11:80\n {8}weight: 1\n/, ''));
    const r = await cli('apply', file, '--state', join(tmp, 'state.json'));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('- tcp 203.0.113.10:80 -> 192.0.2.11:80  drain: weight 1 → 0, removed once its connections end\n' +
      '- tcp 203.0.113.10:80 -> 192.0.2.11:80\nPlan: 0 to add, 0 to change, 1 to drain, 1 to remove.\n');
    expect(ns.ipvsadm('-S', '-n')).not.toContain('192.0.2.11');
    expect(ns.ipvsadm('-S', '-n')).toContain('-A -t 198.51.100.50:25 -s rr');
  });
});
