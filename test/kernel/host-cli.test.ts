/**
 * `node-ipvs host ROLE start|stop|status` on a real kernel: start keeps a state
 * file, status exits 0 or 3, stop puts every setting and address back byte for
 * byte; usage mistakes exit 2, refusals 1 with the field or the errno.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestNamespace, requireIpvs } from '../helpers/kernel';

const CLI = require.resolve('../../dist/cli/main.js');

function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return cliWithin(0, ...args);
}

/** The CLI killed after `ms` (0: never): a command that hangs ends with no refusal line. */
function cliWithin(ms: number, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: ms }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err ? Number((err as { code?: number }).code ?? 1) : 0 });
    });
  });
}

let ns: TestNamespace;
const dir = mkdtempSync(join(tmpdir(), 'host-cli-'));
beforeAll(async () => {
  await requireIpvs();
  ns = new TestNamespace('hcli');
  ns.exec('ip', 'link', 'add', 'eth0', 'type', 'dummy');
  ns.exec('ip', 'link', 'set', 'eth0', 'up');
});
afterAll(() => ns?.delete());

/** Every setting the roles touch, and every address and default route. */
function snapshot(): string {
  return ns.exec('sh', '-c',
    'for f in /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding /proc/sys/net/ipv4/conf/*/arp_* ' +
    '/proc/sys/net/ipv4/conf/*/rp_filter /proc/sys/net/ipv4/vs/*; do printf "%s=" "$f"; cat "$f"; done; ' +
    "ip -o addr show | sed 's/ *valid_lft.*//'; ip route show; ip -6 route show");
}

