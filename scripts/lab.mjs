#!/usr/bin/env node
// The main job: boots the sandbox kernel and, inside it, programs the seed
// clusters' IPVS tables with the library, then shows them as the library
// and as ipvsadm read them back. (Live traffic through NAT, DR and TUN
// topologies grows here in a later issue.)
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const r = spawnSync('node', ['dist/cli/main.js', 'sandbox', '--timeout', '300', '--', 'node', 'scripts/lab-guest.mjs', ...process.argv.slice(2)], {
  cwd: root, stdio: 'inherit',
});
process.exit(r.status ?? 1);
