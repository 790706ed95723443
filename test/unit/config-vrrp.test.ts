/**
 * The config file's `vrrp:` section: every field read into VrrpSettings with its defaults, every bad
 * value a problem at its line and column naming the field, what fields rule out together, keepalived's
 * words pointed at ours, and names such as `__proto__` refused as fields.
 */
import { describe, expect, it } from 'vitest';
import { IpvsConfigError, parseConfig, type ConfigProblem } from '../../lib';

function problemsOf(text: string, format: 'yaml' | 'json' = 'yaml'): ConfigProblem[] {
  try {
    parseConfig(text, { format });
  } catch (err) {
    expect(err).toBeInstanceOf(IpvsConfigError);
    return [...(err as IpvsConfigError).problems];
  }
  throw new Error('parsed without a problem');
}

const BASE = [
  'services:', //                                                     1
  '  - service: tcp 203.0.113.10:80',
  '    health: { type: tcp }',
  '    destinations:',
  '      - server: 198.51.100.11', //                                   5
  '  - service: tcp 203.0.113.20:80',
  'vrrp:',
  '  instances:',
  '    - name: VI_1',
  '      interface: eth0', //                                           10
  '      vrid: 51',
  '      priority: 150',
  '      interval: 500ms',
  '      preemptDelay: 30s',
  '      vips: [203.0.113.10, 203.0.113.11/24]', //                     15
  '      source: 192.0.2.2',
  '      peers: [192.0.2.3]',
  '      garp: { repeat: 3, delay: 2s, refresh: 1m, refreshRepeat: 2, interval: 10ms }',
  '      track:',
  '        - interface: eth1', //                                       20
  '          weight: -20',
  '        - service: tcp 203.0.113.10:80',
  '        - script: [/usr/local/bin/check, --fast]',
  '          interval: 2s',
  '          rise: 2', //                                               25
  '          fall: 3',
  '          weight: 10',
  '      notifyMaster: [/usr/local/bin/notify, master]',
  '  sync:',
  '    interface: eth1', //                                             30
];

/** BASE with line n (1-based) replaced by text (which may be several lines, or '' to delete it). */
function edit(...changes: [number, string][]): string {
  const lines = [...BASE];
  for (const [n, text] of changes) lines[n - 1] = text;
  return lines.filter((l) => l !== '').join('\n') + '\n';
}

const I = 'vrrp.instances[0]';

