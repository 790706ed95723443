/**
 * Rules text against the real tool: random tables (every attribute, IPv4,
 * IPv6, fwmark, every scheduler and method) restored by the library in one
 * namespace and by `ipvsadm -R` in another give identical tables; save()
 * round-trips through both tools; the CLI's listings equal ipvsadm's.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatRules, parseRules } from '../../lib';
import { useNamespacePair } from '../helpers/kernel';

const run = promisify(execFile);
const CLI = require.resolve('../../dist/cli/main.js');

/** A small deterministic PRNG, so a failing table can be reproduced from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'];

/**
 * Random rules text. Addresses stay inside the documentation ranges and marks below
 * 2^31, where ipvsadm's own sort order is consistent (see lib/rules/order.ts).
 */
function randomRules(seed: number, services: number): string {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const lines: string[] = [];
  const used = new Set<string>();
  for (let i = 0; i < services; i++) {
    const kind = pick(['tcp', 'udp', 'sctp', 'fwmark', 'tcp6', 'fwmark6']);
    const v6 = kind.endsWith('6');
    let svc: string;
    if (kind.startsWith('fwmark')) svc = `-f ${1 + Math.floor(r() * 100000)}${v6 ? ' -6' : ''}`;
    else {
      const addr = v6 ? `[2001:db8::${(1 + Math.floor(r() * 4000)).toString(16)}]` : `192.0.2.${1 + Math.floor(r() * 250)}`;
      const opt = kind === 'udp' ? '-u' : kind === 'sctp' ? '--sctp-service' : '-t';
      svc = `${opt} ${addr}:${1 + Math.floor(r() * 65000)}`;
    }
    if (used.has(svc)) continue;
    used.add(svc);
    const sched = pick(SCHEDULERS);
    let line = `-A ${svc} -s ${sched}`;
    const persistent = r() < 0.4;
    if (persistent) {
      line += ` -p ${1 + Math.floor(r() * 3600)}`;
      if (r() < 0.5) line += v6 ? ` -M ${64 + Math.floor(r() * 64)}` : ` -M ${pick(['255.255.255.0', '255.255.0.0', '255.255.255.252'])}`;
      if (kind === 'udp' && r() < 0.5) line += ' --pe sip';
    }
    if ((kind === 'udp' || kind.startsWith('fwmark')) && r() < 0.3) line += ' -o';
    if (sched === 'sh' && r() < 0.5) line += ` -b ${pick(['sh-fallback', 'sh-port', 'sh-fallback,sh-port'])}`;
    else if (sched === 'mh' && r() < 0.5) line += ` -b ${pick(['mh-fallback', 'mh-port'])}`;
    // (ipvsadm -S writes flag-3 of sh and mh services as an empty '-b ': kept out of the comparison.)
    else if (sched !== 'sh' && sched !== 'mh' && r() < 0.1) line += ' -b flag-3';
    lines.push(line);
    const dests = Math.floor(r() * 5);
    const usedDest = new Set<string>();
    for (let d = 0; d < dests; d++) {
      const method = pick(['-m', '-g', '-i']);
      const other = method === '-i' && r() < 0.3; // a tunnel to the other family
      const dv6 = other ? !v6 : v6;
      const port = method === '-m' ? `:${1 + Math.floor(r() * 65000)}` : '';
      const host = dv6 ? `2001:db8:1::${(1 + Math.floor(r() * 4000)).toString(16)}` : `198.51.100.${1 + Math.floor(r() * 250)}`;
      const daddr = dv6 && port ? `[${host}]` : host;
      if (usedDest.has(`${daddr}${port}`) || (other && kind.startsWith('fwmark'))) continue;
      usedDest.add(`${daddr}${port}`);
      let dl = `-a ${svc} -r ${daddr}${port} ${method} -w ${Math.floor(r() * 100)}`;
      if (method === '-i') {
        const type = pick(['ipip', 'gue', 'gre']);
        if (type === 'gue') dl += ` --tun-type gue --tun-port ${1 + Math.floor(r() * 65000)} ${pick(['--tun-nocsum', '--tun-csum', '--tun-remcsum'])}`;
        else if (type === 'gre') dl += ` --tun-type gre ${pick(['--tun-nocsum', '--tun-csum'])}`;
        else if (r() < 0.5) dl += ' --tun-type ipip';
      }
      if (r() < 0.3) {
        const upper = 1 + Math.floor(r() * 1000);
        dl += ` -x ${upper} -y ${Math.floor(r() * upper)}`;
      }
      lines.push(dl);
    }
  }
  return `${lines.join('\n')}\n`;
}