describe('node-ipvs host', () => {
  it('dr-real-server: status 3, start, status 0, stop restores everything', async () => {
    const state = join(dir, 'dr.json');
    const args = ['--netns', ns.name, '--vip', '203.0.113.10', '--interface', 'eth0', '--state', state];
    const before = snapshot();
    expect((await cli('host', 'dr-real-server', 'status', ...args)).code).toBe(3);
    expect(await cli('host', 'dr-real-server', 'start', ...args)).toMatchObject({ code: 0, stderr: '' });
    expect(existsSync(state)).toBe(true);
    expect(ns.exec('ip', '-o', 'addr', 'show', 'dev', 'lo')).toMatch(/inet 203\.0\.113\.10\/32/);
    const again = await cli('host', 'dr-real-server', 'start', ...args);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already started/);
    const status = await cli('host', 'dr-real-server', 'status', ...args, '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ ready: true, vip: { present: true }, interfaces: [{ interface: 'eth0', arpIgnore: 1, arpAnnounce: 2 }] });
    expect((await cli('host', 'dr-real-server', 'stop', ...args)).code).toBe(0);
    expect(existsSync(state)).toBe(false);
    expect(snapshot()).toBe(before);
    const twice = await cli('host', 'dr-real-server', 'stop', ...args);
    expect(twice).toMatchObject({ code: 1 });
    expect(twice.stderr).toMatch(/not started/);
  });

  it('director: forwarding, IPVS settings and the VIP, all put back by stop', async () => {
    const state = join(dir, 'director.json');
    const args = ['--netns', ns.name, '--vip', '2001:db8::10', '--interface', 'eth0', '--state', state];
    const before = snapshot();
    expect((await cli('host', 'director', 'start', ...args, '--ipv6-forwarding', '--set', 'conntrack=true', '--set', 'syncThreshold=4,40')).code).toBe(0);
    expect(ns.exec('cat', '/proc/sys/net/ipv4/vs/conntrack').trim()).toBe('1');
    expect(ns.exec('cat', '/proc/sys/net/ipv4/vs/sync_threshold').trim().split(/\s+/)).toEqual(['4', '40']);
    const status = await cli('host', 'director', 'status', ...args);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^set up/);
    expect((await cli('host', 'director', 'stop', ...args)).code).toBe(0);
    expect(snapshot()).toBe(before);
  });

  it('nat-real-server and tun-real-server round-trip too', async () => {
    ns.exec('ip', 'addr', 'add', '192.0.2.50/24', 'dev', 'eth0');
    const before = snapshot();
    const nat = ['--netns', ns.name, '--gateway', '192.0.2.1', '--state', join(dir, 'nat.json')];
    const tun = ['--netns', ns.name, '--vip', '203.0.113.10', '--interface', 'eth0', '--state', join(dir, 'tun.json')];
    expect((await cli('host', 'nat-real-server', 'start', ...nat)).code).toBe(0);
    expect((await cli('host', 'tun-real-server', 'start', ...tun)).code).toBe(0);
    expect((await cli('host', 'nat-real-server', 'status', ...nat)).code).toBe(0);
    expect((await cli('host', 'tun-real-server', 'status', ...tun)).code).toBe(0);
    expect(ns.exec('ip', '-o', 'addr', 'show', 'dev', 'tunl0')).toMatch(/203\.0\.113\.10\/32/);
    expect((await cli('host', 'tun-real-server', 'stop', ...tun)).code).toBe(0);
    expect((await cli('host', 'nat-real-server', 'stop', ...nat)).code).toBe(0);
    expect(snapshot()).toBe(before);
  });

  it('mistakes: usage exits 2, refusals exit 1 naming the field or the errno; nothing is left behind', async () => {
    const state = join(dir, 'bad.json');
    expect((await cli('host', 'nosuch', 'start')).code).toBe(2);
    expect((await cli('host', 'dr-real-server', 'restart')).code).toBe(2);
    expect((await cli('host', 'dr-real-server', 'start', '--netns', ns.name, '--interface', 'eth0', '--state', state)).stderr).toMatch(/--vip is required/);
    expect((await cli('host', 'director', 'start', '--netns', ns.name, '--set', 'conntrack', '--state', state)).code).toBe(2);
    const badVip = await cli('host', 'dr-real-server', 'start', '--netns', ns.name, '--vip', '203.0.113.300', '--interface', 'eth0', '--state', state);
    expect(badVip.code).toBe(1);
    expect(badVip.stderr).toMatch(/options\.vip/);
    const noDev = await cli('host', 'dr-real-server', 'start', '--netns', ns.name, '--vip', '203.0.113.10', '--interface', 'nosuch0', '--state', state);
    expect(noDev.code).toBe(1);
    expect(noDev.stderr).toMatch(/ENOENT/);
    expect(existsSync(state)).toBe(false);
    expect((await cli('host', '--help')).code).toBe(0);
    expect((await cli('host', 'tun-real-server', '--help')).stdout).toMatch(/--tunnel DEV/);
  });

  /** A refusal: exit 1, one line on stderr naming what was wrong, no stack trace. */
  function oneLine(r: { stderr: string; code: number }, what: RegExp): void {
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(what);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }

  it('prototype keys are ordinary bad names: --set constructor=1, a role named constructor', async () => {
    const state = join(dir, 'proto.json');
    const before = snapshot();
    for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
      const r = await cli('host', 'director', 'start', '--netns', ns.name, '--set', `${name}=1`, '--state', state);
      oneLine(r, new RegExp(`options\\.ipvs\\.${name}: expected a known IPVS setting name`));
    }
    for (const role of ['constructor', 'toString', '__proto__']) expect((await cli('host', role, 'start')).code).toBe(2);
    expect(existsSync(state)).toBe(false);
    expect(snapshot()).toBe(before);
  });

  it('a state file is input: a record naming another file, a bad field, no JSON, a FIFO are refused in one line', async () => {
    const before = snapshot();
    const target = join(dir, 'written-by-stop');
    const state = join(dir, 'evil.json');
    const records: [unknown, RegExp][] = [
      [{ netns: null, settings: [{ setting: `../..${target}`, value: 'x' }] }, /record\.settings\[0\]\.setting/],
      [{ netns: `/run/netns/${ns.name}`, settings: [{ setting: `net/../..${target}`, value: 'x' }] }, /record\.settings\[0\]\.setting/],
      [{ netns: null, settings: [{ setting: 'net/ipv4/ip_forward', value: '1' }], vip: { interface: 'lo' } }, /record\.vip\.address/],
      [{}, /record\.netns/],
      [null, /record: expected an object/],
    ];
    for (const [record, field] of records) {
      writeFileSync(state, JSON.stringify(record));
      oneLine(await cli('host', 'dr-real-server', 'stop', '--state', state), field);
      expect(existsSync(state)).toBe(true);  // kept: stop did not happen
    }
    writeFileSync(state, JSON.stringify({ director: { netns: null, settings: [{ setting: `../..${target}`, value: 'x' }] } }));
    oneLine(await cli('host', 'director', 'stop', '--state', state), /record\.director\.settings\[0\]\.setting/);
    writeFileSync(state, JSON.stringify({ director: { netns: null, settings: [] }, extra: 1 }));
    oneLine(await cli('host', 'director', 'stop', '--state', state), /record\.extra/);
    writeFileSync(state, '{"netns": null, "settings": [');
    oneLine(await cli('host', 'tun-real-server', 'stop', '--state', state), /is not a state file/);
    expect(existsSync(target)).toBe(false);
    // A FIFO as the state file: refused at once, never waited on.
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    // Opened for reading, a FIFO without a writer blocks forever: a hang is killed at 60 s and has no
    // refusal line. (Not a wall-clock limit near the CLI's own start-up, which takes 4-8 s here.)
    oneLine(await cliWithin(60_000, 'host', 'director', 'stop', '--state', fifo), /not a regular file/);
    expect(snapshot()).toBe(before);
  }, 240_000);  // nine CLI runs, each 4-8 s to start under the sandbox kernel beside another test file
});
