#!/usr/bin/env node
/** The node-ipvs command line: a thin layer over the library. Subcommands live in files of their own. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { native } from '../binding';
import { IpvsError, IpvsHostError, IpvsRulesError, IpvsValidationError } from '../errors';
import { CommandFailure, fitHelp, UsageError, type Command } from './common';
import { suggestCommand } from './suggest';

/** A subcommand: its line in the usage screen, and its code, loaded only when it runs. */
export interface CommandEntry {
  summary: string;
  load(): Promise<Command>;
}

/**
 * Every subcommand by name (exported for the help-screen tests, which must cover each one). Each
 * file is required on use: `node-ipvs list` does not load YAML, undici or prom-client.
 */
export const COMMANDS = new Map<string, CommandEntry>([
  ['list', { summary: 'list services and destinations (ipvsadm -L -n)', load: async () => (await import('./list')).listCommand }],
  ['save', { summary: 'write the table as rules text (ipvsadm -S -n)', load: async () => (await import('./rules')).saveCommand }],
  ['restore', { summary: 'apply rules text from a file or standard input (ipvsadm -R)', load: async () => (await import('./rules')).restoreCommand }],
  ['apply', { summary: 'make the table hold a config file (only the difference)', load: async () => (await import('./apply')).applyCommand }],
  ['diff', { summary: 'what apply FILE would change (apply --dry-run)', load: async () => (await import('./apply')).diffCommand }],
  ['status', { summary: 'the table with what apply owns and drains (--state FILE)', load: async () => (await import('./status')).statusCommand }],
  ['add-service', { summary: 'add a virtual service (ipvsadm -A)', load: async () => (await import('./edit')).addServiceCommand }],
  ['edit-service', { summary: "change a service's settings; the others keep their values (ipvsadm -E)", load: async () => (await import('./edit')).editServiceCommand }],
  ['delete-service', { summary: 'delete a service and its destinations (ipvsadm -D)', load: async () => (await import('./edit')).deleteServiceCommand }],
  ['add-dest', { summary: 'add a real server to a service (ipvsadm -a)', load: async () => (await import('./edit')).addDestCommand }],
  ['edit-dest', { summary: "change a real server's settings; the others keep their values (ipvsadm -e)", load: async () => (await import('./edit')).editDestCommand }],
  ['delete-dest', { summary: 'remove a real server from a service (ipvsadm -d)', load: async () => (await import('./edit')).deleteDestCommand }],
  ['flush', { summary: 'delete every service (ipvsadm -C)', load: async () => (await import('./settings')).flushCommand }],
  ['zero', { summary: 'zero the counters of one service or all (ipvsadm -Z)', load: async () => (await import('./settings')).zeroCommand }],
  ['timeouts', { summary: 'show or set the tcp, tcpfin and udp timeouts (ipvsadm --set)', load: async () => (await import('./settings')).timeoutsCommand }],
  ['daemon', { summary: 'start, stop or list connection-sync daemons', load: async () => (await import('./settings')).daemonCommand }],
  ['info', { summary: 'IPVS version and connection table size', load: async () => (await import('./settings')).infoCommand }],
  ['metrics', { summary: 'one scrape of the Prometheus metrics', load: async () => (await import('./metrics')).metricsCommand }],
  ['host', { summary: 'set a director or real server up, down, or check it (start|stop|status)', load: async () => (await import('./host')).hostCommand }],
  ['director', { summary: 'run the agent: apply CONFIG, health checks, drift repair, reloads', load: async () => (await import('./director')).directorCommand }],
  ['sandbox', { summary: 'run a command inside a fresh sandbox kernel with IPVS (no root needed)', load: async () => (await import('./sandbox')).sandboxCommand }],
]);

/** The shell's status for a process killed by SIGPIPE, which is how ipvsadm ends in `ipvsadm -Ln | head`. */
const EXIT_SIGPIPE = 128 + 13;

