/** Builds native/check/core_check.cc (the native core without N-API) for sanitizer and valgrind runs. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const SOURCES = ['native/check/core_check.cc', 'native/ipvs_encode.cc', 'native/ipvs_decode.cc', 'native/nl_channel.cc', 'native/netns.cc', 'native/rtnl.cc'];

/** Compiles once per source change; `flags` e.g. ['-fsanitize=address,undefined']. */
export function buildCoreCheck(name: string, flags: string[]): string {
  const out = join(root, 'build', name);
  const newest = Math.max(...SOURCES.map((s) => statSync(join(root, s)).mtimeMs), statSync(join(root, 'native/nl_channel.h')).mtimeMs, statSync(join(root, 'native/rtnl.h')).mtimeMs);
  if (existsSync(out) && statSync(out).mtimeMs > newest) return out;
  mkdirSync(join(root, 'build'), { recursive: true });
  const cflags = execFileSync('pkg-config', ['--cflags', 'libnl-genl-3.0'], { encoding: 'utf8' }).trim().split(/\s+/);
  const libs = execFileSync('pkg-config', ['--libs', 'libnl-genl-3.0'], { encoding: 'utf8' }).trim().split(/\s+/);
  execFileSync('g++', ['-std=c++17', '-g', '-O1', '-fno-omit-frame-pointer', ...flags, ...cflags,
    ...SOURCES.map((s) => join(root, s)), ...libs, '-lpthread', '-o', out], { stdio: 'inherit' });
  return out;
}
