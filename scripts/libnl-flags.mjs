#!/usr/bin/env node
// binding.gyp's only way to the system's libnl: prints the compiler or linker
// flags of every pkg-config module in scripts/packages.txt, after checking each
// module on its own. One missing -dev package must not silently drop every
// include path (pkg-config answers nothing at all when one of several modules
// is missing): name the package instead, and fail.
//   node scripts/libnl-flags.mjs --cflags-only-I | --libs | --check
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const flag = process.argv[2] ?? '--check';
if (!['--cflags-only-I', '--libs', '--check'].includes(flag)) {
  console.error(`usage: node scripts/libnl-flags.mjs --cflags-only-I | --libs | --check`);
  process.exit(2);
}

const packages = readFileSync(new URL('packages.txt', import.meta.url), 'utf8')
  .split('\n')
  .map((line) => line.replace(/#.*/, '').trim().split(/\s+/));
const rows = packages.filter((cols) => cols[0] === 'build' && cols[2]);

const pkgConfig = (...args) => spawnSync('pkg-config', args, { encoding: 'utf8' });

const probe = pkgConfig('--version');
if (probe.error || probe.status !== 0) {
  console.error('node-ipvs: cannot build the native addon: pkg-config is missing (apt-get install pkg-config)');
  process.exit(1);
}
const missing = rows.filter(([, , module]) => pkgConfig('--exists', module).status !== 0);
if (missing.length) {
  for (const [, deb, module] of missing) console.error(`node-ipvs: cannot build the native addon: missing ${deb} (pkg-config ${module})`);
  console.error(`node-ipvs: install it with: apt-get install ${missing.map(([, deb]) => deb).join(' ')}`);
  // npm install builds from source also when a shipped prebuild did not load, most
  // often because the libnl runtime itself is missing: that needs no compiler.
  if (existsSync(new URL(`../prebuilds/${process.platform}-${process.arch}/`, import.meta.url))) {
    const runtime = packages.filter((cols) => cols[0] === 'runtime').map((cols) => cols[1]);
    console.error(`node-ipvs: or, to use the prebuilt addon, which needs no compiler: apt-get install ${runtime.join(' ')}`);
  }
  process.exit(1);
}
if (flag === '--check') process.exit(0);

const r = pkgConfig(flag, ...rows.map(([, , module]) => module));
if (r.status !== 0) {
  process.stderr.write(r.stderr);
  process.exit(1);
}
// gyp wants bare directories in include_dirs.
process.stdout.write(flag === '--cflags-only-I' ? r.stdout.replace(/(^|\s)-I/g, '$1') : r.stdout);
