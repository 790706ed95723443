#!/usr/bin/env node
// Builds the prebuilt addons the npm package ships (prebuilds/linux-<arch>/
// node.napi.glibc.node), with prebuildify: N-API, so one binary per
// architecture serves every Node >= 20; linked against the distribution's libnl
// (libnl-3-200, libnl-genl-3-200 at run time). node-gyp-build loads them, and
// builds from source where none fits (another libc, another architecture).
//
//   linux-x64    always on an x64 machine
//   linux-arm64  natively on arm64, or cross-compiled on x64 when Debian's
//                cross compiler and arm64 libnl are installed:
//                  dpkg --add-architecture arm64 && apt-get update
//                  apt-get install -y g++-aarch64-linux-gnu libnl-3-dev:arm64 libnl-genl-3-dev:arm64
//                Missing, it is skipped with a note.
// NODE_IPVS_PREBUILDS=all makes a skipped architecture an error (for publishing);
// NODE_IPVS_PREBUILDS=host builds this machine's only (the package test).
// Progress goes to stderr: `npm pack --json` keeps its stdout for the JSON.
// prebuildify moves each binary out of build/Release: node-gyp-build then loads
// the prebuild of this machine, until `npm run build` makes a fresh build/Release.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { arch } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const mode = process.env.NODE_IPVS_PREBUILDS ?? '';
if (!['', 'all', 'host'].includes(mode)) {
  console.error(`prebuilds: NODE_IPVS_PREBUILDS must be all or host, not ${mode}`);
  process.exit(2);
}

/** Cross toolchains by target, as Debian names them. */
const CROSS = {
  arm64: { triplet: 'aarch64-linux-gnu', pkgConfigDir: '/usr/lib/aarch64-linux-gnu/pkgconfig' },
  x64: { triplet: 'x86_64-linux-gnu', pkgConfigDir: '/usr/lib/x86_64-linux-gnu/pkgconfig' },
};

const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function prebuildify(target, env) {
  console.error(`prebuilds: linux-${target}`);
  const r = spawnSync('npx', ['prebuildify', '--napi', '--strip', '--tag-libc', '--arch', target], {
    cwd: root, stdio: ['ignore', 2, 2], env: { ...process.env, ...env },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

rmSync(new URL('../prebuilds', import.meta.url), { recursive: true, force: true });
const host = arch();
for (const target of Object.keys(CROSS).filter((t) => t !== host && mode !== 'host')) {
  const { triplet, pkgConfigDir } = CROSS[target];
  const why = !onPath(`${triplet}-g++`) ? `${triplet}-g++ is not installed`
    : !existsSync(`${pkgConfigDir}/libnl-genl-3.0.pc`) ? `libnl-genl-3-dev:${target} is not installed` : '';
  if (why) {
    const note = `prebuilds: linux-${target} skipped: ${why} (see scripts/prebuilds.mjs)`;
    console.error(note);
    if (mode === 'all') process.exit(1);
    continue;
  }
  prebuildify(target, {
    CC: `${triplet}-gcc`, CXX: `${triplet}-g++`, LINK: `${triplet}-g++`,
    PKG_CONFIG_LIBDIR: pkgConfigDir, PKG_CONFIG_PATH: '',
    PREBUILD_STRIP_BIN: `${triplet}-strip`,
  });
}
prebuildify(host, {});
