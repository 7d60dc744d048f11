// IP addresses, CIDR prefixes and netmasks as bytes, so pg_hba.conf address columns can be compared the way PostgreSQL does.

export type IpFamily = 4 | 6;

/** An address range: the bits set in `mask` must equal those of `addr`; masks need not be contiguous (a separate netmask column may be anything). */
export interface IpRange {
  family: IpFamily;
  addr: Uint8Array;
  mask: Uint8Array;
}

/** Parses a numeric IPv4 (dotted quad) or IPv6 address; null when it is not one (for example a host name). */
export function parseIp(text: string): { family: IpFamily; bytes: Uint8Array } | null {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split('.').map(Number);
    return parts.every((p) => p <= 255) ? { family: 4, bytes: Uint8Array.from(parts) } : null;
  }
  return text.includes(':') ? parseIpv6(text) : null;
}

function parseIpv6(text: string): { family: 6; bytes: Uint8Array } | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIp(part);
        if (!v4 || v4.family !== 4) return null;
        out.push((v4.bytes[0]! << 8) | v4.bytes[1]!, (v4.bytes[2]! << 8) | v4.bytes[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return { family: 6, bytes };
}

/** A netmask of `bits` leading ones for the family. */
export function prefixMask(family: IpFamily, bits: number): Uint8Array {
  const mask = new Uint8Array(family === 4 ? 4 : 16);
  for (let i = 0; i < mask.length; i++) mask[i] = 0xff & ~(0xff >> Math.max(0, Math.min(8, bits - 8 * i)));
  return mask;
}

/** `127.0.0.1/32`, `::1/128` or a bare IP (a single address); null when not a numeric range. */
export function parseCidr(text: string): IpRange | null {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return null;
  const max = ip.family === 4 ? 32 : 128;
  const bitsText = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) return null;
  return { family: ip.family, addr: ip.bytes, mask: prefixMask(ip.family, Number(bitsText)) };
}

/** How a rule's range relates to a client range: every client address inside it, some of them, or none. Families never mix (PostgreSQL does not map ::ffff: addresses). */
export function rangeRelation(rule: IpRange, client: IpRange): 'contains' | 'overlaps' | 'disjoint' {
  if (rule.family !== client.family) return 'disjoint';
  let contains = true;
  for (let i = 0; i < rule.addr.length; i++) {
    const both = rule.mask[i]! & client.mask[i]!;
    if ((rule.addr[i]! ^ client.addr[i]!) & both) return 'disjoint';
    if (rule.mask[i]! & ~client.mask[i]! & 0xff) contains = false;
  }
  return contains ? 'contains' : 'overlaps';
}

/** Text form as PostgreSQL prints it (inet_ntop): dotted quad, or IPv6 with the longest run of zero groups shortened to `::`. */
export function formatIp(family: IpFamily, bytes: Uint8Array): string {
  if (family === 4) return Array.from(bytes).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { start: i, len: j - i };
    i = j > i ? j : i + 1;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (best.len < 2) return hex(groups);
  return `${hex(groups.slice(0, best.start))}::${hex(groups.slice(best.start + best.len))}`;
}

/** Loopback clients: matched by `samehost` and `samenet` on every host. */
export function isLoopback(range: IpRange): boolean {
  const loop = parseCidr(range.family === 4 ? '127.0.0.0/8' : '::1/128')!;
  return rangeRelation(loop, range) === 'contains';
}
