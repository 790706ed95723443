/**
 * The command line without a kernel: version, suggestions for typos, help screens that fit
 * 80 columns and list only options their command takes, one-line errors, a quiet exit on a
 * closed pipe. (Listings against the kernel: test/kernel/cli-list.test.ts.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { IpvsError, IpvsHostError, IpvsValidationError } from '../../lib/errors';
import { fitHelp, UsageError, type Command } from '../../lib/cli/common';
import { COMMANDS as COMMAND_TABLE, describeError } from '../../lib/cli/main';
import { hostCommand } from '../../lib/cli/host';
import { listCommand } from '../../lib/cli/list';
import { suggestCommand } from '../../lib/cli/suggest';
const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** Every command the CLI has: a new one is covered by these tests without being listed here. */
const COMMANDS: Record<string, Command> = {};
beforeAll(async () => {
  for (const [name, entry] of COMMAND_TABLE) COMMANDS[name] = await entry.load();
});

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

/** The CLI's stdout, without blocking the test's event loop: many of these run side by side. */
function cliOut(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
    child.on('error', reject).on('close', () => resolve(out));
  });
}

/** Runs a command in this process with stdout captured; nothing reaches the kernel with --help. */
async function captured(run: () => Promise<number>): Promise<{ out: string; code: number | null; error: unknown }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    const code = await run();
    return { out, code, error: null };
  } catch (error) {
    return { out, code: null, error };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

const hostRoles = () => {
  const help = cli('host', '--help').stdout;
  return [...help.slice(help.indexOf('roles:')).matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]);
};

/** Every help screen: the top level, each command, host and each host ROLE. */
function helpScreens(): Promise<Array<[string, string]>> {
  const argvs = [['--help'], ...[...COMMAND_TABLE.keys()].map((name) => [name, '--help']), ['host', '--help'],
    ...hostRoles().map((role) => ['host', role, '--help'])];
  return Promise.all(argvs.map(async (argv): Promise<[string, string]> => [argv.join(' '), await cliOut(...argv)]));
}

describe('node-ipvs --version', () => {
  it('prints the package version, with -V too', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) expect(cli(flag)).toMatchObject({ status: 0, stdout: `node-ipvs ${version}\n`, stderr: '' });
  });
});

describe('start-up', () => {
  // Every command pays for what the CLI loads before it runs (12 s for ipvsadm-like commands under
  // the sandbox kernel once prom-client came in): each command's file loads only when it runs, and
  // yaml, undici and prom-client only when a config is read, an HTTP check made, metrics registered.
  const HEAVY = /[\\/]node_modules[\\/](yaml|undici|prom-client)[\\/]|[\\/]dist[\\/]cli[\\/](apply|director|metrics|host)\.js/;
  function loaded(...argv: string[]): { stdout: string; heavy: string[] } {
    const preload = join(mkdtempSync(join(tmpdir(), 'startup-')), 'loaded.js');
    writeFileSync(preload, `process.on('exit', () => process.stderr.write(Object.keys(require.cache).join('\\n')));`);
    const r = spawnSync(process.execPath, ['-r', preload, ...argv], { encoding: 'utf8' });
    const heavy = [...new Set(r.stderr.split('\n').filter((f) => HEAVY.test(f)).map((f) => f.match(HEAVY)![0]))];
    return { stdout: r.stdout, heavy };
  }

  it('loads none of yaml, undici, prom-client or other commands\' files for --version and list --help', () => {
    expect(loaded(CLI, '--version')).toEqual({ stdout: expect.stringMatching(/^node-ipvs /), heavy: [] });
    expect(loaded(CLI, 'list', '--help')).toEqual({ stdout: expect.stringMatching(/^usage: node-ipvs list/), heavy: [] });
  });

  it('a command loads its own file and no other command\'s', () => {
    expect(loaded(CLI, 'apply', '--help').heavy.sort()).toEqual(['/dist/cli/apply.js']);
    expect(loaded(CLI, 'metrics', '--help').heavy.sort()).toEqual(['/dist/cli/metrics.js']);
  });

  it('require("node-ipvs") loads none of them: they come with the first config, HTTP check or metrics', () => {
    expect(loaded('-e', `require(${JSON.stringify(join(ROOT, 'dist', 'index.js'))})`).heavy).toEqual([]);
  });
});

