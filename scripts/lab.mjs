#!/usr/bin/env node
// The main job: boots the sandbox kernel and runs the classic LVS clusters (NAT, DR,
// TUN) inside it with real traffic (lab/guest.mjs). Arguments pass through:
//   npm run lab -- --scenario dr --json
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const r = spawnSync('node', ['dist/cli/main.js', 'sandbox', '--timeout', '1800', '--', 'node', 'lab/guest.mjs', ...process.argv.slice(2)], {
  cwd: root, stdio: 'inherit',
});
process.exit(r.status ?? 1);