describe('config vrrp: good fields', () => {
  it('reads every field of an instance and the sync daemon, defaults filled', () => {
    const c = parseConfig(edit());
    expect(c.vrrp).toEqual({
      instances: [{
        name: 'VI_1', interface: 'eth0', vrid: 51, family: 'inet', priority: 150, interval: 500, preempt: true, preemptDelay: 30_000, accept: true,
        vips: [{ address: '203.0.113.10', prefix: 32 }, { address: '203.0.113.11', prefix: 24 }], source: '192.0.2.2', peers: ['192.0.2.3'],
        garp: { repeat: 3, delay: 2000, refresh: 60_000, refreshRepeat: 2, interval: 10 },
        track: [
          { kind: 'interface', name: 'interface eth1', interface: 'eth1', weight: -20 },
          { kind: 'service', name: 'service tcp 203.0.113.10:80', service: { protocol: 'tcp', address: '203.0.113.10', port: 80 }, weight: 0 },
          { kind: 'script', name: 'script /usr/local/bin/check --fast', command: ['/usr/local/bin/check', '--fast'], weight: 10, interval: 2000, timeout: 2000, rise: 2, fall: 3 },
        ],
        notifyMaster: ['/usr/local/bin/notify', 'master'],
      }],
      sync: { instance: 'VI_1', interface: 'eth1', syncId: 51, run: { master: ['master', 'backup'], backup: ['master', 'backup'], fault: ['master', 'backup'] }, settings: {} },
    });
  });

  it('the smallest instance: keepalived\'s defaults (priority 100, 1 s, preempt, no delay, accept), multicast', () => {
    const c = parseConfig('services: []\nvrrp:\n  instances:\n    - { name: a, interface: eth0, vrid: 1, vips: [192.0.2.10] }\n');
    expect(c.vrrp.instances[0]).toEqual({
      name: 'a', interface: 'eth0', vrid: 1, family: 'inet', priority: 100, interval: 1000, preempt: true, preemptDelay: 0, accept: true,
      vips: [{ address: '192.0.2.10', prefix: 32 }], source: null, peers: [], track: [],
      garp: { repeat: 5, delay: 5000, refresh: 0, refreshRepeat: 1, interval: 0 },
    });
    expect(c.vrrp.sync).toBeNull();
  });

  it('IPv6: the family from the vips, addresses canonical; an owner; no preempt; every hook; sync with all its settings', () => {
    const c = parseConfig([
      'services: []',
      'vrrp:',
      '  instances:',
      '    - { name: v6, interface: eth0, vrid: 7, priority: 255, vips: ["2001:DB8::10/64"], source: "2001:db8::2", peers: ["2001:db8:0::3"] }',
      '    - name: other',
      '      interface: eth0',
      '      vrid: 7',
      '      family: inet',
      '      preempt: false',
      '      accept: false',
      '      vips: [192.0.2.10]',
      '      notifyMaster: [/bin/n, m]',
      '      notifyBackup: [/bin/n, b]',
      '      notifyFault: [/bin/n, f]',
      '  sync:',
      '    instance: other',
      '    interface: eth1',
      '    syncId: 0',
      '    run: { master: [master, backup], backup: [master, backup], fault: [] }',
      '    maxLength: 1472',
      '    group: 239.0.0.81',
      '    port: 8849',
      '    ttl: 2',
      '    settings: { sloppyTcp: true, syncRefreshPeriod: 10, syncThreshold: [1, 50], syncPersistMode: 1 }',
    ].join('\n'));
    expect(c.vrrp.instances[0]).toMatchObject({ family: 'inet6', priority: 255, vips: [{ address: '2001:db8::10', prefix: 64 }], source: '2001:db8::2', peers: ['2001:db8::3'] });
    expect(c.vrrp.instances[1]).toMatchObject({ preempt: false, accept: false, notifyMaster: ['/bin/n', 'm'], notifyBackup: ['/bin/n', 'b'], notifyFault: ['/bin/n', 'f'] });
    expect(c.vrrp.sync).toEqual({
      instance: 'other', interface: 'eth1', syncId: 0, run: { master: ['master', 'backup'], backup: ['master', 'backup'], fault: [] },
      maxLength: 1472, group: '239.0.0.81', port: 8849, ttl: 2,
      settings: { sloppyTcp: true, syncRefreshPeriod: 10, syncThreshold: [1, 50], syncPersistMode: 1 },
    });
  });

  it('no section, `vrrp:` alone, and JSON: the same settings', () => {
    expect(parseConfig('services: []\n').vrrp).toEqual({ instances: [], sync: null });
    expect(parseConfig('services: []\nvrrp:\n').vrrp).toEqual({ instances: [], sync: null });
    const json = JSON.stringify({ services: [], vrrp: { instances: [{ name: 'a', interface: 'eth0', vrid: 1, vips: ['192.0.2.10'], interval: 250 }], sync: { interface: 'eth0' } } });
    expect(parseConfig(json, { format: 'json' }).vrrp).toMatchObject({ instances: [{ interval: 250 }], sync: { instance: 'a', syncId: 1 } });
  });
});

