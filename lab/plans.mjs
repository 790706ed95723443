// The lab's addresses, per family, all from the documentation ranges:
// the LAN shared by client, director and (DR, TUN) real servers; the NAT
// real servers' private network; the network behind a router (TUN). A scenario's
// name gets the suffix; forwarding is what a director or router of that family turns on.
export const PLANS = {
  ipv4: {
    family: 'ipv4', prefix: 24, vip: '203.0.113.10', client: '203.0.113.100', director: '203.0.113.1', router: '203.0.113.254',
    lan: (i) => `203.0.113.${11 + i}`,
    inside: { director: '192.0.2.1', rs: (i) => `192.0.2.${11 + i}` },
    far: { router: '198.51.100.1', rs: (i) => `198.51.100.${11 + i}` },
    tunnel: 'tunl0',
    suffix: '',
    forwarding: { ipv4Forwarding: true },
  },
  ipv6: {
    family: 'ipv6', prefix: 64, vip: '2001:db8:1::10', client: '2001:db8:1::100', director: '2001:db8:1::1', router: '2001:db8:1::fe',
    lan: (i) => `2001:db8:1::${11 + i}`,
    inside: { director: '2001:db8:2::1', rs: (i) => `2001:db8:2::${11 + i}` },
    far: { router: '2001:db8:3::1', rs: (i) => `2001:db8:3::${11 + i}` },
    tunnel: 'ip6tnl0',
    suffix: '6',
    forwarding: { ipv4Forwarding: false, ipv6Forwarding: true },
  },
};

export const cidr = (plan, address) => `${address}/${plan.prefix}`;
export const vipUrl = (plan) => (plan.family === 'ipv6' ? `http://[${plan.vip}]/` : `http://${plan.vip}/`);
