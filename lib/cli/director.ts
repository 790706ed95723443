/**
 * `node-ipvs director CONFIG`: the agent in the foreground until SIGTERM or SIGINT. SIGHUP and a
 * change of the file reload it; a bad new config is refused (its problems logged with line and
 * column) and the running one stays in force.
 */
import { unwatchFile, watch, watchFile as watchStat, type FSWatcher, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { readConfig } from '../config';
import type { ConfigFile } from '../config/desired';
import type { Director, LogRecord } from '../director';
import { IpvsConfigError, formatConfigProblem } from '../errors';
import { Ipvs } from '../ipvs';
import { enterNetns } from '../netns';
import { parse, UsageError, type Command } from './common';

const HELP = `usage: node-ipvs director CONFIG [--netns NAME] [--json]

Runs the director agent (docs/director.md): makes the kernel hold CONFIG's
table (as node-ipvs apply, only the difference), health-checks the real
servers as CONFIG's health: settings say, deletes a server found dead and
adds it back when it answers, re-reads the kernel every resyncInterval and
repairs drift, and serves metrics if director.metrics is set. With a vrrp:
section it shares the VIPs with other directors (VRRPv3, docs/failover.md)
and runs the connection sync daemons. Logs one line per health transition,
per VRRP transition, per apply that changed something, per reload.

signals:
  SIGHUP           reload CONFIG (also done when the file changes); a bad
                   new config is refused and the running one stays
  SIGTERM, SIGINT  stop: hand the VIPs over (VRRP priority 0), then leave the
                   table (director.onStop: keep, the default) or remove what
                   the agent owns (onStop: remove)

options:
  --netns NAME     run in network namespace NAME (a name under /run/netns or
                   a path): the table there, and checks sent from there
  --json           log JSON lines (as director.log: json)

Exit status: 0 after a stop on a signal, 1 when CONFIG is bad or the first
apply fails, 2 on a usage error.
`;

/** A file change is read once the writes have stopped for this long (editors write in pieces). */
export const SETTLE_MS = 250;

/** How often the file's stat is polled besides the directory watch. */
export const POLL_MS = 1000;

/** After stop, the process exits even if a stray handle would keep it (the timer is unref'd: it only fires then). */
const EXIT_GRACE_MS = 2000;

async function run(args: string[]): Promise<number> {
  const parsed = parse(args, { json: { type: 'boolean' } }, HELP, true);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`director takes one CONFIG file, got ${positionals.length}`);
  const file = resolve(positionals[0]);
  // Before any socket is opened: checks (connections, exec'd programs) start from the namespace.
  const netns = typeof values.netns === 'string' ? enterNetns(values.netns) : null;

  // Loaded here, not with the CLI: the agent's modules (health checkers, metrics) would slow every other command's start.
  const { Director, formatJson, formatText } = await import('../director');
  const jsonFlag = values.json === true;
  let json = jsonFlag;
  const log = (record: LogRecord) => process.stdout.write(json ? formatJson(record) : formatText(record));

  let config: ConfigFile;
  try {
    config = await readConfig(file);
  } catch (err) {
    if (!(err instanceof IpvsConfigError)) throw err;
    for (const p of err.problems.slice(0, 50)) process.stderr.write(`${formatConfigProblem(p, err.file)}\n`);
    process.stderr.write('node-ipvs director: the config has problems; nothing was applied\n');
    return 1;
  }
  json = jsonFlag || config.director.log === 'json';

  // Signals are ours from here on: one that arrives during the first apply is acted on once it is
  // done (a stop then stops; a SIGHUP reloads), never the default action that kills mid-batch.
  const early: { stop: NodeJS.Signals | null; hup: boolean } = { stop: null, hup: false };
  const earlyStop = (signal: NodeJS.Signals) => void (early.stop ??= signal);
  const earlyHup = () => void (early.hup = true);
  process.on('SIGTERM', earlyStop);
  process.on('SIGINT', earlyStop);
  process.on('SIGHUP', earlyHup);
  const offEarly = () => {
    process.off('SIGTERM', earlyStop);
    process.off('SIGINT', earlyStop);
    process.off('SIGHUP', earlyHup);
  };

  const ipvs = await Ipvs.open(netns ? { netns } : {}).catch((err: unknown) => {
    offEarly();
    throw err;
  });
  const director = new Director({ ipvs, config, log });
  try {
    await director.start();
  } catch (err) {
    offEarly();
    ipvs.close();
    throw err;
  }
  return new Promise<number>((done) => {
    const reloads = new Reloader(file, director, log, (c) => (json = jsonFlag || c.director.log === 'json'));
    const watcher = watchFile(file, () => reloads.request('file changed'), log);
    const onHup = () => reloads.request('SIGHUP');
    let stopping = false;
    const onStop = (signal: NodeJS.Signals) => {
      if (stopping) {
        log({ time: Date.now(), level: 'warn', event: 'stop', message: `${signal} again: exiting now` });
        process.exit(1);
      }
      stopping = true;
      log({ time: Date.now(), level: 'info', event: 'stop', message: `${signal}: stopping` });
      watcher?.close();
      reloads.close();
      process.off('SIGHUP', onHup);
      director.stop().then(() => 0, (err: Error) => {
        log({ time: Date.now(), level: 'error', event: 'stop', message: `stop failed: ${err.message}` });
        return 1;
      }).then((code) => {
        ipvs.close();
        process.off('SIGTERM', onStop);
        process.off('SIGINT', onStop);
        setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
        done(code);
      });
    };
    process.on('SIGHUP', onHup);
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    offEarly();
    if (early.stop) onStop(early.stop);
    else if (early.hup) onHup();
  });
}

