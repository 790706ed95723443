/**
 * RFC 5798 §6.4.3: between masters of equal priority the one with the greater primary address wins,
 * the addresses compared as unsigned integers. Adverts carry canonical text (inet_ntop), read here
 * into bytes without the addon: the machine stays pure TypeScript.
 */

/** The 4 or 16 bytes of an IPv4 or IPv6 address text; null when it is neither. */
export function addressBytes(text: string): number[] | null {
  if (!text.includes(':')) return ipv4Bytes(text);
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = ipv4Bytes(item);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) out.push(parseInt(item, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array<number>(missing).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

function ipv4Bytes(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.map(Number);
}

/** Negative, 0 or positive as a is below, equal to or above b (unsigned); an unreadable text sorts first. */
export function compareAddresses(a: string, b: string): number {
  const x = addressBytes(a) ?? [];
  const y = addressBytes(b) ?? [];
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}
