/**
 * The namespace's global counters, /proc/net/ip_vs_stats: netlink has no command for them, so the
 * file is read by the addon on a helper thread that joined the client's namespace, as the
 * connection table is (lib/connections.ts).
 */
import { constants as os } from 'node:os';
import { native } from '../binding';
import { isNativeError } from '../call';
import { IpvsError } from '../errors';
import type { Stats } from '../types';

/** The same ten counters and rates as a service's or a destination's (lib/types.ts Stats), for the whole namespace. */
export type GlobalStats = Stats;

const FILE = '/proc/net/ip_vs_stats';

/** Rejects with IpvsError: the errno of the open or read (ENOENT: IPVS not loaded), ETIMEDOUT, or EPROTO for a file not as expected. */
export async function readGlobalStats(netns: string | null, timeoutMs: number): Promise<GlobalStats> {
  let files: Buffer[];
  try {
    files = await native().readProcNet(netns, ['ip_vs_stats'], timeoutMs);
  } catch (err) {
    if (!isNativeError(err)) throw err;
    throw new IpvsError(err.errno, { operation: 'globalStats', object: FILE, netns: netns ?? undefined, stage: err.stage, timeoutMs });
  }
  return parseGlobalStats(files[0].toString('latin1'));
}

const HEX_ROW = /^\s*([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s*$/;

/**
 * The kernel (ip_vs_stats_show) writes two header lines, the totals as five hex numbers, a blank
 * line, a header line and the rates as five hex numbers. The rows of five hex numbers are taken in
 * order; anything else is a file this parser does not know, and an error rather than zeros.
 */
export function parseGlobalStats(text: string): GlobalStats {
  const rows = text.split('\n').map((line) => HEX_ROW.exec(line)).filter((m) => m !== null);
  if (rows.length !== 2) {
    throw new IpvsError(os.errno.EPROTO, { operation: 'globalStats', object: `${FILE} (${rows.length} rows of five hex numbers, not 2)` });
  }
  const [totals, rates] = rows.map((m) => m.slice(1, 6).map((hex) => BigInt(`0x${hex}`)));
  return {
    conns: totals[0], inPackets: totals[1], outPackets: totals[2], inBytes: totals[3], outBytes: totals[4],
    cps: rates[0], inPps: rates[1], outPps: rates[2], inBps: rates[3], outBps: rates[4],
  };
}
