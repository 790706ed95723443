// The lab's client: COUNT requests to URL, one connection each (IPVS schedules connections),
// and prints {"answers": [[server, seenClient, seenPort, url], ...], "errors": n} as JSON. URL may
// be several URLs separated by spaces: COUNT requests to each, taking turns. With PORT,
// connections are made from that client port (use it with COUNT 1: the port stays busy for a
// moment after each close).
import { get } from 'node:http';

const [urls, count, port] = process.argv.slice(2);
const answers = [];
let errors = 0;
for (let i = 0; i < Number(count); i++) {
  for (const url of urls.split(' ')) {
    const text = await new Promise((resolve) => {
      const req = get(url, { agent: false, timeout: 3000, ...(port ? { localPort: Number(port) } : {}) }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve(body.trim()));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(null));
    });
    if (text === null) errors++;
    else answers.push([...text.split(' '), url]);
  }
}
process.stdout.write(`${JSON.stringify({ answers, errors })}\n`);