/**
 * Reloads one at a time; a request while one runs is served by one more after it. A file change
 * that leaves the config as it is (a touch, an editor's backup dance) reloads nothing.
 */
class Reloader {
  private running: Promise<void> | null = null;
  private again: string | null = null;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly file: string, private readonly director: Director, private readonly log: (r: LogRecord) => void,
    private readonly onConfig: (c: ConfigFile) => void,
  ) {}

  request(trigger: string): void {
    if (this.closed) return;
    if (trigger === 'file changed') {
      // Debounced, and read only once the file has stopped changing.
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.settled().then((still) => (still ? this.enqueue(trigger) : this.request(trigger)));
      }, SETTLE_MS);
      return;
    }
    this.enqueue(trigger);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** True when size and mtime agree across SETTLE_MS (a writer still at work changes them). */
  private async settled(): Promise<boolean> {
    const look = () => stat(this.file).then((s) => `${s.size}:${s.mtimeMs}:${s.ino}`, () => 'missing');
    const before = await look();
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return before === (await look());
  }

  private enqueue(trigger: string): void {
    if (this.closed) return;
    if (this.running) {
      this.again ??= trigger;
      return;
    }
    this.running = this.reload(trigger).finally(() => {
      this.running = null;
      const next = this.again;
      this.again = null;
      if (next) this.enqueue(next);
    });
  }

  private async reload(trigger: string): Promise<void> {
    const refuse = (why: string) =>
      this.log({ time: Date.now(), level: 'error', event: 'reload', message: `reload (${trigger}) refused, the running config stays: ${why}`, trigger });
    let next: ConfigFile;
    try {
      next = await readConfig(this.file);
    } catch (err) {
      if (err instanceof IpvsConfigError) {
        refuse(err.problems.slice(0, 20).map((p) => formatConfigProblem(p, err.file)).join('; '));
      } else refuse((err as Error).message);
      return;
    }
    if (trigger === 'file changed' && JSON.stringify(next) === JSON.stringify(this.director.current)) return;
    if (this.closed) return;
    try {
      this.onConfig(next);
      await this.director.reload(next);
    } catch (err) {
      this.onConfig(this.director.current);
      if (this.director.current !== next) refuse((err as Error).message);
      // Taken, but its apply failed (logged by the director): the next resync applies it again.
      else this.log({ time: Date.now(), level: 'error', event: 'reload', message: `reload (${trigger}): the new config is in force, its apply failed (${(err as Error).message}); the next resync retries`, trigger });
    }
  }
}

/**
 * Watches the file's directory, not the file: an editor that saves by rename replaces the file a
 * watch would follow. inotify misses changes on some file systems (network ones, UML's hostfs),
 * so the file's stat is also polled every POLL_MS; a change seen both ways is read once (debounced).
 */
function watchFile(file: string, changed: () => void, log: (r: LogRecord) => void): { close(): void } {
  const name = basename(file);
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, filename) => {
      if (filename === null || filename === name) changed();
    });
    watcher.on('error', (err) => log({ time: Date.now(), level: 'warn', event: 'reload', message: `watching ${file} stopped (${err.message}): changes are seen by polling` }));
  } catch (err) {
    log({ time: Date.now(), level: 'warn', event: 'reload', message: `cannot watch ${file} (${(err as Error).message}): changes are seen by polling` });
  }
  const poll = (current: Stats, previous: Stats) => {
    if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size || current.ino !== previous.ino) changed();
  };
  watchStat(file, { persistent: false, interval: POLL_MS }, poll);
  return {
    close() {
      watcher?.close();
      unwatchFile(file, poll);
    },
  };
}

export const directorCommand: Command = {
  run,
};
