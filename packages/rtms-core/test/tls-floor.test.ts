// TLS 1.2 is the floor on every wss connection (Zoom requires 1.2 or 1.3 since 2026-11-15), whatever the
// process default says: with Node's default lowered to TLS 1.0, the ClientHello our sockets send must still
// offer only TLS 1.3 and 1.2. A bare TCP listener on 127.0.0.1 reads the versions out of the ClientHello.
import { once } from "node:events";
import { createServer, type Server } from "node:net";
import tls from "node:tls";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { ZoomEventWsClient } from "../src/event-ws/client.ts";
import { silentLogger } from "../src/logger.ts";
import { SocketConnection } from "../src/session/connection.ts";

/** The supported_versions extension (0x002b) of a TLS ClientHello record, as hex strings. */
function offeredVersions(hello: Buffer): string[] {
  let o = 5 + 4 + 2 + 32; // record header, handshake header, legacy version, random
  o += 1 + hello[o]!; // session id
  o += 2 + hello.readUInt16BE(o); // cipher suites
  o += 1 + hello[o]!; // compression methods
  const end = o + 2 + hello.readUInt16BE(o);
  o += 2;
  const versions: string[] = [];
  while (o < end) {
    const type = hello.readUInt16BE(o);
    const length = hello.readUInt16BE(o + 2);
    if (type === 0x2b) {
      for (let i = 1; i < 1 + hello[o + 4]!; i += 2)
        versions.push(hello.readUInt16BE(o + 4 + i).toString(16));
    }
    o += 4 + length;
  }
  return versions;
}

const defaultMin = tls.DEFAULT_MIN_VERSION;
let listener: Server;
let hello: Promise<Buffer>;
let port = 0;

beforeAll(() => {
  tls.DEFAULT_MIN_VERSION = "TLSv1";
});
afterAll(() => {
  tls.DEFAULT_MIN_VERSION = defaultMin;
});

beforeEach(async () => {
  let got!: (b: Buffer) => void;
  hello = new Promise((r) => {
    got = r;
  });
  listener = createServer((socket) =>
    socket.once("data", (b) => {
      got(b);
      socket.destroy();
    }),
  );
  listener.listen(0, "127.0.0.1");
  await once(listener, "listening");
  port = (listener.address() as { port: number }).port;
});

afterEach(async () => {
  await new Promise<void>((r) => listener.close(() => r()));
});

it("is what a plain TLS client offers with the lowered default (the check can fail)", async () => {
  const socket = tls.connect({ host: "127.0.0.1", port });
  socket.on("error", () => {});
  expect(offeredVersions(await hello)).toEqual(["304", "303", "302", "301"]);
});

it("holds for the signaling and media sockets", async () => {
  const conn = new SocketConnection(`wss://127.0.0.1:${port}/signaling`, {
    logger: silentLogger,
    allowedHosts: ["127.0.0.1"],
  });
  const opened = conn.open();
  expect(offeredVersions(await hello)).toEqual(["304", "303"]);
  await expect(opened).rejects.toMatchObject({ code: "CONNECT_FAILED" });
});

it("holds for the event WebSocket", async () => {
  const client = new ZoomEventWsClient({
    url: `wss://127.0.0.1:${port}/ws?subscriptionId=s`,
    allowedHosts: ["127.0.0.1"],
    tokenSource: {
      getToken: async () => ({ accessToken: "t", expiresAtMs: Date.now() + 3_600_000 }),
      invalidate: () => {},
    },
  });
  client.on("error", () => {});
  client.start();
  expect(offeredVersions(await hello)).toEqual(["304", "303"]);
  await client.close();
});
