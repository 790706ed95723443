// The health bench's real servers: one listener on PORT (every 127.x address reaches it, so
// thousands of real servers cost one socket) answering each connection with a minimal HTTP 200
// and closing it, through `net` rather than `http` so the servers' own cost stays small. Prints
// `ready`, then on each stdin line the connections accepted so far.
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

const ANSWER = 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok';
let served = 0;
// Counted per connection: a TCP check connects and closes without a word.
const server = createServer((socket) => {
  served++;
  socket.on('error', () => {});
  socket.once('data', () => socket.end(ANSWER));
});
// A deep accept queue: the agents connect faster than this one Node process accepts in bursts, and
// a full queue drops SYNs, which the agent sees as 1 s timeouts (its SYN is resent after 1 s).
server.listen(Number(process.argv[2]), '0.0.0.0', 4096, () => process.stdout.write('ready\n'));
createInterface({ input: process.stdin })
  .on('line', () => process.stdout.write(`${served}\n`))
  .on('close', () => process.exit(0));
