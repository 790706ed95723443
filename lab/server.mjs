// A real server of the lab: answers every request with its name and the client address and
// port it saw (the port tells a reused client port, which IPVS sends to the old server).
// GET /hold answers the same line at once but keeps the connection open (an active connection
// for the least-connection schedulers) until the client closes it; each chunk of a request body
// sent on it (POST /hold) is answered with the name and the chunk, so a held connection can be
// shown to still reach its server. PORT may be several ports, comma-separated: one server on each.
import { createServer } from 'node:http';

const [name, ports, host] = process.argv.slice(2);
const list = ports.split(',').map(Number);
let listening = 0;
for (const port of list) {
  createServer((req, res) => {
    const line = `${name} ${req.socket.remoteAddress} ${req.socket.remotePort}\n`;
    if (req.url === '/hold') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(line);
      req.on('data', (d) => res.write(`${name} ${String(d).trim()}\n`));
      return;
    }
    res.setHeader('connection', 'close');
    res.end(line);
  }).listen(port, host ?? '::', () => {
    if (++listening === list.length) process.stdout.write('ready\n');
  });
}