const ctx = useNamespacePair('rules');

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('restore and save against ipvsadm', () => {
  it.each([1, 2, 3, 4, 5])('random table (seed %i): library restore = ipvsadm -R; save() = ipvsadm -S -n', async (seed) => {
    const text = randomRules(seed, 60);
    const result = await ctx.ipvs.restore(text);
    expect(result.lines.filter((l) => l.status !== 'applied').map((l) => `${l.line} ${l.text}: ${l.error?.message}`)).toEqual([]);
    expect(result.applied).toBe(parseRules(text).length);
    ctx.theirs.restore(text);
    const mine = ctx.mine.ipvsadm('-S', '-n');
    expect(mine).toBe(ctx.theirs.ipvsadm('-S', '-n'));
    expect(ctx.mine.ipvsadm('-L', '-n', '--thresholds')).toBe(ctx.theirs.ipvsadm('-L', '-n', '--thresholds'));
    // The library's save: ipvsadm's lines in ipvsadm's order, exactly.
    expect(await ctx.ipvs.save({ thresholds: false })).toBe(mine);
    // With thresholds, it still restores with ipvsadm, and loses nothing.
    const full = await ctx.ipvs.save();
    await ctx.reader.flush();
    ctx.theirs.restore(full);
    expect(ctx.theirs.ipvsadm('-L', '-n', '--thresholds')).toBe(ctx.mine.ipvsadm('-L', '-n', '--thresholds'));
    expect(await ctx.reader.save()).toBe(full);
    // And the library reads back what ipvsadm wrote, as formatRules would write it.
    expect(formatRules(await ctx.reader.getTable())).toBe(full);
  });

  it('keeps fwmarks of 2^31 and above, which ipvsadm -S writes negative and cannot read back', async () => {
    await ctx.ipvs.restore('-A -f 3000000000 -s rr\n-a -f 3000000000 -r 198.51.100.1:0 -g\n');
    expect(ctx.mine.ipvsadm('-S', '-n')).toContain('-A -f -1294967296 -s rr');
    const saved = await ctx.ipvs.save();
    expect(saved).toBe('-A -f 3000000000 -s rr\n-a -f 3000000000 -r 198.51.100.1:0 -g -w 1\n');
    ctx.theirs.restore(saved);
    expect(ctx.theirs.ipvsadm('-S', '-n')).toBe(ctx.mine.ipvsadm('-S', '-n'));
    // ipvsadm's own negative spelling reads back too.
    await ctx.reader.flush();
    await ctx.reader.restore(ctx.mine.ipvsadm('-S', '-n'));
    expect(await ctx.reader.save()).toBe(saved);
  });

  it('edits and deletions mean what they mean to ipvsadm -R', async () => {
    const text = [
      '-A -t 192.0.2.1:80 -s sh -b sh-port -p 60',
      '-a -t 192.0.2.1:80 -r 198.51.100.1:8080 -m -w 5 -x 10 -y 2',
      '-a -t 192.0.2.1:80 -r 198.51.100.2 -g',
      '-E -t 192.0.2.1:80 -s rr',
      '-e -t 192.0.2.1:80 -r 198.51.100.1:8080 -m -w 7',
      '-d -t 192.0.2.1:80 -r 198.51.100.2',
      '-A -u 192.0.2.2:53 -s rr',
      '-Z -u 192.0.2.2:53',
      '-D -u 192.0.2.2:53',
      '',
    ].join('\n');
    expect((await ctx.ipvs.restore(text)).ok).toBe(true);
    ctx.theirs.restore(text);
    expect(ctx.mine.ipvsadm('-S', '-n')).toBe(ctx.theirs.ipvsadm('-S', '-n'));
    expect(ctx.mine.ipvsadm('-L', '-n', '--thresholds')).toBe(ctx.theirs.ipvsadm('-L', '-n', '--thresholds'));
  });
});

describe('restore outcomes', () => {
  const text = '-A -t 192.0.2.1:80 -s rr\n-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.9:80 -r 198.51.100.1\n-A -t 192.0.2.2:80 -s rr\n';

  it('by default applies every line it can and reports each failure with its line', async () => {
    const r = await ctx.ipvs.restore(text);
    expect(r.lines.map((l) => [l.line, l.status, l.error?.code])).toEqual([
      [1, 'applied', undefined], [2, 'failed', 'EEXIST'], [3, 'failed', 'ESRCH'], [4, 'applied', undefined],
    ]);
    expect([r.applied, r.failed, r.skipped, r.ok]).toEqual([2, 2, 0, false]);
    expect(ctx.mine.saved()).toEqual(['-A -t 192.0.2.1:80 -s rr', '-A -t 192.0.2.2:80 -s rr']);
  });

  it('with stopOnError stops at the first failure: later lines are skipped, not sent', async () => {
    const r = await ctx.ipvs.restore(text, { stopOnError: true });
    expect(r.lines.map((l) => l.status)).toEqual(['applied', 'failed', 'skipped', 'skipped']);
    expect(ctx.mine.saved()).toEqual(['-A -t 192.0.2.1:80 -s rr']);
  });

  it('applies nothing from a text with a bad line', async () => {
    await expect(ctx.ipvs.restore('-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r nowhere\n')).rejects.toMatchObject({ code: 'ERR_IPVS_RULES', line: 2 });
    expect(ctx.mine.saved()).toEqual([]);
  });
});

