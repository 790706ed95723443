/**
 * Failover agents as child processes for kernel tests: node-ipvs's director CLI (`director --netns
 * NS --json CONFIG`) and Debian's keepalived, each in its own network namespace, their output kept
 * line by line with the time each was read. A test waits for a line (a VRRP transition) and reads
 * when it happened; it stops an agent cleanly (SIGTERM) or kills it as a crash would (SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
/** How long an agent may take to print its first line (a cold start; see DirectorAgent.transition). */
export const STARTUP_MS = 60_000;

export interface LoggedLine {
  /** When the test read it (ms since the epoch). */
  read: number;
  line: string;
}

/** The director's JSON log record of a VRRP transition. */
export interface VrrpRecord {
  /** When the agent logged it (ms since the epoch, the guest's clock as the test's). */
  time: number;
  event: 'vrrp';
  message: string;
  instance: string;
  from: string;
  to: string;
  reason: string;
  priority: number;
}

abstract class AgentProcess {
  readonly lines: LoggedLine[] = [];
  protected child: ChildProcess | null = null;
  exited: Promise<unknown> = Promise.resolve();

  protected spawn(argv: string[]): void {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => this.lines.push({ read: Date.now(), line }));
    }
    this.exited = once(child, 'exit');
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number {
    return this.child!.pid!;
  }

  /** The first line from index `from` on that `match` accepts, waited for up to `ms`. */
  async waitLine(what: string, match: (line: string) => boolean, from = 0, ms = 10_000): Promise<LoggedLine & { index: number }> {
    const end = Date.now() + ms;
    for (;;) {
      for (let i = from; i < this.lines.length; i++) if (match(this.lines[i].line)) return { ...this.lines[i], index: i };
      if (Date.now() > end) throw new Error(`${this.constructor.name}: timed out waiting for ${what}; its output:\n${this.output()}`);
      if (!this.running) throw new Error(`${this.constructor.name} exited while waiting for ${what}; its output:\n${this.output()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  output(): string {
    return this.lines.map((l) => l.line).join('\n');
  }

  /** SIGTERM, and the exit awaited. */
  async stop(): Promise<void> {
    if (this.running) this.child!.kill('SIGTERM');
    await this.exited;
  }
}

/** `node-ipvs director --netns NS --json CONFIG`. */
export class DirectorAgent extends AgentProcess {
  constructor(readonly netns: string, readonly config: string) {
    super();
  }

  /** The output of the run before this one (a slow start may be the last one's stop still in the kernel). */
  #previous = '';

  /** Writes the config and starts the agent on it. */
  start(configText: string): void {
    writeFileSync(this.config, configText);
    this.#previous = this.lines.map((l) => `${new Date(l.read).toISOString()} ${l.line}`).join('\n');
    this.lines.length = 0;
    this.spawn([process.execPath, CLI, 'director', '--netns', this.netns, '--json', this.config]);
  }

  /** The VRRP transition records logged so far. */
  transitions(): VrrpRecord[] {
    return this.lines.flatMap((l) => {
      if (!l.line.startsWith('{')) return [];
      const r = JSON.parse(l.line) as Record<string, unknown>;
      return r.event === 'vrrp' && typeof r.to === 'string' ? [{ ...r, time: Date.parse(r.time as string) } as unknown as VrrpRecord] : [];
    });
  }

  /** The state after the last transition logged (null before the first). */
  state(): string | null {
    return this.transitions().at(-1)?.to ?? null;
  }

  /** Waits for the transition to `to` (from `from` if given) logged after the first `after` transitions. */
  async transition(to: string, { after = 0, from, ms = 10_000 }: { after?: number; from?: string; ms?: number } = {}): Promise<VrrpRecord> {
    // ms counts from the agent's first line: the first node process of a freshly booted sandbox reads
    // node and its modules through hostfs with a cold page cache (16 s here, over 20 s in CI), and
    // how long node takes to start is not what a test measures.
    await this.waitLine('its first line', () => true, 0, STARTUP_MS);
    const end = Date.now() + ms;
    for (;;) {
      const t = this.transitions().slice(after).find((r) => r.to === to && (from === undefined || r.from === from));
      if (t) return t;
      if (Date.now() > end) {
        throw new Error(`director in ${this.netns}: no transition to ${to} within ${ms} ms; its output:\n${this.output()}` +
          `${this.#previous ? `\nits previous run's output (each line as read):\n${this.#previous}` : ''}`);
      }
      if (!this.running) throw new Error(`director in ${this.netns} exited waiting for a transition to ${to}; its output:\n${this.output()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** SIGKILL: no priority 0, the VIP and the kernel's sync daemons stay behind. */
  async kill(): Promise<void> {
    if (this.running) this.child!.kill('SIGKILL');
    await this.exited;
  }
}

/** keepalived (VRRP only) in a namespace: `keepalived -n -l -G -D -f CONF` with its pid files in `dir`. */
export class KeepalivedAgent extends AgentProcess {
  constructor(readonly netns: string, readonly dir: string) {
    super();
  }

  start(conf: string): void {
    const file = join(this.dir, 'keepalived.conf');
    writeFileSync(file, conf);
    this.lines.length = 0;
    this.spawn(['ip', 'netns', 'exec', this.netns, 'keepalived', '-n', '-l', '-G', '-D', '-f', file,
      '-p', join(this.dir, 'keepalived.pid'), '-c', join(this.dir, 'checkers.pid'), '-r', join(this.dir, 'vrrp.pid')]);
  }

  /** The line with which keepalived enters `state` ('MASTER', 'BACKUP', 'FAULT'), from line `from` on. */
  entering(state: string, from = 0, ms = 10_000): Promise<LoggedLine & { index: number }> {
    return this.waitLine(`(VI_1) Entering ${state} STATE`, (l) => l.includes(`(VI_1) Entering ${state} STATE`), from, ms);
  }

  /**
   * Dies at once, as a crashed node: the parent and its VRRP child are stopped first (a running
   * parent restarts a killed child; a child outliving its parent shuts down cleanly, sending
   * priority 0), then killed. The VIP stays behind.
   */
  async kill(): Promise<void> {
    const pids = [this.pid];
    for (const f of ['vrrp.pid', 'checkers.pid']) {
      try {
        pids.push(Number(readFileSync(join(this.dir, f), 'utf8').trim()));
      } catch {
        // not running
      }
    }
    for (const signal of ['SIGSTOP', 'SIGKILL'] as const) {
      for (const pid of pids) {
        try {
          process.kill(pid, signal);
        } catch {
          // gone
        }
      }
    }
    await this.exited;
  }
}

/** A VRRPv3 keepalived.conf: one instance VI_1 on eth0 holding `vip`/32, preempting, its interval in seconds. */
export function keepalivedConf({ name, priority, vrid, interval, vip }: { name: string; priority: number; vrid: number; interval: number; vip: string }): string {
  return `global_defs {
  router_id ${name}
  vrrp_version 3
  vrrp_garp_master_repeat 5
  vrrp_garp_interval 0.1
  vrrp_garp_master_delay 0
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid}
  priority ${priority}
  advert_int ${interval}
  virtual_ipaddress {
    ${vip}/32 dev eth0
  }
}
`;
}
