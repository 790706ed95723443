// The failover lab's client: HELD connections to HOST:PORT, each sending a numbered line every
// 100 ms (the first at once: a connection counts as held once it answered) and checking each reply (same server, same number), plus a new short connection every
// 50 ms (one line, one reply within 1 s). Commands on standard input, one per line:
//   mark     starts a phase: from now, the longest gap between replies (any held connection), the
//            held connections that broke, and the new connections that failed are counted anew
//   report   prints the phase's figures as one JSON line (nothing is reset: it may be asked again)
// It exits when standard input closes. Usage: node client.mjs HOST PORT HELD
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

const [host, port, heldCount] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const INTERVAL_MS = 100;
const NEW_EVERY_MS = 50;
const REPLY_MS = 1000;

let phase = { started: Date.now(), lastReply: Date.now(), longestGap: 0, gapStart: 0, replies: 0, newOk: 0, newFailed: [] };
const held = [];

/** One reply from any held connection: the gap since the one before is the outage so far. */
function replied() {
  const now = Date.now();
  const gap = now - phase.lastReply;
  if (gap > phase.longestGap) { phase.longestGap = gap; phase.gapStart = phase.lastReply - phase.started; }
  phase.lastReply = now;
  phase.replies++;
}

function holdOne(i) {
  return new Promise((resolve) => {
    const c = { i, server: null, sent: 0, answered: 0, broken: null, lastReply: 0 };
    const socket = connect({ host, port }, () => {
      socket.setNoDelay(true);
      socket.write(`${c.sent++}\n`);
      const timer = setInterval(() => {
        if (c.broken) return clearInterval(timer);
        socket.write(`${c.sent++}\n`);
      }, INTERVAL_MS);
    });
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('data', (text) => {
      pending += text;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const [server, n] = pending.slice(0, nl).split(' ');
        pending = pending.slice(nl + 1);
        if (c.server === null) { c.server = server; resolve(c); }
        if (server !== c.server) c.broken = `answered by ${server} after ${c.server}`;
        if (Number(n) !== c.answered) c.broken = `reply ${n} where ${c.answered} was due`;
        c.answered++;
        c.lastReply = Date.now();
        replied();
      }
    });
    socket.on('error', (err) => { c.broken = c.broken ?? err.code ?? err.message; resolve(c); });
    socket.on('close', () => { c.broken = c.broken ?? 'closed'; resolve(c); });
    c.socket = socket;
  });
}

function newConnection() {
  const at = Date.now() - phase.started;
  const socket = connect({ host, port });
  const timer = setTimeout(() => fail('timeout'), REPLY_MS);
  let done = false;
  const finish = () => { done = true; clearTimeout(timer); socket.destroy(); };
  const fail = (why) => { if (done) return; finish(); phase.newFailed.push({ at, why }); };
  socket.on('connect', () => socket.write('hello\n'));
  socket.on('data', () => { if (done) return; finish(); phase.newOk++; });
  socket.on('error', (err) => fail(err.code ?? err.message));
}

for (let i = 0; i < heldCount; i++) held.push(await holdOne(i));
setInterval(newConnection, NEW_EVERY_MS);
console.log(JSON.stringify({ held: held.length, servers: held.map((c) => c.server) }));

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'mark') {
    phase = { started: Date.now(), lastReply: Date.now(), longestGap: 0, gapStart: 0, replies: 0, newOk: 0, newFailed: [] };
    for (const c of held) c.brokenBefore = c.broken;
  } else if (line === 'report') {
    const now = Date.now();
    // A held connection survived the phase: not broken in it (reset, closed, answered out of turn
    // or by another server), and answering again (a reply in the last 1.5 s). A silent stretch is
    // no break: TCP retransmits through it, and the longest one is the failover time.
    const alive = held.filter((c) => !c.broken && now - c.lastReply < 1500);
    const brokeNow = held.filter((c) => c.broken && !c.brokenBefore);
    // Neither answering nor broken: still retransmitting through the outage (its backoff doubles).
    const silent = held.filter((c) => !c.broken && now - c.lastReply >= 1500);
    console.log(JSON.stringify({
      ms: now - phase.started, longestGap: phase.longestGap, gapStart: phase.gapStart, replies: phase.replies,
      alive: alive.length, silent: silent.length, held: held.length, broke: brokeNow.length, why: [...new Set(brokeNow.map((c) => c.broken))].slice(0, 5),
      newOk: phase.newOk, newFailed: phase.newFailed.length, newFailedWhy: [...new Set(phase.newFailed.map((f) => f.why))],
    }));
  }
}).on('close', () => process.exit(0));
