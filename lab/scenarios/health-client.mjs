// The health scenario's client: a steady stream of requests to URL, one every EVERY ms, each on
// a connection of its own (IPVS schedules connections), fired on the clock whether or not the
// ones before have ended, so a hanging request never thins the stream. One JSON line per request
// on stdout: {"t": start ms since the epoch, "ms": duration, "s": answering server} or, for a
// failure, "e" (the error code) instead of "s", with "p" (the client's port) and "c" (ms until the
// connection was made; absent: the SYN was never answered) to tell a dropped SYN from a slow server.
// Runs until its standard input closes.
import { get } from 'node:http';

const [url, every] = process.argv.slice(2);
const TIMEOUT_MS = 1000;

function request() {
  const t = Date.now();
  const done = (result) => process.stdout.write(`${JSON.stringify({ t, ms: Date.now() - t, ...result })}\n`);
  let port;
  let connected;
  const failed = (err) => done({ e: err.code ?? err.message, p: port, c: connected });
  const req = get(url, { agent: false, timeout: TIMEOUT_MS }, (res) => {
    let body = '';
    res.on('data', (d) => { body += d; });
    res.on('end', () => done({ s: body.split(' ')[0] }));
    res.on('error', failed);
  });
  req.on('socket', (socket) => {
    // Bound already: with an address for a host, connect() is called before the 'socket' event.
    port = socket.localPort;
    socket.once('connect', () => { port = socket.localPort; connected = Date.now() - t; });
  });
  req.on('timeout', () => {
    port ??= req.socket?.localPort;
    req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' }));
  });
  req.on('error', failed);
}

const timer = setInterval(request, Number(every));
process.stdin.resume();
process.stdin.on('end', () => {
  clearInterval(timer);
  // Let the last requests end (at most their timeout) so every one is reported.
  setTimeout(() => process.exit(0), TIMEOUT_MS + 100);
});
