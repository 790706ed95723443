/** Builds native/check/vrrp_check.cc (the VRRP wire layer without N-API) for sanitizer and valgrind runs. */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runChild } from './native-check';

const root = join(__dirname, '..', '..');
const SOURCES = ['native/check/vrrp_check.cc', 'native/vrrp_packet.cc', 'native/vrrp_socket.cc', 'native/vrrp_announce.cc', 'native/netns.cc'];
const HEADERS = ['native/vrrp_packet.h', 'native/vrrp_socket.h', 'native/vrrp_announce.h', 'native/netns.h', 'native/outcome.h'];

/** Compiles once per source change (asynchronously: g++ in the sandbox takes a while). */
export async function buildVrrpCheck(name: string, flags: string[]): Promise<string> {
  const out = join(root, 'build', name);
  const newest = Math.max(...[...SOURCES, ...HEADERS].map((s) => statSync(join(root, s)).mtimeMs));
  if (existsSync(out) && statSync(out).mtimeMs > newest) return out;
  mkdirSync(join(root, 'build'), { recursive: true });
  const r = await runChild('g++', ['-std=c++17', '-g', '-O1', '-fno-omit-frame-pointer', '-Wall', '-Wextra', ...flags,
    ...SOURCES.map((s) => join(root, s)), '-lpthread', '-o', out]);
  if (r.status !== 0) throw new Error(`g++ failed (${r.status}): ${r.stderr}`);
  return out;
}
