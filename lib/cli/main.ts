#!/usr/bin/env node
/** The node-ipvs command line: a thin layer over the library. Subcommands live in files of their own. */
import { IpvsError, IpvsHostError, IpvsRulesError, IpvsValidationError } from '../errors';
import { CommandFailure, UsageError, type Command } from './common';
import { hostCommand } from './host';
import { addDestCommand, addServiceCommand, deleteDestCommand, deleteServiceCommand, editDestCommand, editServiceCommand } from './edit';
import { listCommand } from './list';
import { restoreCommand, saveCommand } from './rules';
import { sandboxCommand } from './sandbox';
import { daemonCommand, flushCommand, infoCommand, timeoutsCommand, zeroCommand } from './settings';

const COMMANDS: Record<string, Command> = {
  list: listCommand,
  save: saveCommand,
  restore: restoreCommand,
  'add-service': addServiceCommand,
  'edit-service': editServiceCommand,
  'delete-service': deleteServiceCommand,
  'add-dest': addDestCommand,
  'edit-dest': editDestCommand,
  'delete-dest': deleteDestCommand,
  flush: flushCommand,
  zero: zeroCommand,
  timeouts: timeoutsCommand,
  daemon: daemonCommand,
  info: infoCommand,
  host: hostCommand,
  sandbox: sandboxCommand,
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(15)} ${c.summary}`);
  return `usage: node-ipvs <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n` +
    'Every command takes --netns NAME (a name under /run/netns or a path) and --help.\n';
}

/** Errors the user can act on get their message; anything else is a bug and keeps its stack. */
function describe(err: unknown): { text: string; code: number } {
  if (err instanceof UsageError) return { text: `${err.message}\n(see --help)`, code: 2 };
  if (err instanceof IpvsRulesError) {
    const shown = err.problems.slice(0, 20).map((p) => `line ${p.line}: ${p.reason}: ${p.text.trim()}`);
    if (err.problems.length > 20) shown.push(`... and ${err.problems.length - 20} more bad lines`);
    return { text: `nothing was applied: the rules text has ${err.problems.length} bad line(s)\n${shown.join('\n')}`, code: 1 };
  }
  if (err instanceof IpvsError) return { text: `${err.message} (${err.code})`, code: 1 };
  if (err instanceof IpvsHostError) return { text: `${err.message} (${err.code})`, code: 1 };
  if (err instanceof CommandFailure) return { text: err.message, code: 1 };
  if (err instanceof IpvsValidationError) return { text: err.message, code: 1 };
  if (err instanceof Error && 'code' in err && typeof err.code === 'string' && 'path' in err) return { text: err.message, code: 1 };
  return { text: err instanceof Error ? err.stack ?? err.message : String(err), code: 1 };
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    (name ? process.stdout : process.stderr).write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`node-ipvs: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    const { text, code } = describe(err);
    process.stderr.write(`node-ipvs ${name}: ${text}\n`);
    return code;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
