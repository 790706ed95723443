/**
 * Boots a throw-away user-mode Linux kernel (a real Linux 6.1 with IPVS, as an
 * ordinary process: no root needed on the host) whose root file system is the
 * host's /, runs one command in it as root, streams its output and returns
 * its exit status. The guest is killed at the deadline, whatever it does.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackGuest } from './guests';
import { END_MARKER, START_MARKER, initScript } from './init-script';
import { SandboxError, XSTATE_SHIMS, checkSandboxPrerequisites, xstateShim } from './prerequisites';

export { SandboxError, checkSandboxPrerequisites } from './prerequisites';

/** IPVS with every scheduler the guest kernel has, plus what test topologies use. */
export const DEFAULT_MODULES: readonly string[] = [
  'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_lc', 'ip_vs_wlc', 'ip_vs_lblc', 'ip_vs_lblcr', 'ip_vs_dh', 'ip_vs_sh',
  'ip_vs_sed', 'ip_vs_nq', 'ip_vs_fo', 'ip_vs_ovf', 'ip_vs_mh', 'ip_vs_pe_sip', 'ip_vs_ftp',
  'veth', 'dummy', 'bridge', 'ipip', 'ip6_tunnel', 'ip_gre', 'fou', 'fou6', 'nf_conntrack',
  'ip_tables', 'iptable_mangle', 'xt_mark', 'xt_multiport',
];

export interface SandboxOptions {
  /** The command and its arguments, run as root inside the guest. */
  command: readonly string[];
  /** Working directory inside the guest (the host's paths are the guest's). Default: process.cwd(). */
  cwd?: string;
  /** Extra environment; the host's environment is passed through as well. */
  env?: Record<string, string>;
  /** Kill the guest after this many ms (default 600000). */
  timeoutMs?: number;
  /** Guest memory, e.g. '2G' (default). */
  memory?: string;
  /** Kernel modules to load before the command (default DEFAULT_MODULES; [] boots without IPVS). */
  modules?: readonly string[];
  /** Receives the command's output as it comes (default: written to process.stdout). */
  onOutput?: (text: string) => void;
}

export interface SandboxResult {
  exitCode: number;
  /** Milliseconds from spawn to the command's start. */
  bootMs: number;
  durationMs: number;
  /** Kernel console lines outside the command's output (boot messages), for diagnosis. */
  console: string;
}

const PASSED_OVER = new Set(['PWD', 'OLDPWD', 'SHLVL', '_', 'NODE_IPVS_SANDBOX']);

function guestEnv(extra: Record<string, string> | undefined, tmp: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !PASSED_OVER.has(k)) env[k] = v;
  env.TMPDIR = tmp;
  env.HOME = env.HOME ?? '/root';
  return { ...env, ...extra };
}

/** Runs options.command in a fresh sandbox kernel. Rejects with SandboxError if the guest cannot run it. */
export function runInSandbox(options: SandboxOptions): Promise<SandboxResult> {
  const { kernel } = checkSandboxPrerequisites();
  if (!Array.isArray(options.command) || options.command.length === 0)
    throw new SandboxError('runInSandbox: command must be a non-empty array of strings');
  const work = mkdtempSync(join(tmpdir(), 'node-ipvs-sandbox-'));
  const statusFile = join(work, 'status');
  const init = join(work, 'init.sh');
  writeFileSync(init, initScript({
    workDir: work,
    statusFile,
    cwd: options.cwd ?? process.cwd(),
    env: guestEnv(options.env, work),
    modules: options.modules ?? DEFAULT_MODULES,
    command: options.command,
  }));
  chmodSync(init, 0o755);
  const args = [
    `mem=${options.memory ?? '2G'}`, 'root=/dev/root', 'rootfstype=hostfs', 'rootflags=/', 'rw',
    `init=${init}`, 'con=null', 'con0=fd:0,fd:1', 'quiet', `uml_dir=${join(work, 'uml')}`,
  ];
  const write = options.onOutput ?? ((text: string) => process.stdout.write(text));
  const started = Date.now();

  return new Promise<SandboxResult>((resolvePromise, reject) => {
    const child = spawn(kernel, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: kernelEnv() });
    let inCommand = false;
    let bootMs = 0;
    let pending = '';
    let consoleLog = '';
    let timedOut = false;
    const onData = (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl + 1);
        pending = pending.slice(nl + 1);
        if (line.includes(START_MARKER)) {
          inCommand = true;
          bootMs = Date.now() - started;
        } else if (line.includes(END_MARKER)) {
          inCommand = false;
        } else if (inCommand) {
          write(line.replace(/\r\n$/, '\n'));
        } else {
          consoleLog += line;
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => { consoleLog += c.toString('utf8'); });
    const killGuest = child.pid === undefined ? () => {} : trackGuest(child.pid);
    const timer = setTimeout(() => {
      timedOut = true;
      killGuest();
    }, options.timeoutMs ?? 600_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new SandboxError(`could not start ${kernel}: ${err.message}`));
    });
    child.on('close', () => {
      clearTimeout(timer);
      killGuest(); // UML helper processes may outlive the main one
      if (inCommand && pending) write(pending);
      let status: string | null = null;
      try {
        status = readFileSync(statusFile, 'utf8').trim();
      } catch { /* no status: the command did not finish */ }
      rmSync(work, { recursive: true, force: true });
      if (timedOut) {
        reject(new SandboxError(`the sandbox kernel was killed after ${options.timeoutMs ?? 600_000} ms (deadline)`));
      } else if (status === null || !/^\d+$/.test(status)) {
        reject(new SandboxError(`the sandbox kernel stopped before the command finished.${xstateHint(consoleLog)} Console:\n${consoleLog.slice(-4000)}`));
      } else {
        resolvePromise({ exitCode: Number(status), bootMs, durationMs: Date.now() - started, console: consoleLog });
      }
    });
  });
}

/** The host environment for the kernel process, with the FPU-state shim preloaded when it is built. */
function kernelEnv(): NodeJS.ProcessEnv {
  const shim = xstateShim();
  if (!shim) return process.env;
  const preload = [shim, process.env.LD_PRELOAD].filter(Boolean).join(':');
  return { ...process.env, LD_PRELOAD: preload };
}

/** UML's own words when this host's FPU state outgrew it and the shim was not there to help. */
function xstateHint(consoleLog: string): string {
  if (!consoleLog.includes('ptrace set fp regs failed')) return '';
  const shim = xstateShim();
  return shim
    ? ` The kernel could not restore FPU registers even with ${shim} preloaded.`
    : ` This host's FPU state (XSAVE: AMX) is larger than UML 6.1 can save; build ${XSTATE_SHIMS[0]} with \`npm run build\` (node-gyp builds it with the addon).`;
}
