/** Builds the native check programs (native/check/*.cc, without N-API) for sanitizer and valgrind runs. */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnAsync } from './child';

const root = join(__dirname, '..', '..');
const CORE_SOURCES = ['native/check/core_check.cc', 'native/ipvs_encode.cc', 'native/ipvs_decode.cc', 'native/nl_channel.cc', 'native/table_read.cc', 'native/table_pack.cc', 'native/nl_wait.cc', 'native/netns.cc', 'native/rtnl.cc', 'native/link_watch.cc', 'native/proc_net_read.cc'];

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
 * Compiles sources into build/NAME once per change of them or of headers; `flags` e.g.
 * ['-fsanitize=address,undefined'], `pkg` a pkg-config package to build against.
 * Asynchronous on purpose: inside the sandbox g++ can take over a minute, and a
 * worker whose event loop is blocked that long misses vitest's 60 s RPC deadline.
 */
async function buildCheck(name: string, flags: string[], sources: string[], headers: string[], pkg?: string): Promise<string> {
  const out = join(root, 'build', name);
  const newest = Math.max(...[...sources, ...headers, 'native/check/check.h'].map((s) => statSync(join(root, s)).mtimeMs));
  if (existsSync(out) && statSync(out).mtimeMs > newest) return out;
  mkdirSync(join(root, 'build'), { recursive: true });
  const cflags = pkg ? (await run('pkg-config', ['--cflags', pkg])).trim().split(/\s+/) : [];
  const libs = pkg ? (await run('pkg-config', ['--libs', pkg])).trim().split(/\s+/) : [];
  await run('g++', ['-std=c++17', '-g', '-O1', '-fno-omit-frame-pointer', '-Wall', '-Wextra', ...flags, ...cflags,
    ...sources.map((s) => join(root, s)), ...libs, '-lpthread', '-o', out]);
  return out;
}

/** core_check.cc: the netlink core without N-API. */
export const buildCoreCheck = (name: string, flags: string[]): Promise<string> => buildCheck(name, flags, CORE_SOURCES,
  ['native/nl_channel.h', 'native/rtnl.h', 'native/link_watch.h', 'native/nl_wait.h', 'native/ipvs_types.h', 'native/ipvs_message.h'], 'libnl-genl-3.0');

/** vrrp_check.cc: the VRRP wire layer without N-API. */
export const buildVrrpCheck = (name: string, flags: string[]): Promise<string> => buildCheck(name, flags,
  ['native/check/vrrp_check.cc', 'native/vrrp_packet.cc', 'native/vrrp_socket.cc', 'native/vrrp_announce.cc', 'native/netns.cc'],
  ['native/vrrp_packet.h', 'native/vrrp_socket.h', 'native/vrrp_announce.h', 'native/netns.h', 'native/outcome.h']);

/** tcp_check.cc: the TCP checks' connection attempts without N-API, on this host's loopback. */
export const buildTcpCheck = (name: string, flags: string[]): Promise<string> => buildCheck(name, flags,
  ['native/check/tcp_check.cc', 'native/tcp_connect.cc'], ['native/tcp_connect.h', 'native/outcome.h']);
