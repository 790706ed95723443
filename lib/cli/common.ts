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
  summary: string;
  run(args: string[]): Promise<number>;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export const NETNS_OPTION: Options = { netns: { type: 'string' } };
export const SERVICE_OPTIONS: Options = {
  tcp: { type: 'string' }, udp: { type: 'string' }, sctp: { type: 'string' }, fwmark: { type: 'string' },
  ipv6: { type: 'boolean' },
};
export const SERVICE_HELP = `service (exactly one):
  --tcp ADDR:PORT      a TCP service, e.g. 192.0.2.1:80 or [2001:db8::1]:443
  --udp ADDR:PORT      a UDP service
  --sctp ADDR:PORT     an SCTP service
  --fwmark MARK        a firewall-mark service (add --ipv6 for an IPv6 one)
`;

export type Values = Record<string, string | boolean | undefined>;

/**
 * Parses a subcommand's arguments; --help and --netns are always accepted.
 * Returns null after printing help.
 */
export function parse(args: string[], options: Options, help: string, positionals = false): { values: Values; positionals: string[] } | null {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, ...NETNS_OPTION, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(help);
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
  const given = ['tcp', 'udp', 'sctp', 'fwmark'].filter((n) => values[n] !== undefined);
  if (given.length === 0) {
    if (required) throw new UsageError('no service given: use --tcp, --udp, --sctp or --fwmark');
    return undefined;
  }
  if (given.length > 1) throw new UsageError(`more than one service given (--${given.join(', --')})`);
  const text = values[given[0]] as string;
  if (given[0] === 'fwmark') {
    const mark = intOption(values, 'fwmark')!;
    return { fwmark: mark, family: values.ipv6 ? 'ipv6' : 'ipv4' };
  }
  try {
    const ep = parseEndpoint(text, given[0]);
    if (ep.port === undefined) throw new UsageError(`--${given[0]} ${text}: give the port too (ADDR:PORT)`);
    return { protocol: given[0] as 'tcp' | 'udp' | 'sctp', address: ep.address, port: ep.port };
  } catch (err) {
    if (err instanceof EndpointError) throw new UsageError(`--${given[0]}: ${err.message}`);
    throw err;
  }
}

/** JSON with 64-bit counters as decimal strings. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}
