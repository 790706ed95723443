// The real servers of the health scenario, all in one process (a Node start-up in the sandbox
// takes seconds on a busy machine; five of them were most of the scenario's set-up): the main
// thread enters each server's namespace in turn and opens its listener there, synchronously
// (listen without a host name: no lookup, so the socket is made before the next setns), and
// a socket stays in the namespace it was made in. Each server can be stopped and started
// without a new process, which would blur the recovery time.
//
// Up, a server answers every request with its name. Stopped, it resets every connection at
// once, as a host whose service is down does, but still sees them: so it can tell about each
// health check (from CHECKER, the director's address) and each client connection that reached
// it while down. Lines on stdout: `NAME check TIME ok|failed`, `NAME hit TIME` (a client's
// connection while stopped), `NAME stopped TIME`, `NAME started TIME`; `ready` once all listen.
// Commands on stdin, one a line: `stop NAME`, `start NAME`.
//   node health-server.mjs PORT CHECKER NAME=NETNS...
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);
const { enterNetns } = require('../../dist/netns.js');

const [port, checker, ...servers] = process.argv.slice(2);
const say = (line) => process.stdout.write(`${line}\n`);
const peer = (socket) => socket.remoteAddress?.replace(/^::ffff:/, '');

function serve(name) {
  const state = { stopped: false };
  const server = createServer((req, res) => {
    res.setHeader('connection', 'close');
    res.end(`${name} ${req.socket.remoteAddress} ${req.socket.remotePort}\n`);
    if (peer(req.socket) === checker) say(`${name} check ${Date.now()} ok`);
  });
  server.on('connection', (socket) => {
    if (!state.stopped) return;
    say(peer(socket) === checker ? `${name} check ${Date.now()} failed` : `${name} hit ${Date.now()}`);
    socket.resetAndDestroy();
  });
  server.listen(Number(port));
  return {
    stop() {
      state.stopped = true;
      server.closeAllConnections();
      say(`${name} stopped ${Date.now()}`);
    },
    start() {
      state.stopped = false;
      say(`${name} started ${Date.now()}`);
    },
  };
}

const byName = new Map();
for (const arg of servers) {
  const [name, netns] = arg.split('=');
  enterNetns(netns);
  byName.set(name, serve(name));
}
say('ready');

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, name] = line.split(' ');
  if (command === 'stop') byName.get(name)?.stop();
  else if (command === 'start') byName.get(name)?.start();
}).on('close', () => process.exit(0));
