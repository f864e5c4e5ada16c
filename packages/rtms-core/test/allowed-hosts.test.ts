// Where the clients may connect: a URL that fails the allow-list is never dialled (a bare TCP listener on
// 127.0.0.1 counts 0 connections), ends the session with URL_NOT_ALLOWED instead of a retry loop, and
// does the same for msg 2's media URLs, failover URLs and the event WebSocket.
import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ZoomEventWsClient } from "../src/event-ws/client.ts";
import type { ZoomEventWsError } from "../src/event-ws/errors.ts";
import { silentLogger } from "../src/logger.ts";
import type { RtmsSessionOptions } from "../src/session/options.ts";
import { RtmsSession, type StoppedEvent } from "../src/session/session.ts";
import { nextSessionEvent, recordingPolicy } from "../src/testing.ts";
import { fakeServerPool, LOOPBACK_HOSTS, TEST_CREDENTIALS } from "./support/fake-rtms-server.ts";

let listener: Server;
let dialled = 0;
let port = 0;
const servers = fakeServerPool();
const sessions: RtmsSession[] = [];

beforeEach(async () => {
  dialled = 0;
  listener = createServer((socket) => {
    dialled++;
    socket.destroy();
  });
  listener.listen(0, "127.0.0.1");
  await once(listener, "listening");
  port = (listener.address() as { port: number }).port;
});

afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  await servers.closeAll();
  await new Promise<void>((r) => listener.close(() => r()));
});

function session(serverUrls: string | string[], extra: Partial<RtmsSessionOptions> = {}) {
  const policy = recordingPolicy({ delayMs: 10, maxAttempts: 5, duplicateBaseMs: 15 });
  const s = new RtmsSession({
    ...TEST_CREDENTIALS,
    serverUrls,
    logger: silentLogger,
    reconnectPolicy: policy,
    ...extra,
  });
  sessions.push(s);
  const reconnects: string[] = [];
  s.on("reconnecting", (r) => reconnects.push(r.cause));
  return { s, policy, reconnects };
}

async function expectRefusedStop(s: RtmsSession, started: Promise<void>): Promise<StoppedEvent> {
  const stopped = nextSessionEvent(s, "stopped");
  await expect(started).rejects.toMatchObject({ code: "URL_NOT_ALLOWED" });
  const [event] = await stopped;
  expect(event).toMatchObject({ source: "handshake", terminal: true, error: { code: "URL_NOT_ALLOWED" } });
  expect(event.reasonText).toMatch(/^URL_NOT_ALLOWED: refused to connect to /);
  return event;
}

describe("RtmsSession allowedHosts", () => {
  it("refuses a signaling URL off Zoom's domains by default: nothing dialled, no retry", async () => {
    const { s, policy, reconnects } = session(`wss://127.0.0.1:${port}/signaling`);
    await expectRefusedStop(s, s.start());
    expect(dialled).toBe(0);
    expect(policy.calls).toEqual([]);
    expect(reconnects).toEqual([]);
    expect(s.state).toBe("closed");
  });

  it("refuses plain ws:// to loopback unless that host is listed exactly", async () => {
    const { s } = session(`ws://127.0.0.1:${port}/signaling`, { allowedHosts: ["*.zoom.us"] });
    const stop = await expectRefusedStop(s, s.start());
    expect(stop.reasonText).toContain("only allowed to a listed loopback host");
    expect(dialled).toBe(0);
  });

  it("skips a refused URL in server_urls and connects to the allowed one", async () => {
    const srv = await servers.start();
    const { s } = session([`wss://evil.example.com:${port}/x`, srv.signalingUrl], {
      allowedHosts: LOOPBACK_HOSTS,
    });
    await s.start();
    expect(s.state).toBe("connected");
    expect(srv.opened).toEqual({ signaling: 1, media: 1 });
  });

  it("refuses msg 2's media URLs when they leave the allow-list, after a good signaling handshake", async () => {
    const srv = await servers.start({ mediaUrls: { all: `ws://localhost:${port}/media/all` } });
    const { s, policy } = session(srv.signalingUrl, { allowedHosts: LOOPBACK_HOSTS });
    const stop = await expectRefusedStop(s, s.start());
    expect(stop.reasonText).toContain("ws://localhost");
    expect(dialled).toBe(0);
    expect(srv.opened).toEqual({ signaling: 1, media: 0 });
    expect(policy.calls).toEqual([]);
  });

  it("refuses a failover to a URL that carries credentials, and stops", async () => {
    const srv = await servers.start();
    const { s } = session(srv.signalingUrl, { allowedHosts: LOOPBACK_HOSTS });
    await s.start();
    const stopped = nextSessionEvent(s, "stopped");
    await s.failover(`ws://zoom:pw@127.0.0.1:${port}/signaling`);
    const [event] = await stopped;
    expect(event).toMatchObject({ source: "handshake", error: { code: "URL_NOT_ALLOWED" } });
    expect(dialled).toBe(0);
  });
});

describe("ZoomEventWsClient allowedHosts", () => {
  it("never dials an event WebSocket URL off the allow-list and does not retry", async () => {
    let tokens = 0;
    const client = new ZoomEventWsClient({
      url: `wss://127.0.0.1:${port}/ws?subscriptionId=s`,
      tokenSource: {
        getToken: async () => {
          tokens++;
          return { accessToken: "t", expiresAtMs: Date.now() + 3_600_000 };
        },
        invalidate: () => {},
      },
      reconnect: { initialDelayMs: 1, maxDelayMs: 1 },
    });
    const errors: ZoomEventWsError[] = [];
    client.on("error", (e) => errors.push(e));
    client.start();
    expect(errors.map((e) => e.code)).toEqual(["URL_NOT_ALLOWED"]);
    expect(errors[0]?.message).not.toContain("subscriptionId");
    await client.close();
    expect(tokens).toBe(0);
    expect(dialled).toBe(0);
    expect(client.stats.reconnects).toBe(0);
  });
});
