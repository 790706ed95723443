// The classic LVS clusters with real traffic. Each scenario builds its topology,
// sets the hosts up with the library, sends requests from the client to the
// VIP, checks what a person setting up LVS would check, and tears down.
import { drain } from './scenarios/apply-drain.mjs';
import { fwmarkTwoPorts } from './scenarios/apply-fwmark.mjs';
import { persistenceAllPorts } from './scenarios/apply-persistence.mjs';
import { dr, drWithoutArp } from './scenarios/dr.mjs';
import { failover, failoverCompare } from './scenarios/failover.mjs';
import { health } from './scenarios/health.mjs';
import { nat } from './scenarios/nat.mjs';
import { leastConnection, schedulers } from './scenarios/schedulers.mjs';
import { tun } from './scenarios/tun.mjs';

export const SCENARIOS = {
  nat: () => nat('ipv4'),
  nat6: () => nat('ipv6'),
  dr: () => dr('ipv4'),
  dr6: () => dr('ipv6'),
  'dr-no-arp': drWithoutArp,
  tun: () => tun('ipv4'),
  tun6: () => tun('ipv6'),
  schedulers,
  'least-connection': leastConnection,
  'apply-persistence': persistenceAllPorts,
  'apply-fwmark': fwmarkTwoPorts,
  'apply-drain': drain,
  health: () => health(),
  'failover-keepalived': () => failover('keepalived'),
  'failover-node-ipvs': () => failover('node-ipvs'),
  'failover-follow': () => failover('follow'),
  'failover-mixed': () => failover('mixed'),
  'failover-mixed-reverse': () => failover('mixed-reverse'),
  'failover-compare': () => failoverCompare(),
  'failover-compare-delay': () => failoverCompare(undefined, { preemptDelay: 10 }),
};

export const TITLES = {
  nat: 'LVS-NAT: the director rewrites addresses both ways; replies come back through it',
  nat6: 'LVS-NAT over IPv6',
  dr: 'LVS-DR: real servers hold the VIP on lo and answer the client directly',
  dr6: 'LVS-DR over IPv6 (no ARP: neighbour discovery answers only on the asked interface)',
  'dr-no-arp': 'LVS-DR without the real servers\' ARP settings: the failure the LVS recipes warn about (reported, not fatal)',
  tun: 'LVS-TUN: IP-in-IP to real servers holding the VIP on tunl0, one behind a router',
  tun6: 'LVS-TUN over IPv6: IPv6-in-IPv6 to real servers holding the VIP on ip6tnl0, one behind a router',
  schedulers: 'schedulers on a DR cluster of three: wrr weights, a live change to sh, persistence',
  'least-connection': 'wlc and lc with connections held open, and a live change from one to the other',
  'apply-persistence': 'node-ipvs apply docs/examples/persistence-all-ports.yaml: a port-0 persistent service; one client, every port, one real server',
  'apply-fwmark': 'node-ipvs apply docs/examples/fwmark-two-ports.yaml: ports 80 and 443 marked in the mangle table, one persistent fwmark service',
  'apply-drain': 'node-ipvs apply drains a real server taken out of the file: held connections keep working, new ones go elsewhere, deleted once they close',
  'failover-keepalived': 'director failover with two keepalived directors (VRRPv3 + sync daemon): master killed, back, link down, up; 200 held connections',
  'failover-node-ipvs': "director failover with two node-ipvs director agents (VRRPv3; both sync daemons on each, the default): the same four events",
  'failover-follow': "director failover with two node-ipvs director agents switching the sync daemons with the state (sync.mode 'follow', keepalived's)",
  'failover-mixed': 'director failover with a mixed pair: dir1 (the master) node-ipvs, dir2 keepalived',
  'failover-mixed-reverse': 'director failover with a mixed pair: dir1 (the master) keepalived, dir2 node-ipvs',
  'failover-compare': 'director failover, every pair in turn (keepalived, node-ipvs, node-ipvs follow, the mixed pairs): the four events side by side',
  'failover-compare-delay': 'failover-compare with a preempt delay of 10 s: the returning director resyncs before it takes the VIP back',
  health: 'health checks on a DR cluster of three: the director agent beside keepalived (servers stopped and started, all down to the sorry server, drift, reload)',
};
