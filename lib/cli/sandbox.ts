/** `node-ipvs sandbox [options] -- CMD [ARGS...]`: run a command in a fresh sandbox kernel. */
import { parseArgs } from 'node:util';
import { DEFAULT_MODULES, runInSandbox } from '../sandbox/runner';
import { UsageError } from './common';

const HELP = `usage: node-ipvs sandbox [options] -- COMMAND [ARGS...]

Boots a throw-away Linux 6.1 kernel (user-mode Linux) with IPVS and every
scheduler loaded, whose root is this machine's /, and runs COMMAND as root in
it, in the current directory. No root is needed on the host. Exits with the
command's status.

options:
  --timeout SECONDS   kill the guest after this long (default 600)
  --memory SIZE       guest memory (default 2G)
  --no-ipvs           boot without loading any module (IPVS absent)
  --modules A,B       load exactly these modules instead of the default set
  --quiet             do not print the boot time
`;

export const sandboxCommand = {
  async run(args: string[]): Promise<number> {
    const split = args.indexOf('--');
    const own = split >= 0 ? args.slice(0, split) : args;
    const command = split >= 0 ? args.slice(split + 1) : [];
    let parsed;
    try {
      parsed = parseArgs({
        args: own,
        options: {
          timeout: { type: 'string' },
          memory: { type: 'string' },
          'no-ipvs': { type: 'boolean' },
          modules: { type: 'string' },
          quiet: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { values } = parsed;
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    if (command.length === 0) {
      process.stderr.write(`node-ipvs sandbox: no command given\n\n${HELP}`);
      return 2;
    }
    const timeout = values.timeout === undefined ? 600 : Number(values.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0) {
      process.stderr.write(`node-ipvs sandbox: --timeout: expected seconds, got ${values.timeout}\n`);
      return 2;
    }
    const modules = values['no-ipvs'] ? [] : values.modules ? values.modules.split(',').filter(Boolean) : DEFAULT_MODULES;
    const result = await runInSandbox({ command, timeoutMs: timeout * 1000, memory: values.memory, modules });
    if (!values.quiet)
      process.stderr.write(`node-ipvs sandbox: booted in ${result.bootMs} ms, exit status ${result.exitCode}\n`);
    return result.exitCode;
  },
};
