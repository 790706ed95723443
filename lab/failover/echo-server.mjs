// A failover lab real server: a TCP server on PORT that answers every line with "NAME line".
// Usage: node echo-server.mjs NAME PORT. Prints "up" once it listens.
import { createServer } from 'node:net';

const [name, port] = process.argv.slice(2);
createServer((socket) => {
  let pending = '';
  socket.setNoDelay(true);
  socket.on('data', (chunk) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      socket.write(`${name} ${pending.slice(0, nl)}\n`);
      pending = pending.slice(nl + 1);
    }
  });
  socket.on('error', () => {});
}).listen(Number(port), () => console.log('up'));