function usage(): string {
  const lines = [...COMMANDS].map(([name, c]) => `  ${name.padEnd(15)} ${c.summary}`);
  return fitHelp(`usage: node-ipvs <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n` +
    'Every command takes --netns NAME (a name under /run/netns or a path), -n\n' +
    '(accepted for ipvsadm habits: output is always numeric) and --help.\n' +
    'node-ipvs help COMMAND is COMMAND --help; node-ipvs --version (-V) prints\n' +
    'the version.\n');
}

function version(): string {
  // dist/cli/main.js and lib/cli/main.ts both sit two levels below package.json.
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** The addon's load failure, if it cannot be loaded: then any unexpected error is most likely that. */
function addonFailure(): string | null {
  try {
    native();
    return null;
  } catch (err) {
    const [hint, ...cause] = (err as Error).message.split('\n');
    const why = cause.join(' ').replace(/^Cause:\s*/, '').trim();
    return `${hint.replace(/^node-ipvs:\s*/, '')}${why ? ` (cause: ${why})` : ''}`;
  }
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ');

/**
 * Errors the user can act on become one line (a bad rules text adds its bad lines); anything
 * else is a bug and keeps its stack.
 */
export function describeError(err: unknown, command: string): { text: string; code: number } {
  if (err instanceof UsageError) return { text: `${oneLine(err.message)} (see node-ipvs ${command} --help)`, code: 2 };
  if (err instanceof IpvsRulesError) {
    const shown = err.problems.slice(0, 20).map((p) => `line ${p.line}: ${p.reason}: ${p.text.trim()}`);
    if (err.problems.length > 20) shown.push(`... and ${err.problems.length - 20} more bad lines`);
    return { text: `nothing was applied: the rules text has ${err.problems.length} bad line(s)\n${shown.join('\n')}`, code: 1 };
  }
  if (err instanceof IpvsError || err instanceof IpvsHostError) return { text: `${oneLine(err.message)} (${err.code})`, code: 1 };
  if (err instanceof CommandFailure || err instanceof IpvsValidationError) return { text: oneLine(err.message), code: 1 };
  // JSON.parse of a file the user gave (a state file); code is loaded before main runs, so no other SyntaxError reaches here.
  if (err instanceof SyntaxError) return { text: oneLine(err.message), code: 1 };
  // The system refusing a file the user named (ENOENT, EACCES, EISDIR reading a directory, ...).
  if (err instanceof Error && 'code' in err && typeof err.code === 'string' && ('path' in err || 'syscall' in err))
    return { text: oneLine(err.message), code: 1 };
  const addon = addonFailure();
  if (addon) return { text: addon, code: 1 };
  return { text: err instanceof Error ? err.stack ?? err.message : String(err), code: 1 };
}

/**
 * A reader that stops early (`node-ipvs list | head`) closes the pipe: stop quietly, as
 * ipvsadm does when SIGPIPE ends it, instead of dying on an unhandled EPIPE.
 */
function exitQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_SIGPIPE);
    throw err;
  });
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    (name ? process.stdout : process.stderr).write(usage());
    return name ? 0 : 2;
  }
  if (name === 'help') {
    const topic = rest[0] === undefined ? undefined : COMMANDS.get(rest[0]);
    if (topic) return (await topic.load()).run(['--help']);
    process.stdout.write(usage());
    return rest[0] === undefined ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`node-ipvs ${version()}\n`);
    return 0;
  }
  const command = COMMANDS.get(name);
  if (!command) {
    const hint = suggestCommand(name, [...COMMANDS.keys()]);
    process.stderr.write(`node-ipvs: unknown command '${name}'${hint ? `: did you mean ${hint}?` : ''} (see node-ipvs --help)\n`);
    return 2;
  }
  try {
    return await (await command.load()).run(rest);
  } catch (err) {
    const { text, code } = describeError(err, name);
    process.stderr.write(`node-ipvs: ${text}\n`);
    return code;
  }
}

if (require.main === module) {
  exitQuietlyOnClosedPipe();
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
