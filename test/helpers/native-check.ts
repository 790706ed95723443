/** Builds native/check/core_check.cc (the native core without N-API) for sanitizer and valgrind runs. */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const SOURCES = ['native/check/core_check.cc', 'native/ipvs_encode.cc', 'native/ipvs_decode.cc', 'native/nl_channel.cc', 'native/nl_wait.cc', 'native/netns.cc', 'native/rtnl.cc', 'native/proc_net_read.cc'];

export interface ChildResult { status: number; stdout: string; stderr: string }

/** Runs a child without blocking this worker's event loop (vitest talks to it meanwhile). */
export function runChild(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<ChildResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: env ?? process.env }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
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
