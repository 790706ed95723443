/** The connection table as `ipvsadm -L -n -c` prints it (print_conn in ipvsadm.c), column for column. */
import { hostPort } from '../describe';
import type { ConnectionEndpoint, ConnectionEntry } from '../types';

const pad = (text: string, width: number) => text.padEnd(width);
const two = (n: number) => String(n).padStart(2, '0');

/** ipvsadm prints the seconds left as "%02d:%02d" (minutes, seconds): 900 s is 15:00. */
export function expireText(seconds: number): string {
  return `${two(Math.floor(seconds / 60))}:${two(seconds % 60)}`;
}

const endpoint = (e: ConnectionEndpoint) => hostPort(e.address, e.port);

/**
 * The whole listing, ending with a newline. withPersistence is --persistent-conn: two more
 * columns for entries with persistence-engine data. ipvsadm reads PEData with sscanf's %s, so
 * only its first word shows, and prints the destination of such lines 16 wide: both kept.
 */
export function formatConnections(entries: readonly ConnectionEntry[], withPersistence = false): string {
  const lines = ['IPVS connection entries'];
  lines.push(withPersistence
    ? `pro expire ${pad('state', 11)} ${pad('source', 18)} ${pad('virtual', 18)} ${pad('destination', 18)} ${pad('pe name', 16)} pe_data`
    : `pro expire ${pad('state', 11)} ${pad('source', 18)} ${pad('virtual', 18)} destination`);
  for (const e of entries) {
    const head = `${pad(e.protocol.toUpperCase(), 3)} ${pad(expireText(e.expires), 6)} ${pad(e.state, 11)} ` +
      `${pad(endpoint(e.client), 18)} ${pad(endpoint(e.virtual), 18)}`;
    const pe = e.persistenceEngine;
    const data = pe?.data.split(/[ \t\n\v\f\r]/).find((w) => w !== '');
    if (withPersistence && pe && data) {
      lines.push(`${head} ${pad(endpoint(e.destination), 16)} ${pad(pe.name, 18)} ${data}`);
    } else {
      lines.push(`${head} ${endpoint(e.destination)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
