/** `node-ipvs status`: the table as `node-ipvs list` shows it, with apply's ownership record beside it (owned services, drains). */
import type { DestinationStatus, DrainStatus, ServiceStatus, StatusOptions, TableStatus } from '../apply/status';
import { hostPort } from '../describe';
import { serviceLabel } from '../table/format-plan';
import { intOption, parse, printJson, UsageError, withClient, type Command } from './common';
import { sortDestinations, sortServices } from '../rules/order';
import { formatService } from './listing';

const HELP = `usage: node-ipvs status [--state FILE] [--drain-timeout SECONDS] [--consistent] [--json] [--netns NAME]

The table as node-ipvs list shows it, read beside the ownership record that
node-ipvs apply --state FILE keeps: each service marked owned (apply manages
it) or not owned, each destination apply is draining shown with how long it
has drained and since when, its active and inactive connections, and the time
left before the drain timeout deletes it anyway. A draining destination with
no connections left is "due": the next apply deletes it. Reads only.

options:
  --state FILE             the ownership record given to apply --state; without
                           it, ownership and drains are not known
  --drain-timeout SECONDS  the drain timeout apply runs with (the record does
                           not hold it): shows the time each drain has left
  --consistent             read the table until two readings agree (a listing
                           taken while the table changes can miss entries)
  --json                   the same as JSON (times as ISO 8601 and milliseconds)
  --netns NAME             the table of network namespace NAME

Exit status: 0, or 1 on an error (a bad record is one: it is named).
`;

/** node-ipvs list's header (ipvsadm's), also shown over an empty table. */
const HEADER = ['Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn'];

const OPTIONS = { state: { type: 'string' }, 'drain-timeout': { type: 'string' }, consistent: { type: 'boolean' }, json: { type: 'boolean' } } as const;

/** 65000 ms → "1m05s": a person reads a drain's age at a glance. */
export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m${String(s % 60).padStart(2, '0')}s`;
}

const iso = (ms: number) => new Date(ms).toISOString();

function drainText(d: DrainStatus): string {
  const left = d.timeoutLeft === null ? '' : d.timeoutLeft === 0 ? ', timed out' : `, ${duration(d.timeoutLeft)} to the drain timeout`;
  return `draining ${duration(d.elapsed)} (since ${iso(d.since)})${left}${d.due ? ': due, the next apply deletes it' : ''}`;
}

/** ipvsadm's order, as node-ipvs list prints it. */
function ordered(services: readonly ServiceStatus[]): ServiceStatus[] {
  return sortServices(services).map((s) => ({ ...s, destinations: sortDestinations(s.destinations) }));
}

/**
 * The listing of `node-ipvs list` (ipvsadm -L -n) line for line, each line followed by its
 * status: `withRecord` false (no --state) marks nothing, for nothing is known.
 */
export function formatStatus(status: TableStatus, withRecord: boolean): string {
  const lines: string[] = [];
  const services = ordered(status.services);
  const draining = services.reduce((n, s) => n + s.destinations.filter((d) => d.drain).length, 0);
  lines.push(withRecord
    ? `${services.filter((s) => s.owned).length} of ${services.length} service(s) owned, ${draining} destination(s) draining`
    : 'no ownership record (--state FILE): ownership and drains not known');
  lines.push(...HEADER);
  for (const s of services) {
    const [, , serviceLine, ...destLines] = formatService(s, 'default', false, false).slice(0, -1).split('\n');
    lines.push(withRecord ? `${serviceLine}  ${s.owned ? 'owned' : 'not owned'}` : serviceLine);
    destLines.forEach((line, j) => {
      const d: DestinationStatus = s.destinations[j];
      lines.push(d.drain ? `${line.trimEnd()}  ${drainText(d.drain)}` : line);
    });
  }
  for (const k of status.missing) lines.push(`missing ${serviceLabel(k)}: owned, not in the kernel (an apply that declares it adds it again)`);
  for (const d of status.drainsGone) lines.push(`drained ${serviceLabel(d.service)} -> ${hostPort(d.destination.address, d.destination.port)}: deleted (the next apply forgets it)`);
  return `${lines.join('\n')}\n`;
}

export function statusJson(status: TableStatus, record: string | null) {
  return {
    at: iso(status.at),
    ownership: record,
    services: ordered(status.services).map((s) => ({
      ...s,
      owned: record === null ? null : s.owned,
      destinations: s.destinations.map((d) => ({
        ...d,
        drain: d.drain && { since: iso(d.drain.since), elapsedMs: d.drain.elapsed, timeoutLeftMs: d.drain.timeoutLeft, due: d.drain.due },
      })),
    })),
    missing: status.missing,
    drainsGone: status.drainsGone.map((d) => ({ ...d, since: iso(d.since) })),
  };
}

export const statusCommand: Command = {
  async run(args) {
    const p = parse(args, OPTIONS, HELP);
    if (!p) return 0;
    const v = p.values;
    const options: StatusOptions = { consistent: v.consistent === true };
    const record = typeof v.state === 'string' ? v.state : null;
    if (record !== null) options.ownership = { file: record };
    const seconds = intOption(v, 'drain-timeout');
    if (seconds !== undefined) {
      if (seconds > 2_000_000) throw new UsageError(`--drain-timeout: at most 2000000 seconds, got ${seconds}`);
      options.drainTimeout = seconds * 1000;
    }
    const status = await withClient(v, (ipvs) => ipvs.status(options));
    if (v.json) printJson(statusJson(status, record));
    else process.stdout.write(formatStatus(status, record !== null));
    return 0;
  },
};