describe('node-ipvs help', () => {
  it('help COMMAND prints that command\'s help; help alone the usage', () => {
    expect(cli('help', 'delete-dest')).toMatchObject({ status: 0, stdout: cli('delete-dest', '--help').stdout });
    expect(cli('help')).toMatchObject({ status: 0, stdout: cli('--help').stdout });
  });
});

describe('a mistyped command', () => {
  it('gets the nearest command in one line, not the whole usage', () => {
    const r = cli('lsit');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("node-ipvs: unknown command 'lsit': did you mean list? (see node-ipvs --help)\n");
    expect(cli('delete-dst').stderr).toMatch(/did you mean delete-dest\?/);
    expect(cli('-L').stderr).toMatch(/did you mean list\?/);
    expect(cli('frobnicate').stderr).toBe("node-ipvs: unknown command 'frobnicate' (see node-ipvs --help)\n");
  });

  it('suggests only what is close and unambiguous', () => {
    const names = [...COMMAND_TABLE.keys()];
    expect(suggestCommand('lst', names)).toBe('list');
    expect(suggestCommand('rstore', names)).toBe('restore');
    expect(suggestCommand('add-serivce', names)).toBe('add-service');
    expect(suggestCommand('x', names)).toBeNull();
    expect(suggestCommand('-R', names)).toBe('restore');
    expect(suggestCommand('-Ln', names)).toBe('list');
    expect(suggestCommand('-Lnc', names)).toBe('list -c');
    expect(suggestCommand('constructor', names)).toBeNull();
    expect(suggestCommand('__proto__', names)).toBeNull();
  });
});

