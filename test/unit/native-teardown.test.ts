/**
 * A worker thread terminated while it calls into the addon: node-addon-api turns an error it
 * can no longer throw into JavaScript (the environment is going away) into a C++ exception,
 * which escaped as std::terminate and took the whole process down ("terminate called after
 * throwing an instance of 'Napi::Error'", seen once in CI). Built with
 * NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS, the addon drops such an error instead.
 * Run in a child process: a failure here must not take the test runner with it.
 */
import { describe, expect, it } from 'vitest';
import { spawnAsync } from '../helpers/child';

const BINDING = require.resolve('../../dist/binding.js');

const SCRIPT = `
const { Worker } = require('node:worker_threads');
// The worker calls the addon in a loop, each call throwing (a malformed message), until terminated.
const src = \`
  const { native } = require(${JSON.stringify(BINDING)});
  const bad = Buffer.alloc(8);
  require('node:worker_threads').parentPort.postMessage('busy');
  for (;;) { try { native().decodeRecord(bad); } catch {} }
\`;
let rounds = 0;
function round() {
  const w = new Worker(src, { eval: true });
  w.once('message', () => setTimeout(() => w.terminate().then(() => (++rounds < 200 ? round() : console.log('rounds', rounds))), Math.random() * 5));
}
round();
`;

describe('the addon in a worker thread that is terminated mid-call', () => {
  it('200 terminations: the process survives every one', async () => {
    const r = await spawnAsync(process.execPath, ['-e', SCRIPT], { timeout: 50_000 });
    expect(r.stderr).not.toMatch(/terminate called/);
    expect([r.status, r.signal, r.stdout.trim()]).toEqual([0, null, 'rounds 200']);
  }, 60_000);
});