/** [what, edits, line, the value or key text on that line (its column), field, a piece of the message]. */
const BAD: [string, [number, string][], number, string, string, string][] = [
  ['vrid 0', [[11, '      vrid: 0']], 11, '0', `${I}.vrid`, 'an integer from 1 to 255'],
  ['vrid 256', [[11, '      vrid: 256']], 11, '256', `${I}.vrid`, 'an integer from 1 to 255'],
  ['priority 0', [[12, '      priority: 0']], 12, '0', `${I}.priority`, 'an integer from 1 to 255'],
  ['priority text', [[12, '      priority: high']], 12, 'high', `${I}.priority`, 'an integer from 1 to 255'],
  ['interval not centiseconds', [[13, '      interval: 15ms']], 13, '15ms', `${I}.interval`, 'whole number of centiseconds'],
  ['interval too long', [[13, '      interval: 41s']], 13, '41s', `${I}.interval`, 'a duration from 10 ms to 40950 ms'],
  ['interval 0', [[13, '      interval: 0']], 13, '0', `${I}.interval`, 'a duration from 10 ms'],
  ['preemptDelay too long', [[14, '      preemptDelay: 2h']], 14, '2h', `${I}.preemptDelay`, 'a duration from 0 ms to 3600 s'],
  ['preempt not a boolean', [[14, '      preempt: "no"']], 14, '"no"', `${I}.preempt`, 'true or false'],
  ['accept not a boolean', [[14, '      accept: 1']], 14, '1', `${I}.accept`, 'true or false'],
  ['family', [[14, '      family: ipv4']], 14, 'ipv4', `${I}.family`, "one of 'inet', 'inet6'"],
  ['family against the vips', [[14, '      family: inet6']], 15, '203.0.113.10', `${I}.vips[0]`, 'an IPv6 address'],
  ['no vips', [[15, '      vips: []']], 15, '[]', `${I}.vips`, 'a list of 1 to 255 virtual addresses'],
  ['vips not a list', [[15, '      vips: 203.0.113.10']], 15, '203.0.113.10', `${I}.vips`, 'a list of 1 to 255'],
  ['vips mixed families', [[15, '      vips: [203.0.113.10, "2001:db8::1"]']], 15, '"2001', `${I}.vips[1]`, 'an IPv4 address'],
  ['vip twice', [[15, '      vips: [203.0.113.10, 203.0.113.10]']], 15, '203.0.113.10]', `${I}.vips[1]`, 'each virtual address once'],
  ['vip prefix', [[15, '      vips: [203.0.113.10/33]']], 15, '203.0.113.10/33', `${I}.vips[0]`, 'a prefix from 1 to 32'],
  ['vip multicast', [[15, '      vips: [224.0.0.18]']], 15, '224.0.0.18', `${I}.vips[0]`, 'a unicast address (this one is multicast)'],
  ['vip not an address', [[15, '      vips: [eth0]']], 15, 'eth0', `${I}.vips[0]`, 'an IPv4 or IPv6 address'],
  ['source family', [[16, '      source: "2001:db8::2"']], 16, '"2001', `${I}.source`, 'an IPv4 address'],
  ['source multicast', [[16, '      source: 224.0.0.1']], 16, '224.0.0.1', `${I}.source`, 'a unicast address'],
  ['peer is the source', [[17, '      peers: [192.0.2.2]']], 17, '192.0.2.2', `${I}.peers[0]`, "another router's address"],
  ['peer twice', [[17, '      peers: [192.0.2.3, 192.0.2.3]']], 17, '192.0.2.3]', `${I}.peers[1]`, 'each peer once'],
  ['peers not a list', [[17, '      peers: 192.0.2.3']], 17, '192.0.2.3', `${I}.peers`, 'a list of up to 64 peer addresses'],
  ['interface', [[10, '      interface: eth0/1']], 10, 'eth0/1', `${I}.interface`, 'an interface name'],
  ['name', [[9, '    - name: "VI 1"']], 9, '"VI 1"', `${I}.name`, 'a name of 1 to 64 letters'],
  ['garp repeat', [[18, '      garp: { repeat: 0 }']], 18, '0', `${I}.garp.repeat`, 'an integer from 1 to 100'],
  ['garp refresh', [[18, '      garp: { refresh: 50ms }']], 18, '50ms', `${I}.garp.refresh`, 'at least 100 ms'],
  ['garp interval', [[18, '      garp: { interval: 11s }']], 18, '11s', `${I}.garp.interval`, 'a duration from 0 ms to 10 s'],
  ['garp unknown field', [[18, '      garp: { burst: 1 }']], 18, 'burst', `${I}.garp.burst`, 'no such field "burst"'],
  ['garp not a mapping', [[18, '      garp: 5']], 18, '5', `${I}.garp`, 'expected the gratuitous ARP settings'],
  ['track weight', [[21, '          weight: 300']], 21, '300', `${I}.track[0].weight`, 'an integer from -253 to 253'],
  ['track a service the file lacks', [[22, '        - service: tcp 203.0.113.99:80']], 22, 'tcp 203', `${I}.track[1].service`, 'service tcp 203.0.113.99:80 is not among'],
  ['track a service without health', [[22, '        - service: tcp 203.0.113.20:80']], 22, 'tcp 203', `${I}.track[1].service`, 'has no health checks'],
  ['track a service misspelled', [[22, '        - service: tcp203']], 22, 'tcp203', `${I}.track[1].service`, 'PROTOCOL ADDRESS:PORT'],
  ['track a script without program', [[23, '        - script: []']], 23, '[]', `${I}.track[2].script`, 'a program and its arguments'],
  ['track a script interval', [[24, '          interval: 50ms']], 24, '50ms', `${I}.track[2].interval`, 'a duration from 100 ms'],
  ['track a script rise', [[25, '          rise: 0']], 25, '0', `${I}.track[2].rise`, 'an integer from 1 to 100'],
  ['track a script timeout', [[25, '          timeout: 0']], 25, '0', `${I}.track[2].timeout`, 'a duration from 10 ms'],
  ['a script setting on an interface', [[21, '          rise: 2']], 21, '2', `${I}.track[0].rise`, "rise is a script's setting"],
  ['two inputs in one entry', [[22, '        - { service: tcp 203.0.113.10:80, interface: eth2 }']], 22, 'tcp 203', `${I}.track[1].service`, 'one tracked input per entry: this one has interface and service'],
  ['an entry tracking nothing', [[22, '        - weight: 5']], 22, 'weight', `${I}.track[1].interface`, 'missing: what is tracked'],
  ['an input tracked twice', [[22, '        - interface: eth1']], 22, 'interface', `${I}.track[1]`, 'interface eth1 is tracked at vrrp.instances[0].track[0] already'],
  ['track not a list', [[20, '        interface: eth1'], [21, ''], [22, ''], [23, ''], [24, ''], [25, ''], [26, ''], [27, '']], 20, 'interface', `${I}.track`, 'expected a list of up to 64 tracked inputs'],
  ['notify not a list', [[28, '      notifyMaster: /bin/notify']], 28, '/bin/notify', `${I}.notifyMaster`, 'a program and its arguments'],
  ['notify empty program', [[28, '      notifyFault: [""]']], 28, '""', `${I}.notifyFault[0]`, 'a program'],
  ['preemptDelay without preempt', [[13, '      preempt: false']], 14, '30s', `${I}.preemptDelay`, 'no delay with preempt: false'],
  ['instance not a mapping', [[9, '    - VI_1'], [10, ''], [11, ''], [12, ''], [13, ''], [14, ''], [15, ''], [16, ''], [17, ''], [18, ''], [19, ''], [20, ''], [21, ''], [22, ''], [23, ''], [24, ''], [25, ''], [26, ''], [27, ''], [28, ''], [29, ''], [30, '']], 9, 'VI_1', I, 'expected a VRRP instance'],
  ['instances not a list', [[8, '  instances: VI_1'], [9, ''], [10, ''], [11, ''], [12, ''], [13, ''], [14, ''], [15, ''], [16, ''], [17, ''], [18, ''], [19, ''], [20, ''], [21, ''], [22, ''], [23, ''], [24, ''], [25, ''], [26, ''], [27, ''], [28, ''], [29, ''], [30, '']], 8, 'VI_1', 'vrrp.instances', 'expected a list of up to 255 VRRP instances'],
  ['vrrp not a mapping', [[7, 'vrrp: 5'], [8, ''], [9, ''], [10, ''], [11, ''], [12, ''], [13, ''], [14, ''], [15, ''], [16, ''], [17, ''], [18, ''], [19, ''], [20, ''], [21, ''], [22, ''], [23, ''], [24, ''], [25, ''], [26, ''], [27, ''], [28, ''], [29, ''], [30, '']], 7, '5', 'vrrp', 'expected the VRRP settings'],
  ['sync interface', [[30, '    interface: "eth 1"']], 30, '"eth 1"', 'vrrp.sync.interface', 'an interface name'],
  ['sync instance unknown', [[30, '    interface: eth1\n    instance: VI_2']], 31, 'VI_2', 'vrrp.sync.instance', 'the name of a VRRP instance (VI_1)'],
  ['sync syncId', [[30, '    interface: eth1\n    syncId: 256']], 31, '256', 'vrrp.sync.syncId', 'an integer from 0 to 255'],
  ['sync group not multicast', [[30, '    interface: eth1\n    group: 192.0.2.1']], 31, '192.0.2.1', 'vrrp.sync.group', 'a multicast address'],
  ['sync port', [[30, '    interface: eth1\n    port: 0']], 31, '0', 'vrrp.sync.port', 'an integer from 1 to 65535'],
  ['sync ttl', [[30, '    interface: eth1\n    ttl: 256']], 31, '256', 'vrrp.sync.ttl', 'an integer from 1 to 255'],
  ['sync maxLength', [[30, '    interface: eth1\n    maxLength: 0']], 31, '0', 'vrrp.sync.maxLength', 'an integer from 1 to 65535'],
  ['sync run a daemon twice', [[30, '    interface: eth1\n    run: { master: [master, master] }']], 31, 'master]', 'vrrp.sync.run.master[1]', 'each daemon once'],
  ['sync run an unknown daemon', [[30, '    interface: eth1\n    run: { backup: [primary] }']], 31, 'primary', 'vrrp.sync.run.backup[0]', "one of 'master', 'backup'"],
  ['sync run an unknown state', [[30, '    interface: eth1\n    run: { standby: [] }']], 31, 'standby', 'vrrp.sync.run.standby', 'no such field'],
  ['sync run not a mapping', [[30, '    interface: eth1\n    run: master']], 31, 'master', 'vrrp.sync.run', 'expected which daemons run in each state'],
  ['sync not a mapping', [[29, '  sync: eth1'], [30, '']], 29, 'eth1', 'vrrp.sync', "expected the sync daemon's settings"],
  ['sync mode unknown', [[30, '    interface: eth1\n    mode: switch']], 31, 'switch', 'vrrp.sync.mode', "one of 'both', 'follow'"],
  ['sync mode beside run', [[30, '    interface: eth1\n    mode: follow\n    run: { master: [master] }']], 32, '{ master', 'vrrp.sync.run', 'no run beside a mode'],
  ['sync settings: not a sync setting', [[30, '    interface: eth1\n    settings: { amDropRate: 5 }']], 31, 'amDropRate', 'vrrp.sync.settings.amDropRate', 'no such field'],
  ['sync settings: a bad value', [[30, '    interface: eth1\n    settings: { syncThreshold: [50, 50] }']], 31, '50, 50]', 'vrrp.sync.settings.syncThreshold[0]', 'an integer from 0 to 49'],
  ['sync settings: a boolean', [[30, '    interface: eth1\n    settings: { sloppyTcp: 2 }']], 31, '2', 'vrrp.sync.settings.sloppyTcp', 'true or false'],
  ['sync settings not a mapping', [[30, '    interface: eth1\n    settings: fast']], 31, 'fast', 'vrrp.sync.settings', 'expected IPVS settings for the sync daemons'],
  ['sync without interface', [[30, '    syncId: 5']], 30, 'syncId', 'vrrp.sync.interface', 'missing: the interface sync messages go out on'],
  ['an alias', [[15, '      vips: &v [203.0.113.10]\n      peers: *v'], [17, '']], 16, '*v', `${I}.peers`, 'an alias (*v) is not accepted'],
];

