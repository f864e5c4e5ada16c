// SocketConnection against a bare ws server: keep-alive answers, pings, binary JSON, bad frames, watchdog.
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { silentLogger } from "../src/logger.ts";
import { keepAliveReq, type RtmsMessage, stringifyMessage } from "../src/protocol/index.ts";
import { ManualClock } from "../src/session/clock.ts";
import { type SocketCloseInfo, SocketConnection } from "../src/session/connection.ts";

let wss: WebSocketServer;
let peer: Promise<WebSocket>;
let url: string;
const LOOPBACK = ["127.0.0.1"];

beforeEach(async () => {
  wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  peer = new Promise((r) => wss.once("connection", (ws) => r(ws)));
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
});

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((r) => ws.once("message", (d) => r(String(d))));
}
function nextEvent<T>(
  conn: SocketConnection,
  event: "message" | "close" | "protocolError" | "keepAlive",
): Promise<T> {
  return new Promise((r) => conn.once(event, ((x: T) => r(x)) as never));
}

describe("SocketConnection", () => {
  it("answers msg 12 with msg 13 echoing the server's timestamp, and reports it", async () => {
    const conn = new SocketConnection(url, { logger: silentLogger, allowedHosts: LOOPBACK });
    await conn.open();
    const server = await peer;
    const keepAlive = nextEvent<{ timestamp: number; latencyMs: number }>(conn, "keepAlive");
    const answer = nextMessage(server);
    server.send(stringifyMessage(keepAliveReq(1732412345678)));
    expect(JSON.parse(await answer)).toEqual({ msg_type: 13, timestamp: 1732412345678 });
    const k = await keepAlive;
    expect(k.timestamp).toBe(1732412345678);
    expect(k.latencyMs).toBeGreaterThanOrEqual(0);
    conn.close();
  });

  it("answers a msg 12 without a timestamp with our clock's time, counts it as malformed, keeps the socket", async () => {
    const clock = new ManualClock(1_800_000_000_000);
    const conn = new SocketConnection(url, { logger: silentLogger, allowedHosts: LOOPBACK, clock });
    await conn.open();
    const server = await peer;
    const errors: { code: string; msgType?: number }[] = [];
    conn.on("protocolError", (e) => errors.push(e));
    for (const bad of ['{"msg_type":12}', '{"msg_type":12,"timestamp":"soon"}']) {
      const answer = nextMessage(server);
      server.send(bad);
      expect(JSON.parse(await answer)).toEqual({ msg_type: 13, timestamp: 1_800_000_000_000 });
    }
    expect(errors.map((e) => [e.code, e.msgType])).toEqual([
      ["MALFORMED_KEEP_ALIVE", 12],
      ["MALFORMED_KEEP_ALIVE", 12],
    ]);
    expect(conn.isOpen).toBe(true);
    conn.close();
  });

  it("decodes JSON sent in binary frames like text frames", async () => {
    const conn = new SocketConnection(url, { logger: silentLogger, allowedHosts: LOOPBACK });
    await conn.open();
    const server = await peer;
    const got = nextEvent<RtmsMessage>(conn, "message");
    server.send(Buffer.from(JSON.stringify({ msg_type: 8, state: 1 })), { binary: true });
    expect(await got).toEqual({ msg_type: 8, state: 1 });
    conn.close();
  });

  it("answers WebSocket pings", async () => {
    const conn = new SocketConnection(url, { logger: silentLogger, allowedHosts: LOOPBACK });
    await conn.open();
    const server = await peer;
    const pong = new Promise<string>((r) => server.once("pong", (d) => r(String(d))));
    server.ping("are-you-there");
    expect(await pong).toBe("are-you-there");
    conn.close();
  });

  it("reports bad frames as typed protocol errors and keeps the socket", async () => {
    const conn = new SocketConnection(url, { logger: silentLogger, allowedHosts: LOOPBACK });
    await conn.open();
    const server = await peer;
    const err = nextEvent<{ code: string }>(conn, "protocolError");
    server.send("{oops");
    expect((await err).code).toBe("MALFORMED_JSON");
    const err2 = nextEvent<{ code: string }>(conn, "protocolError");
    server.send(JSON.stringify({ msg_type: 99 }));
    expect((await err2).code).toBe("UNKNOWN_MSG_TYPE");
    expect(conn.isOpen).toBe(true);
    conn.close();
  });

  it("closes the socket on a frame over maxMessageBytes instead of buffering it", async () => {
    const conn = new SocketConnection(url, {
      logger: silentLogger,
      allowedHosts: LOOPBACK,
      maxMessageBytes: 1024,
    });
    await conn.open();
    const server = await peer;
    const closed = nextEvent<SocketCloseInfo>(conn, "close");
    server.send(JSON.stringify({ msg_type: 15, pad: "x".repeat(5000) }));
    const info = await closed;
    expect([1006, 1009]).toContain(info.code); // ws aborts the read: the peer may not see a close frame
    expect(info.byUs).toBe(false);
  });

  it("declares the socket dead after the keep-alive window of silence; any message counts as life", async () => {
    const clock = new ManualClock();
    const conn = new SocketConnection(url, {
      logger: silentLogger,
      allowedHosts: LOOPBACK,
      clock,
      keepAliveTimeoutMs: 65_000,
    });
    await conn.open();
    const server = await peer;
    clock.advance(60_000);
    expect(conn.isOpen).toBe(true);
    const got = nextEvent<RtmsMessage>(conn, "message");
    server.send(JSON.stringify({ msg_type: 6, event: { event_type: 2, user_id: 1 } }));
    await got;
    clock.advance(60_000); // 120 s after open, 60 s after the last message: alive
    expect(conn.isOpen).toBe(true);
    const closed = nextEvent<SocketCloseInfo>(conn, "close");
    clock.advance(5_001);
    const info = await closed;
    expect(info).toMatchObject({ watchdog: true, byUs: false });
  });

  it("rejects open() when nothing listens", async () => {
    const port = (wss.address() as AddressInfo).port;
    await new Promise<void>((r) => wss.close(() => r()));
    const conn = new SocketConnection(`ws://127.0.0.1:${port}`, {
      logger: silentLogger,
      allowedHosts: LOOPBACK,
    });
    await expect(conn.open()).rejects.toMatchObject({ code: "CONNECT_FAILED" });
    wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  });
});
