/**
 * `node-ipvs list` as ipvsadm users type it: one service (-t/-u/-f/--sctp-service), -n,
 * --sort/--nosort, --json in the text's order, and `| head` on a big table.
 */
import { spawnAsync } from '../helpers/child';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ipvs } from '../../lib';
import { TestNamespace, requireIpvs } from '../helpers/kernel';

const CLI = require.resolve('../../dist/cli/main.js');

let ns: TestNamespace;
let ipvs: Ipvs;

function cli(...args: string[]) {
  return spawnAsync(process.execPath, [CLI, ...args, '--netns', ns.name]);
}

// Added out of order, so the kernel's order (hash buckets) is not ipvsadm's sorted one.
const RULES = `-A -t 192.0.2.30:80 -s rr
-a -t 192.0.2.30:80 -r 198.51.100.9:80 -m -w 3
-a -t 192.0.2.30:80 -r 198.51.100.2:8080 -m -w 1
-a -t 192.0.2.30:80 -r 198.51.100.20:80 -m -w 2
-A -u 192.0.2.5:53 -s wlc
-a -u 192.0.2.5:53 -r 198.51.100.7:53 -m
-A -t 192.0.2.7:443 -s sh -b sh-port -p 600
-a -t 192.0.2.7:443 -r 198.51.100.3:443 -g
-A -f 7 -s rr
-a -f 7 -r 198.51.100.4:0 -g
-A -f 3 -6 -s lc
-A -t [2001:db8::20]:80 -s rr
-a -t [2001:db8::20]:80 -r [2001:db8::9]:80 -m
-a -t [2001:db8::20]:80 -r [2001:db8::3]:80 -m
-A -t 192.0.2.1:8080 -s rr
-A -t 192.0.2.200:80 -s rr
-A -u 192.0.2.100:123 -s rr
-A --sctp-service 192.0.2.40:3868 -s rr
-a --sctp-service 192.0.2.40:3868 -r 198.51.100.40:3868 -m
-A -t 192.0.2.10:25 -s rr
-A -t 192.0.2.11:25 -s rr
-A -u 192.0.2.9:514 -s rr
`;

beforeAll(async () => {
  await requireIpvs();
  ns = new TestNamespace('clil');
  ns.restore(RULES);
  ipvs = await ns.open();
});
afterAll(() => {
  ipvs?.close();
  ns?.delete();
});

describe('node-ipvs list SERVICE', () => {
  const cases: Array<[string[], string[]]> = [
    [['-t', '192.0.2.30:80'], ['-t', '192.0.2.30:80']],
    [['--tcp', '192.0.2.30:80'], ['-t', '192.0.2.30:80']],
    [['-u', '192.0.2.5:53'], ['-u', '192.0.2.5:53']],
    [['--udp-service', '192.0.2.5:53'], ['-u', '192.0.2.5:53']],
    [['-t', '192.0.2.7:443'], ['-t', '192.0.2.7:443']],
    [['-f', '7'], ['-f', '7']],
    [['--fwmark', '3', '--ipv6'], ['-f', '3', '-6']],
    [['-t', '[2001:db8::20]:80'], ['-t', '[2001:db8::20]:80']],
    [['--sctp-service', '192.0.2.40:3868'], ['--sctp-service', '192.0.2.40:3868']],
    [['-t', '192.0.2.30:80', '--stats', '--exact'], ['-t', '192.0.2.30:80', '--stats', '--exact']],
    [['-t', '192.0.2.30:80', '--thresholds'], ['-t', '192.0.2.30:80', '--thresholds']],
    [['-t', '192.0.2.30:80', '--nosort'], ['-t', '192.0.2.30:80', '--nosort']],
  ];
  for (const [mine, theirs] of cases) {
    it(`list ${mine.join(' ')} is ipvsadm -L -n ${theirs.join(' ')}, byte for byte`, async () => {
      const r = await cli('list', '-n', ...mine);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const reference = ns.ipvsadm('-L', '-n', ...theirs);
      expect(reference).not.toMatch(/^IP Virtual Server/); // one service: no version line
      expect(r.stdout).toBe(reference);
    });
  }

  it('a service that does not exist is one line and status 1', async () => {
    const r = await cli('list', '-t', '192.0.2.99:80');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('node-ipvs: service tcp 192.0.2.99:80 does not exist (ESRCH)\n');
  });
});

describe('node-ipvs list: order', () => {
  it('-n, --sort and --nosort print what ipvsadm -L -n prints with the same flags', async () => {
    expect((await cli('list', '-n')).stdout).toBe(ns.ipvsadm('-L', '-n'));
    expect((await cli('list', '--sort')).stdout).toBe(ns.ipvsadm('-L', '-n'));
    expect((await cli('list', '--nosort')).stdout).toBe(ns.ipvsadm('-L', '-n', '--nosort'));
  });

  /** "TCP  192.0.2.30:80" and "  -> 198.51.100.9:80" names, from text or from JSON. */
  const textOrder = (text: string) => text.split('\n').slice(3).filter(Boolean).map((l) => l.trim().split(/\s+/).slice(0, l.startsWith('  ->') ? 2 : 2).join(' '));
  const jsonOrder = (json: string) => {
    const { services } = JSON.parse(json) as { services: Array<{ key: Record<string, unknown>; family: string; destinations: Array<{ key: { address: string; port: number } }> }> };
    const host = (a: string, p: number) => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
    return services.flatMap((s) => [
      'fwmark' in s.key ? `FWM ${s.key.fwmark}` : `${String(s.key.protocol).toUpperCase()} ${host(s.key.address as string, s.key.port as number)}`,
      ...s.destinations.map((d) => `-> ${host(d.key.address, d.key.port)}`),
    ]);
  };

  it('--json lists services and destinations in the order the text does', async () => {
    const text = (await cli('list')).stdout;
    const json = (await cli('list', '--json')).stdout;
    expect(jsonOrder(json)).toEqual(textOrder(text));
    // The kernel's own order differs (else this test would prove nothing), and --nosort keeps it in both.
    const kernelOrder = jsonOrder((await cli('list', '--json', '--nosort')).stdout);
    expect(kernelOrder).not.toEqual(textOrder(text));
    expect(kernelOrder).toEqual(textOrder((await cli('list', '--nosort')).stdout));
  });
});

describe('node-ipvs list | head', () => {
  it('stops quietly when the reader goes away, as ipvsadm does', async () => {
    const big = await ns.open();
    try {
      const lines = Array.from({ length: 4000 }, (_, i) => `-A -t 203.0.113.${i % 250}:${1000 + Math.floor(i / 250)} -s rr`).join('\n');
      const result = await big.restore(lines);
      expect(result.ok).toBe(true);
    } finally {
      big.close();
    }
    const r = await spawnAsync('bash', ['-c', `"${process.execPath}" "${CLI}" list --netns ${ns.name} | head -2; echo "status \${PIPESTATUS[0]}" >&2`]);
    expect(r.stdout.split('\n')).toHaveLength(3);
    expect(r.stderr).toBe('status 141\n');
  });
});
