/** What every node-ipvs subcommand shares: option parsing, the client, service keys, output. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Ipvs } from '../ipvs';
import { EndpointError, parseEndpoint } from '../rules/endpoint';
import type { ServiceKey } from '../types';

/** Bad command-line usage: exit status 2, with a pointer to --help. */
export class UsageError extends Error {}

/** A command that cannot do what was asked (not a usage mistake): exit status 1, the message alone. */
export class CommandFailure extends Error {}

export interface Command {
  run(args: string[]): Promise<number>;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Taken by every subcommand: -n is ipvsadm's "numeric output", which node-ipvs always gives. */
export const COMMON_OPTIONS: Options = {
  netns: { type: 'string' }, numeric: { type: 'boolean', short: 'n' }, help: { type: 'boolean', short: 'h' },
};

/** Service options, with ipvsadm's letters and long names as aliases (-t, --tcp-service, ...). */
export const SERVICE_OPTIONS: Options = {
  tcp: { type: 'string', short: 't' }, udp: { type: 'string', short: 'u' }, sctp: { type: 'string' },
  fwmark: { type: 'string', short: 'f' }, ipv6: { type: 'boolean', short: '6' },
  'tcp-service': { type: 'string' }, 'udp-service': { type: 'string' }, 'sctp-service': { type: 'string' },
  'fwmark-service': { type: 'string' },
};
export const SERVICE_HELP = `service (one of):
  --tcp ADDR:PORT      a TCP service, e.g. 192.0.2.1:80 or [2001:db8::1]:443
  --udp ADDR:PORT      a UDP service
  --sctp ADDR:PORT     an SCTP service
  --fwmark MARK        a firewall-mark service (add --ipv6 for an IPv6 one)
  (ipvsadm's -t, -u, -f, -6, --tcp-service, ... are taken too)
`;

const SERVICE_KINDS = ['tcp', 'udp', 'sctp', 'fwmark'] as const;

export const HELP_WIDTH = 80;

/**
 * Lines past 80 columns broken at a space and continued in the description
 * column (after the first run of two or more spaces), or for a usage line
 * under its arguments, so every help screen fits a terminal whoever wrote it.
 */
export function fitHelp(text: string, width = HELP_WIDTH): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    let rest = line;
    const usage = /^(?:usage: |\s+)node-ipvs \S+ /.exec(line);
    const gap = /^(\s*\S.*?\s{2,})\S/.exec(line);
    const column = usage ? usage[0].length : gap && gap[1].length < width / 2 ? gap[1].length : (/^\s*/.exec(line)?.[0].length ?? 0) + 2;
    const indent = ' '.repeat(column);
    while (rest.length > width) {
      // Whole "[--option VALUE]" groups stay together where the line has them.
      const bracket = rest.lastIndexOf(' [', width - 1);
      const cut = bracket > column ? bracket : rest.lastIndexOf(' ', width);
      if (cut <= column) break;
      out.push(rest.slice(0, cut).trimEnd());
      rest = indent + rest.slice(cut + 1).trimStart();
    }
    out.push(rest);
  }
  return out.join('\n');
}

export type Values = Record<string, string | boolean | undefined>;

/**
 * Parses a subcommand's arguments; --help and --netns are always accepted.
 * Returns null after printing help.
 */
export function parse(args: string[], options: Options, help: string, positionals = false): { values: Values; positionals: string[] } | null {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, ...COMMON_OPTIONS }, allowPositionals: positionals });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(fitHelp(help));
    return null;
  }
  return { values: parsed.values as Values, positionals: parsed.positionals };
}

export async function withClient<T>(values: Values, fn: (ipvs: Ipvs) => Promise<T>): Promise<T> {
  const ipvs = await Ipvs.open(typeof values.netns === 'string' ? { netns: values.netns } : {});
  try {
    return await fn(ipvs);
  } finally {
    ipvs.close();
  }
}

/** An integer option, or undefined when absent; UsageError names the flag. */
export function intOption(values: Values, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new UsageError(`--${name}: expected a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

export function serviceFrom(values: Values, required = true): ServiceKey | undefined {
  const given = SERVICE_KINDS.flatMap((kind) =>
    [kind, `${kind}-service`].filter((name) => values[name] !== undefined).map((name) => ({ kind, name })));
  if (given.length === 0) {
    if (required) throw new UsageError('no service given: use --tcp, --udp, --sctp or --fwmark');
    return undefined;
  }
  if (given.length > 1) throw new UsageError(`more than one service given (--${given.map((g) => g.name).join(', --')})`);
  const [{ kind, name }] = given;
  const text = values[name] as string;
  if (kind === 'fwmark') {
    const mark = intOption(values, name)!;
    return { fwmark: mark, family: values.ipv6 ? 'ipv6' : 'ipv4' };
  }
  try {
    const ep = parseEndpoint(text, kind);
    if (ep.port === undefined) throw new UsageError(`--${name} ${text}: give the port too (ADDR:PORT)`);
    return { protocol: kind, address: ep.address, port: ep.port };
  } catch (err) {
    if (err instanceof EndpointError) throw new UsageError(`--${name}: ${err.message}`);
    throw err;
  }
}

/** JSON with 64-bit counters as decimal strings. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}
