// The lab's long-lived connections: opens COUNT connections to URL/hold, one
// after another (each one established before the next, so the scheduler sees
// the load so far), prints the servers that took them as a JSON array, and
// keeps them open until its standard input closes.
// With 'echo' as third argument the connections are POST /hold with a body kept open: each line
// 'ping' on standard input sends a chunk through every connection and prints, as a JSON array,
// the server that answered on each (null if none did within 3 s); when standard input closes,
// each connection is closed with a FIN (never a reset) and the process exits once all are closed.
import { get, request } from 'node:http';
import { createInterface } from 'node:readline';

const [url, count, mode] = process.argv.slice(2);
const echo = mode === 'echo';
const servers = [];
const held = [];
for (let i = 0; i < Number(count); i++) {
  servers.push(await new Promise((resolve, reject) => {
    const options = { agent: false, timeout: 3000 };
    const req = echo
      ? request(`${url}hold`, { ...options, method: 'POST', headers: { 'transfer-encoding': 'chunked' } })
      : get(`${url}hold`, options);
    req.once('response', (res) => {
      // Held means held: the 3 s limit is for getting the answer, not an idle timeout that would
      // close the connection while a slow scenario (a loaded machine) still counts it as active.
      req.setTimeout(0);
      res.once('data', (d) => resolve(String(d).split(' ')[0]));
      if (echo) held.push(heldConnection(req, res));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    if (echo) req.flushHeaders();
  }));
}
process.stdout.write(`${JSON.stringify(servers)}\n`);

if (!echo) {
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
} else {
  const lines = createInterface({ input: process.stdin });
  let n = 0;
  lines.on('line', async () => {
    const k = n++;
    const answers = await Promise.all(held.map((h) => h.ask(`ping ${k}`)));
    process.stdout.write(`${JSON.stringify(answers)}\n`);
  });
  lines.on('close', async () => {
    await Promise.all(held.map((h) => h.close()));
    process.exit(0);
  });
}

/** A held connection: ask(text) sends text and resolves the server named in the reply (or null). */
function heldConnection(req, res) {
  let waiting = null;
  req.setTimeout(0); // held on purpose: idle is not a failure
  res.on('data', (d) => {
    // A chunk no ask waits for (the first: the answer to the request itself) is dropped.
    const [server] = String(d).split(' ');
    if (waiting) waiting(server);
    waiting = null;
  });
  return {
    ask: (text) => new Promise((resolve) => {
      const timer = setTimeout(() => { waiting = null; resolve(null); }, 3000);
      waiting = (server) => { clearTimeout(timer); resolve(server); };
      req.write(`${text}\n`);
    }),
    close: () => new Promise((resolve) => {
      if (req.socket.destroyed) return resolve();
      req.socket.once('close', resolve);
      req.socket.end();
    }),
  };
}
