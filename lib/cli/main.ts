#!/usr/bin/env node
/** The node-ipvs command line. Subcommands live in files of their own. */
import { sandboxCommand } from './sandbox';
import { listCommand } from './list';

const COMMANDS: Record<string, { run(args: string[]): Promise<number>; summary: string }> = {
  sandbox: sandboxCommand,
  list: listCommand,
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: node-ipvs <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nnode-ipvs <command> --help for a command's options.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`node-ipvs: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: Error) => {
    process.stderr.write(`node-ipvs: ${err.message}\n`);
    process.exitCode = 1;
  },
);
