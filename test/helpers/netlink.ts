/**
 * An independent, minimal netlink writer for fixtures: tests compare the
 * addon's encoder against bytes built here, and feed hand-built kernel
 * replies to its decoder.
 */
export const NLA_F_NESTED = 0x8000;

export function u8(v: number): Buffer {
  return Buffer.from([v]);
}
export function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}
export function be16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}
export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}
export function be32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}
export function u64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b;
}
export function str(s: string): Buffer {
  return Buffer.concat([Buffer.from(s), Buffer.from([0])]);
}
export function ipv4(a: string): Buffer {
  return Buffer.concat([Buffer.from(a.split('.').map(Number)), Buffer.alloc(12)]);
}

/** One attribute: 4-byte header (length, type), payload, padding to 4. */
export function nla(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const header = Buffer.alloc(4);
  header.writeUInt16LE(len, 0);
  header.writeUInt16LE(type, 2);
  return Buffer.concat([header, payload, Buffer.alloc((4 - (len % 4)) % 4)]);
}

export function nest(type: number, ...children: Buffer[]): Buffer {
  return nla(type | NLA_F_NESTED, Buffer.concat(children));
}

/** nlmsghdr + genlmsghdr + attributes. */
export function genlMessage(opts: { type: number; flags: number; seq: number; pid?: number; cmd: number; version?: number }, ...attrs: Buffer[]): Buffer {
  const body = Buffer.concat(attrs);
  const h = Buffer.alloc(20);
  h.writeUInt32LE(20 + body.length, 0);
  h.writeUInt16LE(opts.type, 4);
  h.writeUInt16LE(opts.flags, 6);
  h.writeUInt32LE(opts.seq, 8);
  h.writeUInt32LE(opts.pid ?? 0, 12);
  h.writeUInt8(opts.cmd, 16);
  h.writeUInt8(opts.version ?? 1, 17);
  return Buffer.concat([h, body]);
}

export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
