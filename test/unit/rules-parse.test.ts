/**
 * Reading ipvsadm rules text: every option ipvsadm documents, its spellings,
 * and every kind of bad line (which must name the line, the text and why).
 */
import { describe, expect, it } from 'vitest';
import { IpvsRulesError, IpvsValidationError, parseRules } from '../../lib';
import { rulesToApply } from '../../lib/rules/parse';
import type { BatchOperation, ParsedRule, RuleOperation } from '../../lib';

function op(line: string): RuleOperation {
  const rules = parseRules(line);
  expect(rules).toHaveLength(1);
  return rules[0].operation;
}

const TCP = { protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;

describe('parseRules: services', () => {
  it.each<[string, BatchOperation]>([
    ['-A -t 192.0.2.1:80 -s rr', { op: 'addService', service: TCP, options: { scheduler: 'rr' } }],
    ['-A -t 192.0.2.1:80', { op: 'addService', service: TCP, options: {} }],
    ['--add-service --tcp-service 192.0.2.1:80 --scheduler=wrr', { op: 'addService', service: TCP, options: { scheduler: 'wrr' } }],
    ['-A -t 192.0.2.1:80 -srr', { op: 'addService', service: TCP, options: { scheduler: 'rr' } }],
    ['-A -u 192.0.2.1:53 -s sh -o -b sh-fallback,sh-port', {
      op: 'addService', service: { protocol: 'udp', address: '192.0.2.1', port: 53 },
      options: { scheduler: 'sh', onePacket: true, schedulerFlags: ['sh-fallback', 'sh-port'] },
    }],
    ['-A --sctp-service [2001:db8::1]:9 -s mh', { op: 'addService', service: { protocol: 'sctp', address: '2001:db8::1', port: 9 }, options: { scheduler: 'mh' } }],
    ['-A -t [2001:DB8:0::1]:443 -s rr', { op: 'addService', service: { protocol: 'tcp', address: '2001:db8::1', port: 443 }, options: { scheduler: 'rr' } }],
    ['-A -f 7 -s rr', { op: 'addService', service: { fwmark: 7, family: 'ipv4' }, options: { scheduler: 'rr' } }],
    ['-A -f 7 -6 -s rr', { op: 'addService', service: { fwmark: 7, family: 'ipv6' }, options: { scheduler: 'rr' } }],
    ['-A -f 7 -s rr -o', { op: 'addService', service: { fwmark: 7, family: 'ipv4' }, options: { scheduler: 'rr', onePacket: true } }],
    ['-A --fwmark-service 4294967295 --ipv6', { op: 'addService', service: { fwmark: 4294967295, family: 'ipv6' }, options: {} }],
    // ipvsadm -S writes marks >= 2^31 negative; they are read back as what they mean.
    ['-A -f -2147483648 -s wrr', { op: 'addService', service: { fwmark: 2147483648, family: 'ipv4' }, options: { scheduler: 'wrr' } }],
    ['-A -f -1 -s wrr', { op: 'addService', service: { fwmark: 4294967295, family: 'ipv4' }, options: { scheduler: 'wrr' } }],
    ['-A -t 192.0.2.1:80 -s rr -p', { op: 'addService', service: TCP, options: { scheduler: 'rr', persistence: {} } }],
    ['-A -t 192.0.2.1:80 -p 600 -s rr', { op: 'addService', service: TCP, options: { scheduler: 'rr', persistence: { timeout: 600 } } }],
    ['-A -t 192.0.2.1:80 -p600 -M 255.255.255.0', { op: 'addService', service: TCP, options: { persistence: { timeout: 600, netmask: '255.255.255.0' } } }],
    ['-A -t 192.0.2.1:80 -p -M 24', { op: 'addService', service: TCP, options: { persistence: { netmask: 24 } } }],
    ['-A -t 192.0.2.1:80 --persistent 30 --netmask 255.255.0.0 --pe sip', {
      op: 'addService', service: TCP, options: { persistence: { timeout: 30, netmask: '255.255.0.0' }, persistenceEngine: 'sip' },
    }],
    ['-A -t 192.0.2.1:0 -s rr -p 300', { op: 'addService', service: { ...TCP, port: 0 }, options: { scheduler: 'rr', persistence: { timeout: 300 } } }],
    ['-A -t 192.0.2.1 -s rr -p', { op: 'addService', service: { ...TCP, port: 0 }, options: { scheduler: 'rr', persistence: {} } }],
    ['-A -t 192.0.2.1:http -s rr', { op: 'addService', service: TCP, options: { scheduler: 'rr' } }],
    ['ipvsadm -A -t 192.0.2.1:80 -s rr -n', { op: 'addService', service: TCP, options: { scheduler: 'rr' } }],
    ['  -A   -t "192.0.2.1:80"\t-s rr  ', { op: 'addService', service: TCP, options: { scheduler: 'rr' } }],
    // -E replaces every setting, with ipvsadm's defaults for what the line leaves out.
    ['-E -t 192.0.2.1:80 -s lc', {
      op: 'updateService', service: TCP,
      options: { scheduler: 'lc', schedulerFlags: [], onePacket: false, persistence: false, persistenceEngine: null },
    }],
    ['-E -t 192.0.2.1:80 -p', {
      op: 'updateService', service: TCP,
      options: { scheduler: 'wlc', schedulerFlags: [], onePacket: false, persistence: {}, persistenceEngine: null },
    }],
    // The kernel keeps a persistence engine without persistence, and ipvsadm -S writes it so.
    ['-A -t 192.0.2.1:80 -s rr --pe sip', { op: 'addService', service: TCP, options: { scheduler: 'rr', persistenceEngine: 'sip' } }],
    ['-E -t 192.0.2.1:80 -s rr --pe sip', {
      op: 'updateService', service: TCP,
      options: { scheduler: 'rr', schedulerFlags: [], onePacket: false, persistence: false, persistenceEngine: 'sip' },
    }],
    ['-D -t 192.0.2.1:80', { op: 'deleteService', service: TCP }],
    ['-C', { op: 'flush' }],
    ['--clear', { op: 'flush' }],
    ['-Z', { op: 'zero' }],
    ['-Z -t 192.0.2.1:80', { op: 'zero', service: TCP }],
  ])('%s', (line, expected) => {
    expect(op(line)).toEqual(expected);
  });
});

describe('parseRules: destinations', () => {
  it.each<[string, BatchOperation]>([
    ['-a -t 192.0.2.1:80 -r 198.51.100.1:8080 -m -w 3', {
      op: 'addDestination', service: TCP, destination: { address: '198.51.100.1', port: 8080 }, options: { forwarding: 'masq', weight: 3 },
    }],
    // No port: the service's. Route and tunnel always take the service's port, as ipvsadm does.
    ['-a -t 192.0.2.1:80 -r 198.51.100.1', { op: 'addDestination', service: TCP, destination: { address: '198.51.100.1', port: 80 }, options: {} }],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1:8080 -g', {
      op: 'addDestination', service: TCP, destination: { address: '198.51.100.1', port: 80 }, options: { forwarding: 'route' },
    }],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1:8080', {
      op: 'addDestination', service: TCP, destination: { address: '198.51.100.1', port: 80 }, options: {},
    }],
    ['-a -f 5 -r 198.51.100.1:0 -g -w 0', {
      op: 'addDestination', service: { fwmark: 5, family: 'ipv4' }, destination: { address: '198.51.100.1', port: 0 }, options: { forwarding: 'route', weight: 0 },
    }],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1 -m -x 100 -y 50', {
      op: 'addDestination', service: TCP, destination: { address: '198.51.100.1', port: 80 }, options: { forwarding: 'masq', upperThreshold: 100, lowerThreshold: 50 },
    }],
    ['-a -t 192.0.2.1:80 -r 2001:db8::5 --ipip', {
      op: 'addDestination', service: TCP, destination: { address: '2001:db8::5', port: 80 }, options: { forwarding: 'tunnel', tunnel: { type: 'ipip', checksum: 'nocsum' } },
    }],
    ['-a -t 192.0.2.1:80 -r 198.51.100.2 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum', {
      op: 'addDestination', service: TCP, destination: { address: '198.51.100.2', port: 80 },
      options: { forwarding: 'tunnel', weight: 1, tunnel: { type: 'gue', port: 6080, checksum: 'csum' } },
    }],
    ['-a -t 192.0.2.1:80 -r 198.51.100.2 -i --tun-type gue --tun-port 6080 --tun-remcsum', {
      op: 'addDestination', service: TCP, destination: { address: '198.51.100.2', port: 80 },
      options: { forwarding: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } },
    }],
    ['-a -t 192.0.2.1:80 -r 198.51.100.3 -i --tun-type gre --tun-nocsum', {
      op: 'addDestination', service: TCP, destination: { address: '198.51.100.3', port: 80 },
      options: { forwarding: 'tunnel', tunnel: { type: 'gre', checksum: 'nocsum' } },
    }],
    ['-e -t 192.0.2.1:80 -r 198.51.100.1:8080 -m', {
      op: 'updateDestination', service: TCP, destination: { address: '198.51.100.1', port: 8080 },
      options: { forwarding: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: null },
    }],
    ['-e -t 192.0.2.1:80 -r 198.51.100.1 -w 5', {
      op: 'updateDestination', service: TCP, destination: { address: '198.51.100.1', port: 80 },
      options: { forwarding: 'route', weight: 5, upperThreshold: 0, lowerThreshold: 0, tunnel: null },
    }],
    ['-d -t 192.0.2.1:80 -r 198.51.100.1:8080', { op: 'deleteDestination', service: TCP, destination: { address: '198.51.100.1', port: 8080 } }],
    ['--delete-server --tcp-service 192.0.2.1:80 --real-server 198.51.100.1', {
      op: 'deleteDestination', service: TCP, destination: { address: '198.51.100.1', port: 80 },
    }],
  ])('%s', (line, expected) => {
    expect(op(line)).toEqual(expected);
  });
});

