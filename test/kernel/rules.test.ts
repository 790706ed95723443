/**
 * Rules text against the real tool: random tables (every attribute, IPv4,
 * IPv6, fwmark, every scheduler and method) restored by the library in one
 * namespace and by `ipvsadm -R` in another give identical tables; save()
 * round-trips through both tools; the CLI's listings equal ipvsadm's.
 */
import { describe, expect, it } from 'vitest';
import { formatRules, IpvsPartialError, IpvsValidationError, parseRules } from '../../lib';
import type { ParsedRule, RestoreLineResult } from '../../lib';
import { spawnAsync } from '../helpers/child';
import { settled, settleDaemon, TestNamespace, useNamespacePair } from '../helpers/kernel';
import { seeded as prng } from '../helpers/random';

const CLI = require.resolve('../../dist/cli/main.js');

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

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const { stdout, stderr, status } = await spawnAsync(process.execPath, [CLI, ...args]);
  return { stdout, stderr, code: status };
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

/** `count` service lines, one per port of 192.0.2.9 (ports from 1). */
function serviceLines(count: number, address = '192.0.2.9'): string {
  return `${Array.from({ length: count }, (_, i) => `-A -t ${address}:${i + 1} -s rr`).join('\n')}\n`;
}

function statuses(lines: readonly RestoreLineResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines) out[l.status] = (out[l.status] ?? 0) + 1;
  return out;
}

describe('every line is checked before anything is sent (issue 8, item 6)', () => {
  it.each([
    '-E -t 192.0.2.74:1 -s rr -o',
    '-E -t 192.0.2.74:1 -s rr -b 60',
    '-E -t 192.0.2.74:1 -s \ud800',
    '-e -t 192.0.2.74:1 -r 198.51.100.1:80 -m -x 5 -y 10',
  ])('600 -A lines then %s: IpvsRulesError naming line 601, nothing in the kernel', async (bad) => {
    const text = `${serviceLines(600, '192.0.2.74')}${bad}\n`;
    const err = await ctx.ipvs.restore(text).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_IPVS_RULES', line: 601 });
    expect(ctx.mine.saved()).toEqual([]);
  });
});

