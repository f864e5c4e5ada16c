// Who is asking, for per-address limits and the audit log. The socket's peer address is the truth; an
// X-Forwarded-For header is only believed when the peer is one of our own proxies (TRUSTED_PROXIES), and
// then only hop by hop from the right: each trusted hop vouches for the one before it, and the first
// untrusted address is the client. Anything a client wrote further left is ignored.
import { BlockList, isIP } from "node:net";

/** Set on every request by peer-address.ts from the socket itself; a client-sent value is overwritten. */
export const PEER_ADDRESS_HEADER = "x-capture-peer-address";

export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  /** `spec`: comma-separated addresses and CIDRs, e.g. "10.0.0.0/8, 127.0.0.1, fd00::/8". */
  constructor(spec = "") {
    const entries = spec
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    for (const entry of entries) {
      const [ip, bits] = entry.split("/") as [string, string | undefined];
      const family = isIP(ip);
      if (!family) throw new Error(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR`);
      const type = family === 4 ? "ipv4" : "ipv6";
      if (bits === undefined) {
        this.list.addAddress(ip, type);
      } else {
        const prefix = Number(bits);
        if (!/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128)) {
          throw new Error(`TRUSTED_PROXIES: "${entry}" has a bad prefix length`);
        }
        this.list.addSubnet(ip, prefix, type);
      }
    }
    this.size = entries.length;
  }

  has(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.list.check(address, family === 4 ? "ipv4" : "ipv6");
  }
}

/** "::ffff:10.1.2.3" (an IPv4 client on a dual-stack socket) is 10.1.2.3; anything not an IP is "invalid". */
export function normalizeAddress(raw: string | undefined): string {
  let a = (raw ?? "").trim();
  if (a.startsWith("[") && a.includes("]")) a = a.slice(1, a.indexOf("]")); // "[::1]:443"
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a)) a = a.slice(7);
  return isIP(a) ? a.toLowerCase() : "invalid";
}

type HeaderSource = Record<string, string | string[] | undefined> | Headers;

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const v = headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

export function clientAddress(headers: HeaderSource, trusted: TrustedProxies): string {
  const forwarded = (header(headers, "x-forwarded-for") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const peerHeader = header(headers, PEER_ADDRESS_HEADER);
  // Without the peer header (the hook is not installed: a unit test, a non-Next host), Next's own
  // x-forwarded-for is the best left: it appends nothing when a client sent one, so take its last entry.
  let client = normalizeAddress(peerHeader ?? forwarded.pop());
  while (trusted.has(client) && forwarded.length > 0) client = normalizeAddress(forwarded.pop());
  return client;
}