describe('parseRules: settings lines, as ipvsadm -R reads them', () => {
  it.each<[string, RuleOperation]>([
    ['--set 11 22 33', { op: 'setTimeouts', timeouts: { tcp: 11, tcpFin: 22, udp: 33 } }],
    ['ipvsadm --set 0 0 44', { op: 'setTimeouts', timeouts: { udp: 44 } }],
    ['--set 0 0 0', { op: 'setTimeouts', timeouts: {} }],
    ['--start-daemon master --mcast-interface lo', { op: 'startDaemon', daemon: { state: 'master', interface: 'lo' } }],
    ['--start-daemon master', { op: 'startDaemon', daemon: { state: 'master', interface: 'eth0' } }],
    ['--start-daemon=backup --mcast-interface eth1 --syncid 5 --sync-maxlen 1400 --mcast-group 239.1.1.1 --mcast-port 8849 --mcast-ttl 2', {
      op: 'startDaemon',
      daemon: { state: 'backup', interface: 'eth1', syncId: 5, maxLength: 1400, group: '239.1.1.1', port: 8849, ttl: 2 },
    }],
    ['--stop-daemon backup', { op: 'stopDaemon', state: 'backup' }],
  ])('%s', (line, expected) => {
    expect(op(line)).toEqual(expected);
  });
});

