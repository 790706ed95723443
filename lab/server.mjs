// A real server of the lab: answers every request with its name and the client address and
// port it saw (the port tells a reused client port, which IPVS sends to the old server).
// GET /hold answers the same line at once but keeps the connection open (an active connection
// for the least-connection schedulers) until the client closes it.
import { createServer } from 'node:http';

const [name, port, host] = process.argv.slice(2);
createServer((req, res) => {
  const line = `${name} ${req.socket.remoteAddress} ${req.socket.remotePort}\n`;
  if (req.url === '/hold') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write(line);
    return;
  }
  res.setHeader('connection', 'close');
  res.end(line);
}).listen(Number(port), host ?? '::', () => process.stdout.write('ready\n'));