describe('config vrrp: every bad value, at its line and column', () => {
  it.each(BAD)('%s', (_what, edits, line, text, field, message) => {
    const source = edit(...edits);
    const problems = problemsOf(source);
    const column = source.split('\n')[line - 1].indexOf(text) + 1;
    expect(column).toBeGreaterThan(0);
    expect(problems).toContainEqual({ line, column, field, message: expect.stringContaining(message) });
  });

  it('an address owner: no preempt: false, no delay, no weighted tracking', () => {
    const problems = problemsOf(edit([12, '      priority: 255'], [13, '      preempt: false']));
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [13, `${I}.preempt`], [14, `${I}.preemptDelay`], [21, `${I}.track[0].weight`], [27, `${I}.track[2].weight`],
    ]);
    expect(problems[0].message).toContain('priority 255 always takes over');
    expect(problems[2].message).toContain('expected 0 for an address owner');
  });

  it('missing name, interface, vrid and vips: each said, at the instance', () => {
    expect(problemsOf('services: []\nvrrp:\n  instances:\n    - priority: 100\n')).toEqual(['name', 'interface', 'vrid', 'vips'].map((f) => ({
      line: 4, column: 7, field: `${I}.${f}`, message: expect.stringMatching(/^missing: /),
    })));
  });

  it('two instances: one name twice, one VRID on one interface twice, and a sync daemon that must say which drives it', () => {
    const text = [
      'services: []', 'vrrp:', '  instances:',
      '    - { name: a, interface: eth0, vrid: 5, vips: [192.0.2.10] }',
      '    - { name: a, interface: eth0, vrid: 5, vips: [192.0.2.11] }',
      '    - { name: b, interface: eth0, vrid: 5, vips: ["2001:db8::10"] }',
      '  sync: { interface: eth1 }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      { line: 5, column: 15, field: 'vrrp.instances[1].name', message: '"a" is the name of vrrp.instances[0] too: each instance needs its own' },
      { line: 5, column: 41, field: 'vrrp.instances[1].vrid', message: "VRID 5 on eth0 (inet) is vrrp.instances[0]'s too" },
      { line: 7, column: 9, field: 'vrrp.sync.instance', message: 'missing: which VRRP instance drives the sync daemon (a, b)' },
    ]);
  });

  it('a sync daemon naming a bad instance says nothing more; with no instance at all it says so', () => {
    expect(problemsOf('services: []\nvrrp:\n  instances:\n    - { name: a, interface: eth0, vrid: 0, vips: [192.0.2.10] }\n  sync: { interface: eth1, instance: a }\n').map((p) => p.field))
      .toEqual(['vrrp.instances[0].vrid']);
    expect(problemsOf('services: []\nvrrp:\n  sync: { interface: eth1 }\n')).toEqual([
      { line: 3, column: 9, field: 'vrrp.sync.instance', message: 'missing: a VRRP instance to drive the sync daemon (there is none: add vrrp.instances)' },
    ]);
  });

  it('a tracked service is looked up only when the services list reads (its own problems are enough)', () => {
    const problems = problemsOf(edit([2, '  - service: tcp 203.0.113.10:99999']));
    expect(problems.map((p) => p.field)).toEqual(['services[0].service.port']);
  });

  it('every problem of the section at once', () => {
    const problems = problemsOf(edit([11, '      vrid: 0'], [13, '      interval: 5ms'], [21, '          weight: x'], [30, '    interface: eth1\n    ttl: 0']));
    expect(problems.map((p) => p.field)).toEqual([`${I}.vrid`, `${I}.interval`, `${I}.track[0].weight`, 'vrrp.sync.ttl']);
  });
});

