/** Builds native/check/core_check.cc (the native core without N-API) for sanitizer and valgrind runs. */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnAsync } from './child';

const root = join(__dirname, '..', '..');
const SOURCES = ['native/check/core_check.cc', 'native/ipvs_encode.cc', 'native/ipvs_decode.cc', 'native/nl_channel.cc', 'native/nl_wait.cc', 'native/netns.cc', 'native/rtnl.cc', 'native/proc_net_read.cc'];

/** Runs a child without blocking this worker's event loop (vitest talks to it meanwhile); a signal counts as status 1. */
export async function runChild(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  const r = await spawnAsync(cmd, args, { env });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

async function run(cmd: string, args: string[]): Promise<string> {
  const r = await runChild(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/**
 * Compiles once per source change; `flags` e.g. ['-fsanitize=address,undefined'].
 * Asynchronous on purpose: inside the sandbox g++ can take over a minute, and a
 * worker whose event loop is blocked that long misses vitest's 60 s RPC deadline.
 */
export async function buildCoreCheck(name: string, flags: string[]): Promise<string> {
  const out = join(root, 'build', name);
  const newest = Math.max(...SOURCES.map((s) => statSync(join(root, s)).mtimeMs), statSync(join(root, 'native/nl_channel.h')).mtimeMs, statSync(join(root, 'native/rtnl.h')).mtimeMs, statSync(join(root, 'native/nl_wait.h')).mtimeMs, statSync(join(root, 'native/ipvs_types.h')).mtimeMs, statSync(join(root, 'native/ipvs_message.h')).mtimeMs);
  if (existsSync(out) && statSync(out).mtimeMs > newest) return out;
  mkdirSync(join(root, 'build'), { recursive: true });
  const cflags = (await run('pkg-config', ['--cflags', 'libnl-genl-3.0'])).trim().split(/\s+/);
  const libs = (await run('pkg-config', ['--libs', 'libnl-genl-3.0'])).trim().split(/\s+/);
  await run('g++', ['-std=c++17', '-g', '-O1', '-fno-omit-frame-pointer', ...flags, ...cflags,
    ...SOURCES.map((s) => join(root, s)), ...libs, '-lpthread', '-o', out]);
  return out;
}
