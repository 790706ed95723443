// A real server of the lab: answers every request with its name and the client address it saw.
import { createServer } from 'node:http';

const [name, port, host] = process.argv.slice(2);
createServer((req, res) => {
  res.setHeader('connection', 'close');
  res.end(`${name} ${req.socket.remoteAddress}\n`);
}).listen(Number(port), host ?? '::', () => process.stdout.write('ready\n'));
