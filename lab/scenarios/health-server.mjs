// A real server of the health scenario that can be stopped and started without a new process
// (a Node start-up in the sandbox takes a second, which would blur the recovery time). Up, it
// answers every request with its name. Stopped, it resets every connection at once, as a host
// whose service is down does, but still sees them: so it can tell its parent about each
// health check (from CHECKER, the director's address) and each client connection that reached
// it while down. Lines on stdout: `check TIME ok|failed`, `hit TIME` (a client's connection
// while stopped), `stopped TIME`, `started TIME`. Commands on stdin, one a line: stop, start.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';

const [name, port, checker] = process.argv.slice(2);
const say = (line) => process.stdout.write(`${line}\n`);
const peer = (socket) => socket.remoteAddress?.replace(/^::ffff:/, '');
let stopped = false;

const server = createServer((req, res) => {
  res.setHeader('connection', 'close');
  res.end(`${name} ${req.socket.remoteAddress} ${req.socket.remotePort}\n`);
  if (peer(req.socket) === checker) say(`check ${Date.now()} ok`);
});
server.on('connection', (socket) => {
  if (!stopped) return;
  say(peer(socket) === checker ? `check ${Date.now()} failed` : `hit ${Date.now()}`);
  socket.resetAndDestroy();
});

createInterface({ input: process.stdin }).on('line', (command) => {
  if (command === 'stop') {
    stopped = true;
    server.closeAllConnections();
    say(`stopped ${Date.now()}`);
  } else if (command === 'start') {
    stopped = false;
    say(`started ${Date.now()}`);
  }
}).on('close', () => process.exit(0));
server.listen(Number(port), '::', () => say(`started ${Date.now()}`));