describe('parseRules: text', () => {
  it('skips blank lines and comments, and keeps line numbers and texts', () => {
    const rules = parseRules('# saved\n\n-A -t 192.0.2.1:80 -s rr\r\n   \n  # indented comment\n-a -t 192.0.2.1:80 -r 198.51.100.1 -m\n');
    expect(rules.map((r) => [r.line, r.text])).toEqual([[3, '-A -t 192.0.2.1:80 -s rr'], [6, '-a -t 192.0.2.1:80 -r 198.51.100.1 -m']]);
  });

  it('an empty text is no operations', () => {
    expect(parseRules('')).toEqual([]);
  });
});

describe('parseRules: bad lines', () => {
  it.each<[string, RegExp]>([
    ['-X', /unknown option -X/],
    ['--bogus', /unknown option --bogus/],
    ['-t 192.0.2.1:80 -s rr', /no command/],
    ['-A -a -t 192.0.2.1:80', /two commands/],
    ['-A -s rr', /no service/],
    ['-A -t 192.0.2.1:80 -u 192.0.2.1:53', /more than one service/],
    ['-A -t 192.0.2.1:80 -s rr -s wrr', /given twice/],
    ['-A -t 192.0.2.1:80 -s', /needs a value/],
    ['-A -t 192.0.2.1:80 -r 198.51.100.1', /-r does not apply to -A/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1 -s rr', /-s does not apply to -a/],
    ['-A -t 192.0.2.1:80 --stats', /--stats|unknown option/],
    ['-L -n', /not a command of rules text/],
    ['-R', /not a command of rules text/],
    ['--set 1 2', /--set takes three timeouts/],
    ['--set 1 2 3 4', /--set takes three timeouts/],
    ['--set 1 2 x', /--set \(udp\) expects an integer from 0/],
    ['--set 1 2 3 -t 192.0.2.1:80', /-t does not apply to --set/],
    ['--start-daemon primary', /--start-daemon expects master or backup/],
    ['--start-daemon toString', /--start-daemon expects master or backup/],
    ['--start-daemon master --mcast-group 192.0.2.1', /--mcast-group: expected a multicast address/],
    ['--start-daemon master --mcast-interface a/b', /--mcast-interface: expected an interface name/],
    ['--start-daemon master --syncid 256', /--syncid expects an integer from 0 to 255/],
    ['--start-daemon master 7', /unexpected word "7"/],
    ['--stop-daemon master --syncid 1', /--syncid does not apply to --stop-daemon/],
    ['-A -t 192.0.2.1:80 --mcast-ttl 3', /--mcast-ttl does not apply to -A/],
    ['-A -t www.example.com:80', /host names are not resolved/],
    ['-A -t 192.0.2.300:80', /not an IP address/],
    ['-A -t 192.0.2.1:99999', /out of range/],
    ['-A -t 192.0.2.1:nosuchport', /unknown port name/],
    ['-A -t [2001:db8::1:80', /missing '\]'/],
    ['-a -t 192.0.2.1:80 -r [2001:db8::5] -i', /expected ':PORT' after '\]'/],
    ['-A -t 192.0.2.1:80 -6', /-6 with the IPv4/],
    ['-A -f 0', /firewall mark from 1/],
    ['-A -f 4294967296', /firewall mark from 1/],
    ['-A -f abc', /expects a firewall mark/],
    ['-A -t 192.0.2.1:80 -p 0', /-p expects an integer from 1/],
    ['-A -t 192.0.2.1:80 -p 99999999', /-p expects an integer/],
    ['-A -t 192.0.2.1 -s rr', /needs persistence/],
    ['-A -t 192.0.2.1:0 -s rr', /needs persistence/],
    ['-A -t 192.0.2.1:80 -s rr -b sh-port', /belongs to 'sh'/],
    ['-A -t 192.0.2.1:80 -s rr -b nope', /-b/],
    ['-A -t 192.0.2.1:80 -s rr -o', /one-packet scheduling is for UDP/],
    ['-A --sctp-service 192.0.2.1:80 -s rr -o', /one-packet scheduling is for UDP/],
    ['-A -t 192.0.2.1:80 -p -M 255.0.255.0', /contiguous/],
    ['-A -t 192.0.2.1:80 -s this-name-is-too-long', /-s/],
    ['-a -t 192.0.2.1:80', /no real server/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1 -w -1', /-w expects an integer/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1 -w 2147483648', /-w expects an integer/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1 -w 1.5', /-w expects an integer/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1 -x 5 -y 10', /-y: expected at most the upper threshold/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1 -m -g', /more than one forwarding method/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1 -m --tun-type gue', /needs the tunnel method/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1 -i --tun-type vxlan', /--tun-type expects ipip, gue or gre/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1 -i --tun-type gue', /needs --tun-port/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1 -i --tun-port 6080', /--tun-port does not apply to the 'ipip'/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1 -i --tun-csum', /does not apply to the 'ipip'/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1 -i --tun-type gre --tun-remcsum', /does not apply to the 'gre'/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1 -i --tun-type gue --tun-port 1 --tun-csum --tun-nocsum', /conflicts/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.1 -i --tun-type gue --tun-port 0', /--tun-port expects an integer from 1/],
    ['-a -t 192.0.2.1:80 -r 2001:db8::5 -m', /-r: expected an ipv4 address/],
    ['-A -t 192.0.2.1:80 "unterminated', /unterminated/],
    ['-A -t 192.0.2.1:80 stray', /unexpected word/],
    // Words that name Object.prototype's properties find nothing in the option tables (issue 8, item 4).
    ['-a -t 192.0.2.1:80 -r 198.51.100.9 -i --tun-type toString --tun-csum', /--tun-type expects ipip, gue or gre, got "toString"/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.9 -i --tun-type valueOf --tun-nocsum', /--tun-type expects ipip, gue or gre/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.9 -i --tun-type constructor --tun-remcsum', /--tun-type expects ipip, gue or gre/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.9 -i --tun-type __proto__ --tun-csum', /--tun-type expects ipip, gue or gre/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.9 -i --tun-type hasOwnProperty', /--tun-type expects ipip, gue or gre/],
    ['-a -t 192.0.2.1:80 -r 198.51.100.9 --toString', /unknown option --toString/],
    ['--constructor -t 192.0.2.1:80', /unknown option --constructor/],
    // -E and -e are checked as completely as -A and -a (issue 8, item 6).
    ['-E -t 192.0.2.1:80 -s rr -o', /-o: .*one-packet scheduling is for UDP/],
    ['-E -t 192.0.2.1:80 -s rr -b 60', /-b: /],
    ['-E -t 192.0.2.1:80 -s rr -b sh-port', /belongs to 'sh'/],
    ['-E -t 192.0.2.1:80 -s \ud800', /-s: /],
    ['-E -t 192.0.2.1:80 -s this-name-is-too-long', /-s: /],
    ['-E -t 192.0.2.1 -s rr', /needs persistence/],
    ['-E -t 192.0.2.1:80 -p -M 255.0.255.0', /contiguous/],
    ['-e -t 192.0.2.1:80 -r 198.51.100.1 -x 5 -y 10', /-y: expected at most the upper threshold/],
    ['-e -t 192.0.2.1:80 -r 2001:db8::5 -m', /-r: expected an ipv4 address/],
  ])('%s', (line, reason) => {
    let err: unknown;
    try {
      parseRules(`# header\n${line}\n`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IpvsRulesError);
    const e = err as IpvsRulesError;
    expect(e.code).toBe('ERR_IPVS_RULES');
    expect(e.line).toBe(2);
    expect(e.text).toBe(line);
    expect(e.reason).toMatch(reason);
    expect(e.message).toContain('line 2:');
  });

  it('lists every bad line, not just the first, and returns nothing', () => {
    const text = '-A -t 192.0.2.1:80 -s rr\n-X\n-a -t 192.0.2.1:80 -r 198.51.100.1\n-a -t 192.0.2.1:80\n';
    const err = (() => { try { parseRules(text); } catch (e) { return e as IpvsRulesError; } })()!;
    expect(err.problems.map((p) => p.line)).toEqual([2, 4]);
    expect(err.message).toMatch(/and 1 more bad line/);
  });

  it('a line naming a prototype property is one bad line among the others, each with its number', () => {
    const text = [
      '-A -t 192.0.2.1:80 -s rr',
      '-a -t 192.0.2.1:80 -r 198.51.100.9 -i --tun-type toString --tun-csum',
      '-a -t 192.0.2.1:80 -r 198.51.100.10 -w -1',
      '-a -t 192.0.2.1:80 -r 198.51.100.11 -i --tun-type __proto__ --tun-nocsum',
      '-E -t 192.0.2.1:80 -s rr -o',
    ].join('\n');
    let err: unknown;
    try {
      parseRules(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IpvsRulesError);
    expect((err as IpvsRulesError).problems.map((p) => p.line)).toEqual([2, 3, 4, 5]);
  });

  it('600 good lines and one bad -E: the text is refused whole, the -E line named', async () => {
    const { rulesToApply } = await import('../../lib/rules/parse');
    const lines = Array.from({ length: 600 }, (_, i) => `-A -t 192.0.2.74:${i + 1} -s rr`);
    lines.push('-E -t 192.0.2.74:1 -s rr -b 60');
    await expect(rulesToApply(lines.join('\n'))).rejects.toMatchObject({ code: 'ERR_IPVS_RULES', line: 601 });
  });

  it('refuses what is not text', () => {
    expect(() => parseRules(42 as unknown as string)).toThrow(/rules text/);
  });
});

describe('parseRules: what it returns is frozen', () => {
  it('refuses changes, so restore() never applies a rule other than the one it reads', async () => {
    const { rulesToApply } = await import('../../lib/rules/parse');
    const rules = parseRules('-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1 -m -w 1\n');
    expect(Object.isFrozen(rules)).toBe(true);
    const dest = rules[1].operation as Extract<BatchOperation, { op: 'addDestination' }>;
    expect(() => { (dest.options as { weight: number }).weight = 5; }).toThrow(TypeError);
    expect(() => { (rules as unknown as unknown[]).push(rules[0]); }).toThrow(TypeError);
    // A changed copy is a new array: validated again, and applied as it now reads.
    const copy = [rules[0], { ...rules[1], operation: { ...dest, options: { ...dest.options, weight: 5 } } }];
    const { ops } = await rulesToApply(copy);
    expect((ops[1] as { destinationConfig?: { weight: number } }).destinationConfig?.weight).toBe(5);
    const bad = [rules[0], { ...rules[1], operation: { ...dest, options: { ...dest.options, weight: -1 } } }];
    await expect(rulesToApply(bad)).rejects.toThrow(/rules\[1\]\.operation\.options\.weight/);
  });
});

describe('parsed rules given back to restore are input', () => {
  it('a sparse array is refused at its hole, not passed on unchecked', async () => {
    const rules = parseRules('-A -t 192.0.2.1:80 -s rr\n-A -t 192.0.2.2:80 -s rr');
    const sparse: ParsedRule[] = [rules[0]];
    sparse[2] = rules[1];
    const err = await rulesToApply(sparse).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsValidationError);
    expect(err).toMatchObject({ field: 'rules[1].operation', value: undefined });
  });
});
