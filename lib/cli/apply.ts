/** `node-ipvs apply FILE` and `node-ipvs diff FILE`: make the kernel hold a config file's table, changing only the difference. */
import { readConfig } from '../config';
import { IpvsConfigError, formatConfigProblem } from '../errors';
import { formatPlan, serviceLabel } from '../table/format-plan';
import { hostPort } from '../describe';
import type { ApplyOptions, ApplyResult, DrainingDestination } from '../apply';
import { intOption, parse, printJson, UsageError, withClient, type Command, type Values } from './common';

const APPLY_HELP = `usage: node-ipvs apply FILE [--dry-run] [--prune] [--state FILE] [--drain-services] [--drain-timeout SECONDS] [--wait] [--json] [--netns NAME]

Makes the kernel hold the table of FILE (YAML, JSON, or ipvsadm rules text;
see docs/config.md) for the services FILE declares, sending only what differs:
applying the same file twice changes nothing the second time. It never
flushes, and never touches a service FILE does not declare (with --prune, one
it created earlier and FILE no longer declares is removed).
A destination left out of FILE is drained: set to weight 0 at once (new
connections go elsewhere) and deleted once it has no connections, or once
the drain timeout has passed, by this apply or a later one. Prints the plan,
then what is still draining.

options:
  --dry-run                print the plan, change nothing (as node-ipvs diff)
  --prune                  also remove services created by an earlier apply
                           and no longer in FILE (needs --state)
  --state FILE             the ownership record (services applied, drains
                           under way), written atomically; keep the same one
                           between runs
  --drain-services         with --prune, drain a service's real servers before
                           deleting it (default: deleted at once)
  --drain-timeout SECONDS  delete a draining destination after this long even
                           with connections left (default 300)
  --wait                   wait for the drains to finish (up to the drain
                           timeout) instead of leaving them to a later apply
  --json                   print the plan and every step's outcome as JSON
  --netns NAME             the table of network namespace NAME

Exit status: 0 when every step took effect (with --dry-run: nothing to do),
1 when one failed, 2 with --dry-run when there is a difference.
`;

const DIFF_HELP = `usage: node-ipvs diff FILE [--prune] [--state FILE] [--drain-timeout SECONDS] [--json] [--netns NAME]

What node-ipvs apply FILE would change, changing nothing (apply --dry-run):
+ adds, ~ changes (the fields, old → new), - drains and removals.

options: as node-ipvs apply.

Exit status: 0 when the kernel already holds FILE's table, 2 when it differs,
1 on an error.
`;

const OPTIONS = {
  'dry-run': { type: 'boolean' }, prune: { type: 'boolean' }, state: { type: 'string' },
  'drain-timeout': { type: 'string' }, 'drain-services': { type: 'boolean' }, wait: { type: 'boolean' }, json: { type: 'boolean' },
} as const;

function optionsFrom(values: Values, dryRun: boolean): ApplyOptions {
  const options: ApplyOptions = { dryRun };
  if (values.prune) {
    if (typeof values.state !== 'string') throw new UsageError('--prune needs --state FILE (where the services applied earlier are remembered)');
    options.prune = true;
  }
  if (values['drain-services']) options.drainServices = true;
  if (typeof values.state === 'string') options.ownership = { file: values.state };
  const seconds = intOption(values, 'drain-timeout');
  if (seconds !== undefined) {
    if (seconds > 2_000_000) throw new UsageError(`--drain-timeout: at most 2000000 seconds, got ${seconds}`);
    options.drainTimeout = seconds * 1000;
  }
  if (values.wait && !dryRun) options.wait = true;
  return options;
}

function drainingLine(d: DrainingDestination): string {
  return `draining ${serviceLabel(d.service)} -> ${hostPort(d.destination.address, d.destination.port)}  since ${new Date(d.since).toISOString()}, ` +
    `${d.active} active, ${d.inactive} inactive\n`;
}

function json(result: ApplyResult, dryRun: boolean) {
  return {
    dryRun,
    changed: result.changed,
    plan: result.plan,
    results: result.results.map((r) => ({
      action: r.step.action, service: r.step.service, ...(r.step.destination ? { destination: r.step.destination } : {}),
      outcome: r.outcome, ...(r.error ? { code: r.error.code, error: r.error.message } : {}),
    })),
    draining: result.draining.map((d) => ({ ...d, since: new Date(d.since).toISOString() })),
  };
}

async function run(args: string[], dryRun: boolean, help: string, name: string): Promise<number> {
  const parsed = parse(args, OPTIONS, help, true);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`${name} takes one FILE, got ${positionals.length}`);
  const dry = dryRun || values['dry-run'] === true;
  const options = optionsFrom(values, dry);
  let table;
  try {
    ({ table } = await readConfig(positionals[0]));
  } catch (err) {
    if (!(err instanceof IpvsConfigError)) throw err;
    for (const p of err.problems.slice(0, 50)) process.stderr.write(`${formatConfigProblem(p, err.file)}\n`);
    if (err.problems.length > 50) process.stderr.write(`... and ${err.problems.length - 50} more problems\n`);
    process.stderr.write(`node-ipvs ${name}: nothing was applied\n`);
    return 1;
  }
  const result = await withClient(values, (ipvs) => ipvs.apply(table, options));
  if (values.json) printJson(json(result, dry));
  else {
    process.stdout.write(formatPlan(result.plan));
    for (const r of result.results) {
      if (r.outcome === 'failed' || r.outcome === 'unknown' || r.outcome === 'not-sent')
        process.stderr.write(`node-ipvs ${name}: ${r.step.action} ${serviceLabel(r.step.service)}` +
          `${r.step.destination ? ` -> ${hostPort(r.step.destination.address, r.step.destination.port)}` : ''}: ${r.outcome}` +
          `${r.error ? `: ${r.error.message} (${r.error.code})` : ''}\n`);
    }
    for (const d of result.draining) process.stdout.write(drainingLine(d));
  }
  if (dry) return result.plan.steps.length ? 2 : 0;
  return result.results.some((r) => r.outcome === 'failed' || r.outcome === 'unknown' || r.outcome === 'not-sent') ? 1 : 0;
}

export const applyCommand: Command = {
  run: (args) => run(args, false, APPLY_HELP, 'apply'),
};

export const diffCommand: Command = {
  run: (args) => run(args, true, DIFF_HELP, 'diff'),
};
