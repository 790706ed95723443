/**
 * One list of system packages (scripts/packages.txt, issue 8 item 11): README,
 * docs, setup.sh, the build check and the addon loader's messages all say the
 * same, and a build with one -dev package missing names that package.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFailureMessage } from '../../lib/binding';
import { PACKAGE_ROOT, systemPackages, type PackageRole } from '../../lib/system-packages';

const root = PACKAGE_ROOT;
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const roles: PackageRole[] = ['runtime', 'build', 'sandbox', 'develop'];

/** Every `apt-get install -y A B C` in README.md and docs/**.md, as package lists. */
function installCommands(): { file: string; packages: string[] }[] {
  const files = ['README.md', ...readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  return files.flatMap((file) => [...read(file).matchAll(/apt-get install -y((?: [a-z0-9][\w.+:-]*)+)/g)]
    .map((m) => ({ file, packages: m[1]!.trim().split(' ') })));
}

const tmp = mkdtempSync(join(tmpdir(), 'node-ipvs-packages-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('system packages: one list', () => {
  it('scripts/packages.txt names the libnl runtime, its -dev packages with their pkg-config modules, and the tools', () => {
    expect(systemPackages('runtime')).toEqual(['libnl-3-200', 'libnl-genl-3-200']);
    expect(systemPackages('build')).toEqual(expect.arrayContaining(['libnl-3-dev', 'libnl-genl-3-dev', 'libnl-route-3-dev', 'pkg-config', 'g++']));
    expect(systemPackages('sandbox')).toEqual(expect.arrayContaining(['user-mode-linux', 'ipvsadm']));
  });

  it('every apt-get install line in README.md and docs installs exactly one role of the list', () => {
    const commands = installCommands();
    // The README shows the runtime, the build and the sandbox lines at least.
    expect(commands.filter((c) => c.file === 'README.md').length).toBeGreaterThanOrEqual(3);
    const lists = Object.fromEntries(roles.map((r) => [systemPackages(r).join(' '), r]));
    for (const c of commands) expect({ ...c, role: lists[c.packages.join(' ')] }).toEqual({ ...c, role: expect.any(String) });
    for (const role of ['runtime', 'build', 'sandbox'] as const) {
      expect(commands.some((c) => c.file === 'README.md' && lists[c.packages.join(' ')] === role)).toBe(true);
    }
  });

  it('scripts/setup.sh installs every package of the list, read from the file', () => {
    const r = spawnSync('bash', [join(root, 'scripts/setup.sh'), '--list'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(roles.flatMap((role) => systemPackages(role)));
  });

  it("the loader's messages quote the runtime list for a missing library and the build list when nothing is built", () => {
    const missingLib = loadFailureMessage(new Error(
      '/x/node_modules/node-ipvs/prebuilds/linux-x64/node-ipvs.glibc.node: libnl-genl-3.so.200: cannot open shared object file: No such file or directory'));
    expect(missingLib).toContain('needs libnl-genl-3.so.200');
    expect(missingLib).toContain(`\`apt-get install -y ${systemPackages('runtime').join(' ')}\``);
    const notBuilt = loadFailureMessage(new Error(
      'No native build was found for platform=linux arch=riscv64 runtime=node abi=115 uv=1 libc=glibc node=20.20.2\n    loaded from: /x'));
    expect(notBuilt).toContain('not built');
    expect(notBuilt).toContain(`\`apt-get install -y ${systemPackages('build').join(' ')}\``);
    expect(loadFailureMessage(new Error('wrong ELF class: ELFCLASS32'))).toBe('node-ipvs: the native addon failed to load.');
  });
});

describe('the build names what is missing', () => {
  const flags = (env: Record<string, string>, flag = '--cflags-only-I') =>
    spawnSync('node', [join(root, 'scripts/libnl-flags.mjs'), flag], { encoding: 'utf8', env: { ...process.env, ...env } });

  it('with every -dev package, prints the include directories and the libraries', () => {
    const r = flags({});
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('-I');
    expect(r.stdout.trim().split(/\s+/).length).toBeGreaterThan(0);
    expect(flags({}, '--libs').stdout.trim().split(/\s+/)).toEqual(expect.arrayContaining(['-lnl-genl-3', '-lnl-3']));
  });

  it('with one -dev package missing, names that one package and its pkg-config module, and fails', () => {
    // A pkg-config search path holding every module but libnl-genl-3.0: libnl-genl-3-dev is "missing".
    const dir = spawnSync('pkg-config', ['--variable', 'pcfiledir', 'libnl-3.0'], { encoding: 'utf8' }).stdout.trim();
    for (const pc of ['libnl-3.0.pc', 'libnl-route-3.0.pc']) copyFileSync(join(dir, pc), join(tmp, pc));
    const r = flags({ PKG_CONFIG_LIBDIR: tmp, PKG_CONFIG_PATH: '' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('missing libnl-genl-3-dev (pkg-config libnl-genl-3.0)');
    expect(r.stderr).not.toContain('missing libnl-3-dev');
    expect(r.stderr).toContain('install it with: apt-get install libnl-genl-3-dev\n');
  });

  it('with none, names each', () => {
    const r = flags({ PKG_CONFIG_LIBDIR: '/nonexistent', PKG_CONFIG_PATH: '' }, '--libs');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('missing libnl-3-dev (pkg-config libnl-3.0)');
    expect(r.stderr).toContain('missing libnl-genl-3-dev (pkg-config libnl-genl-3.0)');
  });

  it('binding.gyp takes its libnl flags from that check only', () => {
    const gyp = read('binding.gyp');
    expect(gyp).not.toMatch(/pkg-config/);
    expect(gyp).toContain('node scripts/libnl-flags.mjs --cflags-only-I');
    expect(gyp).toContain('node scripts/libnl-flags.mjs --libs');
  });
});