describe('config vrrp: field names', () => {
  it.each([
    ['virtual_router_id', 11, 'vrid'], ['advert_int', 13, 'interval'], ['nopreempt', 14, 'preempt'], ['preempt_delay', 14, 'preemptDelay'],
    ['virtual_ipaddress', 15, 'vips'], ['unicast_src_ip', 16, 'source'], ['unicast_peer', 17, 'peers'], ['track_script', 19, 'track'],
    ['notify_master', 28, 'notifyMaster'], ['vrdi', 11, 'vrid'], ['prority', 12, 'priority'],
  ])("keepalived's %s (or a misspelling) points at ours", (word, line, meant) => {
    const lines = [...BASE];
    lines[line - 1] = lines[line - 1].replace(/^(\s*-?\s*)\w+:/, `$1${word}:`);
    const problems = problemsOf(lines.join('\n'));
    expect(problems).toContainEqual(expect.objectContaining({ line, field: `${I}.${word}`, message: expect.stringContaining(`did you mean ${meant}?`) }));
  });

  it("keepalived's section words point at ours: vrrp_instance, lvs_sync_daemon, garp_master_delay", () => {
    expect(problemsOf('services: []\nvrrp:\n  vrrp_instance: []\n')[0].message).toContain('did you mean instances?');
    expect(problemsOf('services: []\nvrrp:\n  lvs_sync_daemon: {}\n')[0].message).toContain('did you mean sync?');
    expect(problemsOf(edit([18, '      garp: { garp_master_delay: 1s }']))[0].message).toContain('did you mean delay?');
    expect(problemsOf(edit([30, '    interface: eth1\n    syncid: 3']))[0].message).toContain('did you mean syncId?');
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('%s is no field, at any level', (name) => {
    const at: [number, string, string][] = [
      [7, `vrrp:\n  ${name}: 1`, 'vrrp'],
      [9, `    - name: VI_1\n      ${name}: 1`, I],
      [18, `      garp: { ${name}: 1 }`, `${I}.garp`],
      [21, `          weight: -20\n          ${name}: 1`, `${I}.track[0]`],
      [30, `    interface: eth1\n    ${name}: 1`, 'vrrp.sync'],
    ];
    for (const [line, text, parent] of at) {
      const problems = problemsOf(edit([line, text]));
      expect(problems).toEqual([expect.objectContaining({ field: `${parent}.${name}`, message: expect.stringContaining('no such field') })]);
    }
    // Nothing reached a prototype.
    expect(({} as Record<string, unknown>).vrid).toBeUndefined();
  });
});

describe('config vrrp: any value anywhere (property)', () => {
  it('a random value in any field reads or is a problem at a place in the section, never a surprise', async () => {
    const fc = (await import('fast-check')).default;
    // Lines of BASE holding `key: value` inside the section, and the indentation/key to keep.
    const fieldLines = BASE.map((line, i) => [i + 1, /^(\s*(?:- )?)(\w+): /.exec(line)] as const)
      .filter(([n, m]) => n >= 8 && m !== null)
      .map(([n, m]) => [n, `${m![1]}${m![2]}`] as const);
    fc.assert(fc.property(fc.constantFrom(...fieldLines), fc.jsonValue({ maxDepth: 2 }), ([n, key], value) => {
      const text = edit([n, `${key}: ${JSON.stringify(value)}`]);
      try {
        parseConfig(text);
      } catch (err) {
        expect(err).toBeInstanceOf(IpvsConfigError);
        for (const p of (err as IpvsConfigError).problems) {
          expect(p.message).not.toMatch(/^cannot be read/);
          // Every problem is about the vrrp section (the services are untouched), or names the key's own line.
          expect(p.field === '' || p.field.startsWith('vrrp')).toBe(true);
          expect(p.line).toBeGreaterThanOrEqual(7);
        }
      }
    }), { numRuns: 300 });
  }, 60_000);
});
