import { createServer, request } from "node:http";
import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "~/env.ts";
import { clientAddress, normalizeAddress, PEER_ADDRESS_HEADER, TrustedProxies } from "./client-address.ts";
import { installPeerAddressHeader } from "./peer-address.ts";

const none = new TrustedProxies("");
const req = (peer: string, xff?: string) =>
  new Headers({ [PEER_ADDRESS_HEADER]: peer, ...(xff ? { "x-forwarded-for": xff } : {}) });

describe("clientAddress", () => {
  it("is the socket peer when no proxy is trusted, whatever X-Forwarded-For says", () => {
    for (const forged of ["1.2.3.4", "10.0.0.1, 8.8.8.8", "junk", "::1"]) {
      expect(clientAddress(req("203.0.113.5", forged), none)).toBe("203.0.113.5");
    }
    expect(clientAddress(req("::ffff:203.0.113.5"), none)).toBe("203.0.113.5");
  });

  it("walks X-Forwarded-For from the right through trusted proxies only", () => {
    const trusted = new TrustedProxies("10.0.0.0/8, 192.168.1.1, fd00::/8");
    // A trusted load balancer: its X-Forwarded-For names the client.
    expect(clientAddress(req("10.0.0.2", "198.51.100.4"), trusted)).toBe("198.51.100.4");
    // Whatever the client wrote before that stays ignored.
    expect(clientAddress(req("10.0.0.2", "1.1.1.1, 198.51.100.4"), trusted)).toBe("198.51.100.4");
    // Two trusted hops.
    expect(clientAddress(req("fd00::1", "198.51.100.4, 192.168.1.1"), trusted)).toBe("198.51.100.4");
    // A peer that is not a trusted proxy is the client, even if it sends the header.
    expect(clientAddress(req("203.0.113.5", "198.51.100.4"), trusted)).toBe("203.0.113.5");
    // Garbage where an address should be does not become a key of its own choosing.
    expect(clientAddress(req("10.0.0.2", "<script>"), trusted)).toBe("invalid");
  });

  it("without the peer header falls back to the last X-Forwarded-For entry (Next's own)", () => {
    expect(clientAddress(new Headers({ "x-forwarded-for": "9.9.9.9, 127.0.0.1" }), none)).toBe("127.0.0.1");
    expect(clientAddress(new Headers(), none)).toBe("invalid");
  });

  it("normalises addresses", () => {
    expect(normalizeAddress("[::1]:443")).toBe("::1");
    expect(normalizeAddress(" 192.0.2.1 ")).toBe("192.0.2.1");
    expect(normalizeAddress("2001:DB8::1")).toBe("2001:db8::1");
    expect(normalizeAddress("a\u0000b")).toBe("invalid");
  });

  it("TRUSTED_PROXIES is validated with the environment", () => {
    const base = {
      DATABASE_URL: "postgresql://u@127.0.0.1/db",
      CAPTURE_ENCRYPTION_KEYS: "k1:AAAA",
      NEXTAUTH_SECRET: "0123456789abcdef0123",
    };
    expect(parseEnv(base).TRUSTED_PROXIES).toBe("");
    expect(parseEnv({ ...base, TRUSTED_PROXIES: "10.0.0.0/8,::1" }).TRUSTED_PROXIES).toBe("10.0.0.0/8,::1");
    expect(() => parseEnv({ ...base, TRUSTED_PROXIES: "10.0.0.0/99" })).toThrow(EnvError);
    expect(() => parseEnv({ ...base, TRUSTED_PROXIES: "proxy.local" })).toThrow(/TRUSTED_PROXIES/);
  });

  it("the peer header comes from the socket, overwriting what a client sent under that name", async () => {
    installPeerAddressHeader();
    installPeerAddressHeader(); // idempotent
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(clientAddress(req.headers, none));
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve, reject) => {
      request(
        {
          host: "127.0.0.1",
          port,
          headers: { [PEER_ADDRESS_HEADER]: "198.51.100.1", "x-forwarded-for": "198.51.100.2" },
        },
        (res) => res.resume().on("end", resolve),
      )
        .on("error", reject)
        .end();
    });
    await new Promise((resolve) => server.close(resolve));
    expect(seen).toEqual(["127.0.0.1"]);
  });
});
