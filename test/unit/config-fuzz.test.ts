/**
 * Seeded fuzz: random byte mutations of valid config files (every example, in each format, and a file
 * using every field) never make parseConfig throw anything but IpvsConfigError, and what it accepts is
 * a table every service and destination of which the library's validators take; no problem is an exception of
 * the reading code itself dressed as one. The seed is fixed, so a
 * failure reproduces; the failing text is in the assertion message.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IpvsConfigError, parseConfig, readConfig } from '../../lib';
import { destinationConfig, destinationKey } from '../../lib/validate/destination';
import { serviceConfig, serviceKey } from '../../lib/validate/service';
import { seeded as random } from '../helpers/random';

const EXAMPLES = join(__dirname, '../../docs/examples');

const EVERY_FIELD = `# every field
services:
  - service: udp 192.0.2.10:5060
    scheduler: sh
    schedulerFlags: [sh-fallback, sh-port]
    onePacket: true
    persistence: { timeout: 120, netmask: 255.255.255.0 }
    persistenceEngine: sip
    forwarding: masq
    destinations:
      - server: 198.51.100.11:5060
        weight: 3
        upperThreshold: 100
        lowerThreshold: 10
      - server: { address: 198.51.100.12, port: 5061 }
  - service: { fwmark: 7, family: ipv6 }
    persistence: 60
    destinations:
      - server: 2001:db8::11
        forwarding: tunnel
        tunnel: { type: gue, port: 6080, checksum: remcsum }
      - server: 198.51.100.13
        forwarding: TUN
`;

const SEEDS: [string, string][] = [
  ['every-field.yaml', EVERY_FIELD],
  ...readdirSync(EXAMPLES).map((name): [string, string] => [name, readFileSync(join(EXAMPLES, name), 'utf8')]),
];

/** Bytes a config file is made of, and some it should never hold: mutations draw from both. */
const INTERESTING = Buffer.from(' \n\t:-[]{},"\'#&*!|>?%@`0123456789.abcdefxyz\\\0\u00ff', 'latin1');

function mutate(text: string, rnd: () => number): Buffer {
  let bytes = Buffer.from(text, 'utf8');
  const edits = 1 + Math.floor(rnd() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * (bytes.length + 1));
    const pick = (): number => (rnd() < 0.7 ? INTERESTING[Math.floor(rnd() * INTERESTING.length)] : Math.floor(rnd() * 256));
    switch (Math.floor(rnd() * 5)) {
      case 0: // replace a byte
        if (at < bytes.length) bytes[at] = pick();
        break;
      case 1: // insert a byte
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([pick()]), bytes.subarray(at)]);
        break;
      case 2: // delete a run
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + Math.floor(rnd() * 8))]);
        break;
      case 3: { // copy a run elsewhere (duplicates lines, keys, brackets)
        const from = Math.floor(rnd() * bytes.length);
        const run = bytes.subarray(from, from + 1 + Math.floor(rnd() * 40));
        bytes = Buffer.concat([bytes.subarray(0, at), run, bytes.subarray(at)]);
        break;
      }
      default: // flip a bit
        if (at < bytes.length) bytes[at] ^= 1 << Math.floor(rnd() * 8);
    }
  }
  return bytes;
}

/** What parseConfig accepted, checked again by the validators the client uses. */
function checkAccepted(table: ReturnType<typeof parseConfig>['table']): void {
  for (const s of table.services) {
    const key = serviceKey(s.service);
    serviceConfig(s.options, key, null);
    for (const d of s.destinations ?? []) destinationConfig(d.options, key, destinationKey(d.destination), null);
  }
}

describe('parseConfig under random mutations', () => {
  it.each(SEEDS)('%s: every mutation parses or throws IpvsConfigError', (name, text) => {
    const rnd = random(0x1f2e3d ^ name.length ^ text.length);
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      const mutated = mutate(text, rnd).toString('utf8');
      try {
        checkAccepted(parseConfig(mutated, { path: name }).table);
      } catch (err) {
        if (!(err instanceof IpvsConfigError)) expect.fail(`${name}, mutation ${i}: ${String(err)}\n${JSON.stringify(mutated)}`);
        for (const p of err.problems) {
          // 'cannot be read (…)' is what an exception of our own code (not a finding about the text) becomes.
          if (p.message.startsWith('cannot be read')) expect.fail(`${name}, mutation ${i}: ${p.message}\n${JSON.stringify(mutated)}`);
          expect(p.line).toBeGreaterThanOrEqual(1);
          expect(p.column).toBeGreaterThanOrEqual(1);
        }
        refused++;
      }
    }
    // The mutations are not all harmless: most of them are caught (a comment's byte changed is not).
    expect(refused).toBeGreaterThan(100);
  });

  const dir = mkdtempSync(join(tmpdir(), 'node-ipvs-config-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the same bytes read from a file (readConfig): IpvsConfigError for what is not UTF-8 too', async () => {
    const rnd = random(0xc0ffee);
    let notUtf8 = 0;
    for (let i = 0; i < 200; i++) {
      const file = join(dir, `lb${i}.yaml`);
      const bytes = mutate(EVERY_FIELD, rnd);
      writeFileSync(file, bytes);
      try {
        await readConfig(file);
      } catch (err) {
        if (!(err instanceof IpvsConfigError)) expect.fail(`mutation ${i}: ${String(err)}\n${bytes.toString('base64')}`);
        if (err.problems[0].message === 'not UTF-8 text') notUtf8++;
      }
    }
    expect(notUtf8).toBeGreaterThan(0);
  });
});
