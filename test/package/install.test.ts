/**
 * The npm package as a user gets it (issue 8 items 12, 13, 14): packed from a
 * copy of this tree (prepack builds the prebuilt addon once), installed into an
 * empty project with no compiler and no libnl -dev packages in view, then
 * loaded from CommonJS, ESM and TypeScript.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'node-ipvs-package-'));
const src = join(tmp, 'src');
const app = join(tmp, 'app');
const installed = join(app, 'node_modules', 'node-ipvs');

/** What the package's tree needs to pack; the rest of a clone stays behind. */
const SOURCES = ['package.json', 'package-lock.json', 'tsconfig.json', 'binding.gyp', 'README.md', 'LICENSE', 'native', 'lib', 'scripts', 'docs'];

/** A user's machine: nothing can compile, pkg-config sees no -dev package. */
const NO_TOOLCHAIN = { CC: 'false', CXX: 'false', PKG_CONFIG_PATH: '/nonexistent', PKG_CONFIG_LIBDIR: '/nonexistent' };

function run(cmd: string, args: string[], options: SpawnSyncOptions & { env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options, env: { ...process.env, ...options.env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return String(r.stdout);
}

/** What Ipvs.open() on this host must give: the addon loaded, then IPVS there or not. */
const expectedOpen = existsSync('/proc/net/ip_vs') ? 'opened' : 'IpvsError ENOENT';
const OPEN = `.then((c) => { c.close(); console.log('opened'); },
  (e) => console.log(e instanceof IpvsError ? 'IpvsError ' + e.code : 'untyped ' + e.message))`;

let files: string[] = [];

beforeAll(() => {
  mkdirSync(src);
  for (const entry of SOURCES) cpSync(join(root, entry), join(src, entry), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(src, 'node_modules'));
  // prepack builds the prebuilt addon (this machine's architecture only: the
  // cross-compiled arm64 one is made by `npm run prebuilds`, see docs/install.md).
  const [pack] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: src, env: { NODE_IPVS_PREBUILDS: 'host' } })) as
    { filename: string; files: { path: string }[] }[];
  files = pack!.files.map((f) => f.path);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(tmp, pack!.filename)], { cwd: app, env: NO_TOOLCHAIN });
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('npm package', () => {
  it('ships the prebuilt linux-x64 addon, LICENSE, the library with its sources, and nothing that needs a clone', () => {
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts',
      'dist/cli/main.js', 'binding.gyp', 'scripts/packages.txt', 'scripts/libnl-flags.mjs']));
    // The addon, and the sandbox kernel's FPU shim (lib/sandbox/prerequisites.ts) that prebuildify moves beside it.
    expect(files.filter((f) => f.startsWith('prebuilds/')).sort()).toEqual(['prebuilds/linux-x64/node-ipvs.glibc.node', 'prebuilds/linux-x64/uml_xstate.so']);
    expect(files.filter((f) => /^(test|lab|bench|build)\//.test(f) || /^scripts\/(lab|bench|test-all)\.mjs$/.test(f))).toEqual([]);
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) node-ipvs contributors\n/);
  });

  it('every source map in the package points at sources the package holds', () => {
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const missing = maps.flatMap((map) => (JSON.parse(readFileSync(join(installed, map), 'utf8')).sources as string[])
      .map((s) => posix.join(posix.dirname(map), s)).filter((s) => !files.includes(s)));
    expect(missing).toEqual([]);
  });

  it('declares Linux only, MIT, and an exports map with types', () => {
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(pkg.os).toEqual(['linux']);
    expect(pkg.license).toBe('MIT');
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
  });

  it('installed with no compiler and no -dev packages in view: the prebuilt addon, not a source build', () => {
    expect(existsSync(join(installed, 'build'))).toBe(false);
    expect(existsSync(join(installed, 'prebuilds/linux-x64/node-ipvs.glibc.node'))).toBe(true);
  });

  it("require('node-ipvs') loads the addon: Ipvs.open() gives the typed answer, not a load error", () => {
    const out = run('node', ['-e', `const { Ipvs, IpvsError } = require('node-ipvs'); Ipvs.open()${OPEN}`], { cwd: app, env: NO_TOOLCHAIN });
    expect(out.trim()).toBe(expectedOpen);
  });

  it("import { Ipvs } from 'node-ipvs' works from ESM", () => {
    const out = run('node', ['--input-type=module', '-e', `import { Ipvs, IpvsError, parseRules } from 'node-ipvs';
      if (typeof parseRules !== 'function') throw new Error('no named export parseRules');
      await Ipvs.open()${OPEN}`], { cwd: app });
    expect(out.trim()).toBe(expectedOpen);
  });

  it('without any addon that fits, require says it is not built and which packages build it', () => {
    // A copy of the installed project with the prebuilds taken away: what a user on
    // another architecture sees when the source build was skipped.
    const bare = join(tmp, 'bare');
    cpSync(app, bare, { recursive: true, verbatimSymlinks: true });
    rmSync(join(bare, 'node_modules/node-ipvs/prebuilds'), { recursive: true });
    const r = spawnSync('node', ['-e', `require('node-ipvs').Ipvs.open().catch((e) => { console.log(e.message); })`],
      { cwd: bare, encoding: 'utf8' });
    const build = readFileSync(join(root, 'scripts/packages.txt'), 'utf8').split('\n')
      .map((l) => l.replace(/#.*/, '').trim().split(/\s+/)).filter((c) => c[0] === 'build').map((c) => c[1]);
    expect(r.stdout).toContain('node-ipvs: the native addon is not built');
    expect(r.stdout).toContain(`apt-get install -y ${build.join(' ')}`);
  });

  it('without the libnl runtime, require names the missing library and the runtime packages', () => {
    // The prebuild with its DT_NEEDED entry renamed (same length) to a library no
    // system has: the dynamic loader's own failure, as on a machine without libnl-genl-3-200.
    const broken = join(tmp, 'no-runtime');
    cpSync(app, broken, { recursive: true, verbatimSymlinks: true });
    const addon = join(broken, 'node_modules/node-ipvs/prebuilds/linux-x64/node-ipvs.glibc.node');
    const bytes = readFileSync(addon);
    const at = bytes.indexOf('libnl-genl-3.so.200\0');
    expect(at).toBeGreaterThan(0);
    bytes.write('libnl-genl-3.so.299\0', at, 'latin1');
    writeFileSync(addon, bytes);
    const r = spawnSync('node', ['-e', `require('node-ipvs').Ipvs.open().catch((e) => { console.log(e.message); })`],
      { cwd: broken, encoding: 'utf8' });
    expect(r.stdout).toContain('node-ipvs: the native addon needs libnl-genl-3.so.299, which this system lacks.');
    expect(r.stdout).toContain('apt-get install -y libnl-3-200 libnl-genl-3-200');
  });

  it('a source build that lacks -dev packages names them, and the runtime packages the prebuild needs instead', () => {
    const r = spawnSync('node', [join(installed, 'scripts/libnl-flags.mjs'), '--check'], { encoding: 'utf8', env: { ...process.env, ...NO_TOOLCHAIN } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('missing libnl-genl-3-dev (pkg-config libnl-genl-3.0)');
    expect(r.stderr).toContain('to use the prebuilt addon, which needs no compiler: apt-get install libnl-3-200 libnl-genl-3-200');
  });

  it('the node-ipvs command runs from the package', () => {
    expect(run(join(app, 'node_modules/.bin/node-ipvs'), ['--help'], { cwd: app })).toContain('node-ipvs');
  });

  it('TypeScript sees the types from CommonJS and ESM under strict', () => {
    const use = `const client: Promise<Ipvs> = Ipvs.open({ netns: 'lb', timeout: 1000 });
client.catch((err: unknown) => { if (err instanceof IpvsError) console.log(err.code.toUpperCase()); });
// @ts-expect-error: netns is a string (fails as "unused directive" if the types were any)
void Ipvs.open({ netns: 42 });
`;
    writeFileSync(join(app, 'cjs.cts'), `import { Ipvs, IpvsError } from 'node-ipvs';\n${use}`);
    writeFileSync(join(app, 'esm.mts'), `import { Ipvs, IpvsError } from 'node-ipvs';\n${use}`);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022',
        types: ['node'], typeRoots: [join(root, 'node_modules/@types')], skipLibCheck: false },
      files: ['cjs.cts', 'esm.mts'],
    }));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const r = spawnSync('node', [tsc, '-p', app], { encoding: 'utf8', cwd: app });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('package-lock.json', () => {
  it('npm ci accepts it: it is in sync with package.json for every platform', () => {
    const dir = join(tmp, 'ci');
    mkdirSync(dir);
    for (const f of ['package.json', 'package-lock.json']) cpSync(join(root, f), join(dir, f));
    const r = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/npm error/);
    expect(r.status).toBe(0);
  });
});


