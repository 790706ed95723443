// Runs inside the sandbox kernel (see lab.mjs): the seeds' director tables,
// made with the library in a private network namespace, then read back.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Ipvs } = require('../dist/index.js');
const ns = 'lab-director';
const run = (...argv) => execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });

run('ip', 'netns', 'add', ns);
run('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
const ipvs = await Ipvs.open({ netns: ns });
try {
  const nat = { protocol: 'tcp', address: '192.0.2.10', port: 80 };
  const dr = { protocol: 'tcp', address: '192.0.2.20', port: 80 };
  const tun = { protocol: 'tcp', address: '2001:db8::20', port: 443 };
  const results = await ipvs.batch([
    // LVS-NAT (seed 000/002): round robin over two real servers, replies through the director.
    { op: 'addService', service: nat, options: { scheduler: 'rr' } },
    { op: 'addDestination', service: nat, destination: { address: '198.51.100.11', port: 80 }, options: { forwarding: 'masq' } },
    { op: 'addDestination', service: nat, destination: { address: '198.51.100.12', port: 80 }, options: { forwarding: 'masq' } },
    // LVS-DR (seed 003/004): weighted, sticky per client for 10 minutes.
    { op: 'addService', service: dr, options: { scheduler: 'wrr', persistence: 600 } },
    { op: 'addDestination', service: dr, destination: { address: '192.0.2.21', port: 80 }, options: { forwarding: 'route', weight: 1 } },
    { op: 'addDestination', service: dr, destination: { address: '192.0.2.22', port: 80 }, options: { forwarding: 'route', weight: 2 } },
    // LVS-TUN over IPv6, with a GUE-encapsulated real server in another network.
    { op: 'addService', service: tun, options: { scheduler: 'sh', schedulerFlags: ['sh-port'] } },
    { op: 'addDestination', service: tun, destination: { address: '2001:db8:1::5', port: 443 }, options: { forwarding: 'tunnel', tunnel: { type: 'ipip' } } },
    { op: 'addDestination', service: tun, destination: { address: '203.0.113.5', port: 443 }, options: { forwarding: 'tunnel', tunnel: { type: 'gue', port: 6080 } } },
  ]);
  const failed = results.filter((r) => !r.ok);
  console.log(`batch: ${results.length - failed.length} of ${results.length} operations applied`);
  for (const f of failed) console.log(`  failed: ${f.error.message}`);

  console.log('\n--- the library reads the table back (node-ipvs list) ---');
  console.log(run('node', 'dist/cli/main.js', 'list', '--netns', ns).trimEnd());
  console.log('\n--- ipvsadm -L -n in the same namespace ---');
  console.log(run('ip', 'netns', 'exec', ns, 'ipvsadm', '-L', '-n').trimEnd());
  const info = await ipvs.info();
  console.log(`\nIPVS ${info.version}, ${(await ipvs.listServices()).length} services; timeouts ${JSON.stringify(await ipvs.getTimeouts())}`);
  process.exitCode = failed.length ? 1 : 0;
} finally {
  ipvs.close();
  run('ip', 'netns', 'delete', ns);
}
