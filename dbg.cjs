const {parseConfig}=require('./dist');
const entry = (lines) => `services:\n  - ${lines.trim().split('\n').join('\n    ')}\n`;
const withDest = (dest, service = 'service: tcp 192.0.2.10:80') => entry(`${service}\ndestinations:\n  - ${dest.trim().split('\n').join('\n    ')}`);
const show = (t) => { try { parseConfig(t); console.log('OK'); } catch (e) { console.log(t); for (const p of e.problems) console.log('  ', p.line, p.column, p.field, '|', p.message); } };
show('servers: []\n');
show(entry('service:\n  protocol: tcp\n  address: 192.0.2.300\n  port: 80'));
show(entry('service: { protocol: tcp, address: 192.0.2.10, port: 80, scheduler: rr }'));
show(withDest('server: 198.51.100.11\nupperThreshold: 10\nlowerThreshold: 20'));
show(withDest('server: 198.51.100.11\nforwarding: tunnel\ntunnel: { type: ipip, port: 5 }'));
const name='toString';
show([
      `${name}: 1`,
      'services:',
      '  - service: { protocol: tcp, address: 192.0.2.10, port: 80, ' + `${name}: 1 }`,
      `    ${name}: { scheduler: rr }`,
      '    persistence: { timeout: 60, ' + `${name}: 1 }`,
      '    destinations:',
      `      - server: { address: 198.51.100.11, ${name}: 1 }`,
      `        ${name}: { weight: 5 }`,
      `        tunnel: { ${name}: 1 }`,
    ].join('\n'));
show(withDest(`server: 198.51.100.11\nforwarding: ${name}`, `service: { protocol: ${name}, address: 192.0.2.10, port: 80 }\nscheduler: ${name}`));
show(withDest('server: 198.51.100.11\n  - server: 198.51.100.11:80\n    weight: 2'));
show('services:\n  - service: &vip tcp 192.0.2.10:80\n  - service: *vip\n');
show('services:\n  - &base\n    service: tcp 192.0.2.10:80\n    scheduler: rr\n  - <<: *base\n    service: tcp 192.0.2.10:443\n');
show('services:\n  - service: "tcp 192.0.2.10:80\n');
show(entry('service: tcp 192.0.2.10:80\nscheduler: 5\nonePacket: 1\ndestinations:\n  - server: 198.51.100.11\n    weight: -1\n  - server: 198.51.100.12\n    wieght: 1'));