describe('ipvsadm -R input beyond table changes (issue 8, item 17)', () => {
  it('--pe without persistence: kept by the kernel, taken by the API and by rules text as ipvsadm takes it', async () => {
    await ctx.ipvs.addService({ protocol: 'tcp', address: '192.0.2.2', port: 80 }, { scheduler: 'rr', persistenceEngine: 'sip' });
    ctx.theirs.ipvsadm('-A', '-t', '192.0.2.2:80', '-s', 'rr', '--pe', 'sip');
    const text = '-A -u 192.0.2.1:5060 -s rr --pe sip\n-A -t 192.0.2.3:80 -s rr\n-E -t 192.0.2.3:80 -s wrr --pe sip\n';
    expect((await ctx.ipvs.restore(text)).ok).toBe(true);
    ctx.theirs.restore(text);
    const saved = ctx.mine.ipvsadm('-S', '-n');
    expect(saved).toBe(ctx.theirs.ipvsadm('-S', '-n'));
    expect(saved).toContain('-A -t 192.0.2.3:80 -s wrr --pe sip');
    // What ipvsadm saved restores here, and save() writes it back the same.
    await ctx.ipvs.flush();
    expect((await ctx.ipvs.restore(ctx.theirs.ipvsadm('-S', '-n'))).ok).toBe(true);
    expect(await ctx.ipvs.save()).toBe(saved);
  });

  it('--set, --start-daemon and --stop-daemon lines do what ipvsadm -R does with them', async () => {
    const text = '--set 11 22 33\n--start-daemon master --mcast-interface lo --syncid 7\n-A -t 192.0.2.3:80 -s rr\n--set 0 0 44\n--stop-daemon backup\n';
    const r = await ctx.ipvs.restore(text);
    expect(r.lines.map((l) => [l.line, l.status, l.error?.code])).toEqual([
      [1, 'applied', undefined], [2, 'applied', undefined], [3, 'applied', undefined], [4, 'applied', undefined], [5, 'failed', 'ESRCH'],
    ]);
    // ipvsadm -R exits 255 after the failing last line: it gets the lines that succeed.
    ctx.theirs.restore(text.split('\n').slice(0, 4).join('\n'));
    try {
      expect(ctx.mine.ipvsadm('-L', '-n', '--timeout')).toBe('Timeout (tcp tcpfin udp): 11 22 44\n');
      expect(ctx.mine.ipvsadm('-L', '-n', '--timeout')).toBe(ctx.theirs.ipvsadm('-L', '-n', '--timeout'));
      expect(ctx.mine.ipvsadm('-L', '-n', '--daemon')).toMatch(/^master sync daemon \(mcast=lo, syncid=7/);
      expect(ctx.mine.ipvsadm('-L', '-n', '--daemon')).toBe(ctx.theirs.ipvsadm('-L', '-n', '--daemon'));
      expect(ctx.mine.saved()).toEqual(ctx.theirs.saved());
    } finally {
      await settleDaemon();
      const stopped = await ctx.ipvs.restore('--stop-daemon master\n');
      ctx.theirs.restore('--stop-daemon master\n');
      expect(stopped.ok).toBe(true);
      expect(ctx.mine.ipvsadm('-L', '-n', '--daemon')).toBe('');
    }
  });
});

describe('a restore cut short says what took effect (issue 8, item 7)', () => {
  it('close() after 1,024 of 5,000 lines: IpvsPartialError whose applied count is what ipvsadm -Sn shows', async () => {
    const client = await ctx.mine.open();
    const err = await client.restore(serviceLines(5000), {
      onProgress: (done) => {
        if (done >= 1024) client.close();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsPartialError);
    const cut = err as IpvsPartialError<RestoreLineResult>;
    expect(cut.code).toBe('ECANCELED');
    expect(cut.operation).toBe('restore');
    expect(cut.results).toHaveLength(5000);
    expect(statuses(cut.results)).toEqual({ applied: 1024, skipped: 3976 });
    expect([cut.applied, cut.unknown, cut.notSent]).toEqual([1024, 0, 3976]);
    expect(cut.results[1024]).toMatchObject({ line: 1025, status: 'skipped' });
    expect(ctx.mine.saved().length).toBe(cut.applied);
  });

  it('an error thrown between two sends (an update refused once the kernel state is read): the earlier sends are reported', async () => {
    const text = `${serviceLines(599, '192.0.2.80')}-a -t 192.0.2.80:1 -r 198.51.100.1:80 -m -x 5\n`;
    const rules: ParsedRule[] = [...parseRules(text), {
      line: 601, text: 'lower threshold above the upper one the kernel holds',
      operation: {
        op: 'updateDestination', service: { protocol: 'tcp', address: '192.0.2.80', port: 1 },
        destination: { address: '198.51.100.1', port: 80 }, options: { lowerThreshold: 10 },
      },
    }];
    const err = await ctx.ipvs.restore(rules).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsPartialError);
    const cut = err as IpvsPartialError<RestoreLineResult>;
    expect(cut.cause).toBeInstanceOf(IpvsValidationError);
    expect(statuses(cut.results)).toEqual({ applied: 512, skipped: 89 });
    expect(ctx.mine.saved().length).toBe(512);
  });

  it('an aborted signal stops it before the next send; the send in flight finishes', async () => {
    const controller = new AbortController();
    const err = await ctx.ipvs.restore(serviceLines(2000), {
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 512) controller.abort(new Error('enough'));
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'IpvsPartialError', code: 'ECANCELED', applied: 512, notSent: 1488 });
    expect((err as IpvsPartialError).cause).toMatchObject({ message: 'enough' });
    expect(ctx.mine.saved().length).toBe(512);
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
    const restored = await spawnAsync(process.execPath, [CLI, 'restore', '--netns', ctx.theirs.name], { input: saved.stdout });
    expect([restored.status, restored.stderr]).toEqual([0, '']);
    expect(ctx.theirs.ipvsadm('-S', '-n')).toBe(ctx.mine.ipvsadm('-S', '-n'));
    // Restoring the same again: every line fails with EEXIST, each reported, exit 1.
    const again = await spawnAsync(process.execPath, [CLI, 'restore', '--netns', ctx.theirs.name], { input: saved.stdout });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/line 1: .*already exists/);
    expect(again.stderr).toMatch(/0 applied, \d+ failed/);
    // A bad text: nothing applied, the bad line named.
    const bad = await spawnAsync(process.execPath, [CLI, 'restore', '--netns', ctx.theirs.name], { input: '-C\n-A -t 192.0.2.1:80 -s\n' });
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

  it('restore interrupted by SIGINT finishes the batch in flight, says how far it got, exits 130 (item 7)', async () => {
    const { spawn } = await import('node:child_process');
    const total = 30_000;
    const child = spawn(process.execPath, [CLI, 'restore', '--netns', ctx.mine.name], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stdin.end(serviceLines(total));
    // The first line's service in the kernel: the restore is sending. Then Ctrl-C.
    for (;;) {
      const started = await ctx.ipvs.getService({ protocol: 'tcp', address: '192.0.2.9', port: 1 }).then(() => true, () => false);
      if (started || child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const m = /restore interrupted: (\d+) of 30000 lines applied, stopped at line (\d+)/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    const applied = Number(m![1]);
    expect(applied).toBeGreaterThan(0);
    expect(applied).toBeLessThan(total);
    expect(Number(m![2])).toBe(applied + 1);
    expect((await settled(() => ctx.ipvs.listServices())).length).toBe(applied);
  });

  it('restore whose lines all fail alike prints the reason once with the count (item 19)', async () => {
    const down = new TestNamespace('lodown', { loUp: false });
    try {
      const dests = Array.from({ length: 2000 }, (_, i) => `-a -t 192.0.2.1:80 -r 198.51.100.1:${i + 1} -m`).join('\n');
      const r = await spawnAsync(process.execPath, [CLI, 'restore', '--netns', down.name], { input: `-A -t 192.0.2.1:80 -s rr\n${dests}\n` });
      expect(r.status).toBe(1);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines.length, r.stderr).toBeLessThanOrEqual(6);
      expect(lines[0]).toMatch(/^2000 lines failed with EINVAL \(addDestination\); the first, line 2: .*`lo` up/);
      expect(lines.at(-1)).toBe('node-ipvs restore: 1 applied, 2000 failed');
    } finally {
      down.delete();
    }
  });
});
