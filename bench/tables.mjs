// The bench's tables, each written twice: as ipvsadm rules text and as the
// C floor's input (bench/floor.c), so both load exactly the same objects.
const AF = { ipv4: 2, ipv6: 10 };
const PROTO = { tcp: 6, udp: 17 };

function v4(i) {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

/** Service i of kind 'v4' (TCP), 'v6' (TCP) or 'fwmark', with 4 masquerading real servers. */
function service(i, kind) {
  if (kind === 'fwmark') return { spec: `-f ${i + 1}`, af: 2, proto: 0, addr: '0.0.0.0', port: 0, fwmark: i + 1 };
  if (kind === 'v6') {
    const addr = `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`;
    return { spec: `-t [${addr}]:80`, af: AF.ipv6, proto: PROTO.tcp, addr, port: 80, fwmark: 0 };
  }
  const addr = v4(i);
  return { spec: `-t ${addr}:80`, af: AF.ipv4, proto: PROTO.tcp, addr, port: 80, fwmark: 0 };
}

export function makeTable(name, count, kinds) {
  const rules = [];
  const floor = [];
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length];
    const s = service(i, kind);
    rules.push(`-A ${s.spec} -s wrr`);
    floor.push(`S ${s.af} ${s.proto} ${s.addr} ${s.port} ${s.fwmark} wrr 0 0 ${s.af === AF.ipv6 ? 128 : 4294967295}`);
    for (let d = 1; d <= 4; d++) {
      const v6 = kind === 'v6';
      const addr = v6 ? `2001:db8:ffff::${d}` : `198.51.100.${d}`;
      const port = 8000 + d;
      rules.push(`-a ${s.spec} -r ${v6 ? `[${addr}]` : addr}:${port} -m -w ${d}`);
      floor.push(`D ${d} 0 ${v6 ? AF.ipv6 : AF.ipv4} ${addr} ${port} 0 0`);
    }
  }
  return { name, services: count, objects: rules.length, rules: `${rules.join('\n')}\n`, floor: `${floor.join('\n')}\n` };
}

const floorService = (s, sched = 'wrr') => `${s.af} ${s.proto} ${s.addr} ${s.port} ${s.fwmark} ${sched} 0 0 ${s.af === AF.ipv6 ? 128 : 4294967295}`;

/**
 * The IPv4 table of `count` services with 1% of its objects changed (of 10,000 × 4: 500
 * operations), each kind of change apply makes: 1% of the services get a weight changed, 1% a
 * destination added, 0.5% lose one (a drain to weight 0, then its removal: two operations), 0.5%
 * change scheduler, and 0.3% more services arrive with their 4 destinations. `rules` is the
 * whole desired table; `floor` the same operations as the C floor's input; `operations` their count.
 */
export function makeChanged(count) {
  const rules = [];
  const floor = [];
  let operations = 0;
  const op = (line) => {
    floor.push(line);
    operations++;
  };
  const dest = (d, weight = d) => ({ weight, text: `198.51.100.${d}:${8000 + d}`, floor: `${weight} 0 ${AF.ipv4} 198.51.100.${d} ${8000 + d} 0 0` });
  for (let i = 0; i < count + Math.round(count * 0.003); i++) {
    const s = service(i, 'v4');
    const added = i >= count;
    const sched = !added && i % 200 === 3 ? 'rr' : 'wrr';
    rules.push(`-A ${s.spec} -s ${sched}`);
    if (added) op(`S ${floorService(s)}`);
    else if (sched === 'rr') op(`U ${floorService(s, 'rr')}`);
    else floor.push(`K ${floorService(s)}`);
    const dests = [1, 2, 3, 4].map((d) => dest(d));
    if (!added && i % 100 === 0) {
      dests[0] = dest(1, 11);
      op(`E ${dests[0].floor}`);
    }
    if (!added && i % 100 === 1) {
      dests.push(dest(5));
      op(`D ${dests[4].floor}`);
    }
    if (!added && i % 200 === 2) {
      const gone = dests.pop();
      op(`E ${dest(4, 0).floor}`);
      op(`R ${gone.floor}`);
    }
    for (const d of dests) {
      rules.push(`-a ${s.spec} -r ${d.text} -m -w ${d.weight}`);
      if (added) op(`D ${d.floor}`);
    }
  }
  return { rules: `${rules.join('\n')}\n`, floor: `${floor.join('\n')}\n`, operations };
}

export const TABLES = [
  () => makeTable('1,000 × 4 (IPv4)', 1000, ['v4']),
  () => makeTable('10,000 × 4 (IPv4)', 10000, ['v4']),
  () => makeTable('3,000 × 4 (IPv4, IPv6, fwmark)', 3000, ['v4', 'v6', 'fwmark']),
];
