// The lab's way to the node-ipvs command, as a person runs it: `node-ipvs apply FILE --netns NS`
// from this repository's build, and ipvsadm's view of a namespace as the reference.
import { execFile } from 'node:child_process';
import { inNs } from './topology.mjs';

const MAIN = new URL('../dist/cli/main.js', import.meta.url).pathname;

/**
 * Runs `node-ipvs ARGS…` (without blocking the event loop: `apply --wait` polls for seconds):
 * { status, stdout, stderr, ms }.
 */
export function nodeIpvs(...args) {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ status, stdout, stderr: err && typeof err.code !== 'number' ? `${stderr}${err.message}` : stderr, ms: Date.now() - started });
    });
  });
}

/** `node-ipvs apply FILE --json --netns NS [OPTIONS…]`: { status, json (the parsed output, or null), stderr, ms }. */
export async function applyFile(ns, file, ...options) {
  const r = await nodeIpvs('apply', file, '--json', '--netns', ns, ...options);
  let json = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    // left null: the checks report the status and stderr
  }
  return { ...r, json };
}

/** `ipvsadm -Ln` in ns, as text. */
export const ipvsadmList = (ns) => inNs(ns, 'ipvsadm', '-Ln');

/** ipvsadm -Ln's line for a real server (its address and port as ipvsadm prints them), or ''. */
export function ipvsadmLine(listing, hostPort) {
  return listing.split('\n').find((l) => l.trim().startsWith(`-> ${hostPort} `))?.trim().replace(/\s+/g, ' ') ?? '';
}

/** A config file of docs/examples/, by name: the lab applies them as they are. */
export const example = (name) => new URL(`../docs/examples/${name}`, import.meta.url).pathname;

/**
 * The persistence templates in a connection listing (ipvs.listConnections()), as "client → real
 * server". A template's state is NONE or ASSURED; its protocol is the service's for a port-0
 * service and IP for a fwmark service, and its client is the client's network (the netmask).
 */
export const templates = (conns) => conns.filter((c) => c.state === 'NONE' || c.state === 'ASSURED')
  .map((c) => `${c.client.address} → ${c.destination.address}`);
