// The lab's long-lived connections: opens COUNT connections to URL/hold, one
// after another (each one established before the next, so the scheduler sees
// the load so far), prints the servers that took them as a JSON array, and
// keeps them open until its standard input closes.
import { get } from 'node:http';

const [url, count] = process.argv.slice(2);
const servers = [];
for (let i = 0; i < Number(count); i++) {
  servers.push(await new Promise((resolve, reject) => {
    const req = get(`${url}hold`, { agent: false, timeout: 3000 }, (res) => {
      res.once('data', (d) => resolve(String(d).split(' ')[0]));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  }));
}
process.stdout.write(`${JSON.stringify(servers)}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
