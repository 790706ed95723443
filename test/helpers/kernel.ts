/**
 * Kernel-test plumbing: a private network namespace per test file, and
 * ipvsadm run in it as the reference. Tests may shell out (the library may not).
 * If IPVS cannot be reached, the suite fails here, loudly: never skips.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { Ipvs } from '../../lib';

export function sh(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** ip(8), for topology only. */
export function ip(...args: string[]): string {
  return sh('ip', args);
}

export class TestNamespace {
  readonly name: string;

  constructor(prefix = 't', { loUp = true } = {}) {
    this.name = `${prefix}-${randomBytes(4).toString('hex')}`;
    ip('netns', 'add', this.name);
    // A new namespace has lo down, and IPv4 destinations then fail with EINVAL.
    if (loUp) this.exec('ip', 'link', 'set', 'lo', 'up');
  }

  exec(cmd: string, ...args: string[]): string {
    return sh('ip', ['netns', 'exec', this.name, cmd, ...args]);
  }

  /** ipvsadm in this namespace; a save (-S) is read until two readings agree (see settled()). */
  ipvsadm(...args: string[]): string {
    if (args[0] !== '-S') return this.exec('ipvsadm', ...args);
    let last = this.exec('ipvsadm', ...args);
    for (let i = 0; i < SETTLE_READS; i++) {
      const next = this.exec('ipvsadm', ...args);
      if (next === last) return next;
      last = next;
    }
    throw new Error(`ipvsadm ${args.join(' ')}: no two readings agreed in ${SETTLE_READS + 1}`);
  }

  /** ipvsadm -Sn, sorted (ipvsadm orders by hash bucket, the library by kernel dump). */
  saved(): string[] {
    return this.ipvsadm('-S', '-n').split('\n').filter(Boolean).sort();
  }

  restore(rules: string): void {
    sh('ip', ['netns', 'exec', this.name, 'ipvsadm', '-R'], rules);
  }

  open(timeout?: number): Promise<Ipvs> {
    return Ipvs.open(timeout ? { netns: this.name, timeout } : { netns: this.name });
  }

  delete(): void {
    ip('netns', 'delete', this.name);
  }
}

/**
 * Big listings in tests are read until two readings agree. A dump that spans several
 * reads resumes by position in the service hash table that every namespace shares, so
 * services another test file adds or deletes in its own namespace meanwhile make the
 * dump skip or repeat entries, silently (kernel-facts.md: "Torn dumps are real").
 * Test files run two at a time, so a single listing of thousands can miss one.
 */
const SETTLE_READS = 10;

export async function settled<T>(read: () => Promise<T>): Promise<T> {
  let last = await read();
  for (let i = 0; i < SETTLE_READS; i++) {
    const next = await read();
    if (isDeepStrictEqual(next, last)) return next;
    last = next;
  }
  throw new Error(`no two readings agreed in ${SETTLE_READS + 1}`);
}

/** Fails (does not skip) when this process cannot reach a kernel with IPVS. */
export async function requireIpvs(): Promise<void> {
  try {
    const ipvs = await Ipvs.open();
    ipvs.close();
  } catch (err) {
    throw new Error(
      `kernel tests need IPVS and root: run them with \`npm run test:kernel\` (inside the sandbox kernel). ` +
      `Opening IPVS failed: ${(err as Error).message}`,
    );
  }
  execFileSync('ipvsadm', ['--version']);
}

/** JSON with bigints as strings, for readable assertion diffs. */
export function plain<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

/**
 * The 6.1 kernel can hang forever stopping a master sync daemon it started
 * moments before (seen about once in 18 immediate stops, never after a pause):
 * give the daemon's thread time to start before stopping it.
 */
export function settleDaemon(): Promise<void> {
  return new Promise((r) => setTimeout(r, 1000));
}

export interface NamespaceContext {
  ns: TestNamespace;
  ipvs: Ipvs;
}

/**
 * For one test file: a fresh namespace with a client in it, made before the
 * file's tests (failing loudly without IPVS) and deleted after them.
 */
export function useNamespace(prefix: string, { flushEach = false } = {}): NamespaceContext {
  const ctx = {} as NamespaceContext;
  beforeAll(async () => {
    await requireIpvs();
    ctx.ns = new TestNamespace(prefix);
    ctx.ipvs = await ctx.ns.open();
  });
  afterAll(() => {
    ctx.ipvs?.close();
    ctx.ns?.delete();
  });
  if (flushEach) beforeEach(() => ctx.ipvs.flush());
  return ctx;
}

export interface PairContext {
  /** Where the library writes. */
  mine: TestNamespace;
  ipvs: Ipvs;
  /** Where ipvsadm writes the same thing; the library reads it back through `reader`. */
  theirs: TestNamespace;
  reader: Ipvs;
}

/** Two namespaces, both flushed before each test: the library's and ipvsadm's. */
export function useNamespacePair(prefix: string): PairContext {
  const mine = useNamespace(prefix, { flushEach: true });
  const theirs = useNamespace(`${prefix}-ref`, { flushEach: true });
  return {
    get mine() { return mine.ns; },
    get ipvs() { return mine.ipvs; },
    get theirs() { return theirs.ns; },
    get reader() { return theirs.ipvs; },
  };
}

/**
 * A NAT pair: a director namespace and a real-server namespace joined by a veth (the director's
 * `to-rs` is the real server's `eth0`). The director is 198.51.100.1/24 with `vip` on lo; the real
 * server holds `addresses` (each /24) and routes back through the director, as NAT needs.
 */
export function natPair(prefix: string, vip: string, addresses: readonly string[]): { director: TestNamespace; real: TestNamespace } {
  const director = new TestNamespace(`${prefix}dir`);
  const real = new TestNamespace(`${prefix}rs`);
  director.exec('ip', 'link', 'add', 'to-rs', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', real.name);
  director.exec('ip', 'addr', 'add', '198.51.100.1/24', 'dev', 'to-rs');
  director.exec('ip', 'link', 'set', 'to-rs', 'up');
  director.exec('ip', 'addr', 'add', `${vip}/32`, 'dev', 'lo');
  for (const address of addresses) real.exec('ip', 'addr', 'add', `${address}/24`, 'dev', 'eth0');
  real.exec('ip', 'link', 'set', 'eth0', 'up');
  real.exec('ip', 'route', 'add', 'default', 'via', '198.51.100.1');
  return { director, real };
}