describe('help screens', () => {
  // One process per screen (about 30): the time is the machine's, not a property of the help.
  it('every line of every help screen fits 80 columns', async () => {
    const screens = await helpScreens();
    expect(screens.length).toBe([...COMMAND_TABLE.keys()].length + 2 + hostRoles().length);
    for (const [name, text] of screens) {
      expect(text.length, name).toBeGreaterThan(50);
      const long = text.split('\n').filter((l) => l.length > 80);
      expect(long, name).toEqual([]);
    }
  }, 60_000);

  it('fitHelp breaks long lines under the description column', () => {
    const text = `  --flag X   ${'word '.repeat(30)}end\n`;
    const fitted = fitHelp(text);
    expect(fitted.split('\n').every((l) => l.length <= 80)).toBe(true);
    expect(fitted.split('\n')[1]).toMatch(/^ {13}word/);
    expect(fitted.replace(/\s+/g, ' ')).toBe(text.replace(/\s+/g, ' '));
  });

  it('each command\'s help lists only options that command takes', async () => {
    let checked = 0;
    for (const [name, command] of Object.entries(COMMANDS)) {
      if (name === 'host') continue;  // its options are its roles': the next test
      const help = (await captured(() => command.run(['--help']))).out;
      // Options in the option list, or only in the usage line (diff: "options: as node-ipvs apply").
      const listed = [...help.matchAll(/(?:^ +(?:-\w, )?|\[)(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]);
      expect(listed.length, name).toBeGreaterThan(0);
      for (const option of listed) {
        // --help after the option: a taken option prints help, an unknown one is a usage error.
        const r = await captured(() => command.run([`${option}=1`, '--help']));
        expect(String((r.error as Error | null)?.message ?? ''), `${name} ${option}`).not.toMatch(/Unknown option/);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(60);
  });

  it('delete-dest --help lists the destination key and no destination settings', () => {
    const help = cli('delete-dest', '--help').stdout;
    expect(help).toMatch(/--server ADDR\[:PORT\]/);
    for (const setting of ['--method', '--weight', '--upper', '--tunnel-type']) expect(help).not.toContain(setting);
  });

  it('host ROLE --help of every role lists options that role takes', async () => {
    for (const role of hostRoles()) {
      const help = cli('host', role, '--help').stdout;
      for (const [, option] of help.matchAll(/^ +(--[a-z][a-z0-9-]*)/gm)) {
        const r = await captured(() => hostCommand.run([role, 'status', `${option}=1`, '--help']));
        expect(String((r.error as Error | null)?.message ?? ''), `${role} ${option}`).not.toMatch(/Unknown option/);
      }
    }
  });
});

describe("the command line's words", () => {
  it('no source file of the commands speaks of "seeds" (the project says what it means)', () => {
    const dir = join(ROOT, 'lib', 'cli');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts')))
      expect(readFileSync(join(dir, f), 'utf8'), f).not.toMatch(/\bseeds?\b/i);
  });

  it('-n and ipvsadm\'s service letters are accepted', async () => {
    for (const args of [['-n', '--help'], ['-n', '-t', '192.0.2.1:80', '--help'], ['--sctp-service', '192.0.2.1:80', '--help'],
      ['-f', '1', '-6', '--help'], ['--sort', '--help'], ['--nosort', '--help'], ['-c', '--help']]) {
      const r = await captured(() => listCommand.run(args));
      expect([r.code, r.error], args.join(' ')).toEqual([0, null]);
    }
    for (const name of ['save', 'flush', 'zero', 'add-service']) {
      const r = await captured(() => COMMANDS[name].run(['-n', '--help']));
      expect([r.code, r.error], name).toEqual([0, null]);
    }
  });

  it('list refuses contradictions as usage errors', async () => {
    for (const args of [['--sort', '--nosort'], ['-c', '-t', '192.0.2.1:80'], ['-c', '--stats'], ['--stats', '--rate'],
      ['-t', '192.0.2.1:80', '-u', '192.0.2.1:53']]) {
      const r = await captured(() => listCommand.run(args));
      expect(r.error, args.join(' ')).toBeInstanceOf(UsageError);
    }
  });
});

describe('errors at the top level', () => {
  it('known failures are one line, without a stack', () => {
    const cases: unknown[] = [
      new IpvsError(17, { operation: 'addService', object: 'service tcp 192.0.2.1:80' }),
      new IpvsValidationError('options.vip', 'x', 'an address'),
      new IpvsHostError('EACCES', 'net/ipv4/ip_forward', 'cannot write net/ipv4/ip_forward\nsecond line'),
      (() => { try { JSON.parse('{"undo": '); } catch (e) { return e; } })(),
      new UsageError("Unknown option '--frob'"),
      Object.assign(new Error("ENOENT: no such file or directory, open 's.json'"), { code: 'ENOENT', path: 's.json' }),
      (() => { try { readFileSync(tmpdir()); } catch (e) { return e; } })(), // EISDIR: no path on the error
    ];
    for (const err of cases) {
      const { text, code } = describeError(err, 'host');
      expect(text.includes('\n'), String(err)).toBe(false);
      expect(text).not.toMatch(/ {4}at /);
      expect(code).toBe(err instanceof UsageError ? 2 : 1);
    }
    expect(describeError(new UsageError('x'), 'list').text).toBe('x (see node-ipvs list --help)');
    expect(describeError(new IpvsError(17, { operation: 'addService', object: 'service tcp 192.0.2.1:80' }), 'add-service').text)
      .toBe('service tcp 192.0.2.1:80 already exists (EEXIST)');
  });

  it('an unexpected error keeps its stack (a bug to report)', () => {
    expect(describeError(new RangeError('boom'), 'list').text).toMatch(/RangeError: boom\n {4}at /);
  });

  it('an addon that cannot be loaded is one line naming the cause', () => {
    // A copy of the package without build/: what a failed install leaves.
    const dir = mkdtempSync(join(tmpdir(), 'node-ipvs-noaddon-'));
    try {
      cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
      cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
      cpSync(join(ROOT, 'scripts', 'packages.txt'), join(dir, 'scripts', 'packages.txt'));
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      const r = spawnSync(process.execPath, [join(dir, 'dist', 'cli', 'main.js'), 'list'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr.split('\n')).toHaveLength(2); // one line and its newline
      expect(r.stderr).toMatch(/^node-ipvs: .*addon.*\(cause: /);
      expect(r.stderr).not.toMatch(/ {4}at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a reader that closes the pipe early ends the command quietly (as SIGPIPE ends ipvsadm)', async () => {
    const child = spawn(process.execPath, [CLI, 'list', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the command writes
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(stderr).toBe('');
    expect(status).toBe(141);
  });
});