describe('node-ipvs command line', () => {
  it('list prints what ipvsadm -L -n prints, in every format', async () => {
    ctx.mine.restore(randomRules(9, 20));
    for (const flags of [[], ['--tun-info'], ['--thresholds'], ['--persistent-conn'], ['--stats', '--exact'], ['--rate', '--exact'], ['--stats']]) {
      const ours = await cli('list', '--netns', ctx.mine.name, ...flags);
      expect(ours.code).toBe(0);
      expect(ours.stdout).toBe(ctx.mine.ipvsadm('-L', '-n', ...flags));
    }
    const json = JSON.parse((await cli('list', '--json', '--netns', ctx.mine.name)).stdout);
    expect(json.services.length).toBe((await ctx.ipvs.listServices()).length);
  });

  it('save | restore moves a table between namespaces; the exit codes say what happened', async () => {
    ctx.mine.restore(randomRules(11, 30));
    const saved = await cli('save', '--netns', ctx.mine.name);
    expect(saved.code).toBe(0);
    const { spawnSync } = await import('node:child_process');
    const restored = spawnSync(process.execPath, [CLI, 'restore', '--netns', ctx.theirs.name], { input: saved.stdout, encoding: 'utf8' });
    expect([restored.status, restored.stderr]).toEqual([0, '']);
    expect(ctx.theirs.ipvsadm('-S', '-n')).toBe(ctx.mine.ipvsadm('-S', '-n'));
    // Restoring the same again: every line fails with EEXIST, each reported, exit 1.
    const again = spawnSync(process.execPath, [CLI, 'restore', '--netns', ctx.theirs.name], { input: saved.stdout, encoding: 'utf8' });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/line 1: .*already exists/);
    expect(again.stderr).toMatch(/0 applied, \d+ failed/);
    // A bad text: nothing applied, the bad line named.
    const bad = spawnSync(process.execPath, [CLI, 'restore', '--netns', ctx.theirs.name], { input: '-C\n-A -t 192.0.2.1:80 -s\n', encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/line 2: option -s needs a value/);
    expect(ctx.theirs.ipvsadm('-S', '-n')).toBe(ctx.mine.ipvsadm('-S', '-n'));
  });

  it('edits services and destinations; kernel errors keep their code; usage errors exit 2', async () => {
    const ns = ['--netns', ctx.mine.name];
    expect((await cli('add-service', ...ns, '--tcp', '192.0.2.1:80', '--scheduler', 'wrr', '--persistent', '300')).code).toBe(0);
    expect((await cli('add-dest', ...ns, '--tcp', '192.0.2.1:80', '--server', '198.51.100.1:8080', '--method', 'nat', '--weight', '3', '--upper', '9')).code).toBe(0);
    expect((await cli('edit-dest', ...ns, '--tcp', '192.0.2.1:80', '--server', '198.51.100.1:8080', '--weight', '4')).code).toBe(0);
    expect((await cli('edit-service', ...ns, '--tcp', '192.0.2.1:80', '--scheduler', 'rr')).code).toBe(0);
    expect(ctx.mine.saved()).toEqual(['-A -t 192.0.2.1:80 -s rr -p 300', '-a -t 192.0.2.1:80 -r 198.51.100.1:8080 -m -w 4']);
    const dup = await cli('add-service', ...ns, '--tcp', '192.0.2.1:80');
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/service tcp 192.0.2.1:80 already exists \(EEXIST\)/);
    const missing = await cli('delete-dest', ...ns, '--tcp', '192.0.2.1:80', '--server', '198.51.100.9');
    expect([missing.code, /does not exist \(ENOENT\)/.test(missing.stderr)]).toEqual([1, true]);
    const usage = await cli('add-dest', ...ns, '--tcp', '192.0.2.1:80');
    expect([usage.code, /--server/.test(usage.stderr)]).toEqual([2, true]);
    const invalid = await cli('add-dest', ...ns, '--tcp', '192.0.2.1:80', '--server', '198.51.100.2', '--weight', '99999999999');
    expect([invalid.code, /weight/.test(invalid.stderr)]).toEqual([1, true]);
    expect((await cli('delete-service', ...ns, '--tcp', '192.0.2.1:80')).code).toBe(0);
    expect((await cli('timeouts', ...ns, '--udp', '301')).stdout).toMatch(/Timeout \(tcp tcpfin udp\): \d+ \d+ 301/);
    expect((await cli('info', ...ns)).stdout).toMatch(/^IP Virtual Server version 1\.2\.1/);
    expect((await cli('flush', ...ns)).code).toBe(0);
    expect((await cli('nonsense')).code).toBe(2);
    expect((await cli('list', '--help')).stdout).toMatch(/usage: node-ipvs list/);
  });
});
