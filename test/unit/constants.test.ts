/** Every number the TS layer uses equals the value <linux/ip_vs.h> gave the compiled addon. */
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/binding';
import { AF, CMD, DAEMON_STATES, FORWARDING, IFNAME_MAX_BYTES, NAME_MAX_BYTES, PROTOCOLS, SVC_FLAGS, TUNNEL_CHECKSUMS, TUNNEL_TYPES } from '../../lib/constants';

const c = native().constants;

describe('constants match the kernel headers', () => {
  it.each(Object.entries(CMD))('IPVS_CMD_%s', (name, value) => expect(value).toBe(c[`IPVS_CMD_${name}`]));
  it.each(Object.entries(SVC_FLAGS))('IP_VS_SVC_F_%s', (name, value) => expect(value).toBe(c[`IP_VS_SVC_F_${name}`]));

  it('families, protocols, methods, tunnels, daemon states', () => {
    expect(AF).toEqual({ ipv4: c.AF_INET, ipv6: c.AF_INET6 });
    expect(PROTOCOLS).toEqual({ tcp: c.IPPROTO_TCP, udp: c.IPPROTO_UDP, sctp: c.IPPROTO_SCTP });
    expect(FORWARDING).toEqual({
      masq: c.IP_VS_CONN_F_MASQ, local: c.IP_VS_CONN_F_LOCALNODE, tunnel: c.IP_VS_CONN_F_TUNNEL,
      route: c.IP_VS_CONN_F_DROUTE, bypass: c.IP_VS_CONN_F_BYPASS,
    });
    expect(TUNNEL_TYPES).toEqual({ ipip: c.IP_VS_CONN_F_TUNNEL_TYPE_IPIP, gue: c.IP_VS_CONN_F_TUNNEL_TYPE_GUE, gre: c.IP_VS_CONN_F_TUNNEL_TYPE_GRE });
    expect(TUNNEL_CHECKSUMS).toEqual({ nocsum: c.IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM, csum: c.IP_VS_TUNNEL_ENCAP_FLAG_CSUM, remcsum: c.IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM });
    expect(DAEMON_STATES).toEqual({ master: c.IP_VS_STATE_MASTER, backup: c.IP_VS_STATE_BACKUP });
    expect(c.IP_VS_SCHEDNAME_MAXLEN).toBe(16);
  });

  it('name lengths: the longest scheduler, engine and interface names leave room for the NUL', () => {
    expect(NAME_MAX_BYTES).toBe(c.IP_VS_SCHEDNAME_MAXLEN - 1);
    expect(NAME_MAX_BYTES).toBe(c.IP_VS_PENAME_MAXLEN - 1);
    expect(IFNAME_MAX_BYTES).toBe(c.IP_VS_IFNAME_MAXLEN - 1);
  });
});
