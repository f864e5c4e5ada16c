// Timing rules of the event-WebSocket client, driven by a manual clock and an in-memory socket so that
// Zoom's real intervals (30 s heartbeats, 5 s x 2^n backoff, refresh a minute before expiry) are checked
// exactly. The behaviour against a real ws server is covered in test/clients-event-ws.test.ts.
import { EventEmitter } from "node:events";
import { beforeEach, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import type { Clock } from "../session/clock.ts";
import type { TokenSource } from "../zoom-api/token-source.ts";
import { ZoomEventWsClient } from "./client.ts";

class ManualClock implements Clock {
  time = 0;
  #seq = 0;
  timers = new Map<number, { at: number; fn: () => void }>();
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    this.timers.set(++this.#seq, { at: this.time + ms, fn });
    return this.#seq;
  };
  clearTimeout = (handle: unknown) => void this.timers.delete(handle as number);
  async advance(ms: number) {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
      await flush();
    }
    this.time = until;
    await flush();
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** The few members of ws's WebSocket that the client uses. */
class FakeSocket extends EventEmitter {
  static instances: FakeSocket[] = [];
  static onCreate: (socket: FakeSocket) => void = () => {};
  readyState = 0;
  sent: string[] = [];
  constructor(readonly url: string) {
    super();
    FakeSocket.instances.push(this);
    queueMicrotask(() => {
      this.readyState = 1;
      FakeSocket.onCreate(this);
    });
  }
  receive(frame: unknown) {
    this.emit("message", Buffer.from(JSON.stringify(frame)), false);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close(code = 1000) {
    this.#closed(code);
  }
  terminate() {
    this.#closed(1006);
  }
  #closed(code: number) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    queueMicrotask(() => this.emit("close", code, Buffer.from("")));
  }
}

let clock: ManualClock;
let tokens: TokenSource;
let issued: number;

function makeClient() {
  const client = new ZoomEventWsClient({
    url: "wss://ws.zoom.us/ws?subscriptionId=s",
    tokenSource: tokens,
    clock,
    WebSocket: FakeSocket as unknown as typeof WebSocket,
  });
  client.on("error", () => {});
  client.start();
  return client;
}

const accept = (socket: FakeSocket) => socket.receive({ module: "build_connection", success: true });
const refuse = (socket: FakeSocket) => socket.terminate();

beforeEach(() => {
  clock = new ManualClock();
  issued = 0;
  tokens = {
    getToken: async () => ({ accessToken: `t${++issued}`, expiresAtMs: clock.now() + 3_600_000 }),
    invalidate: () => {},
  };
  FakeSocket.instances = [];
  FakeSocket.onCreate = accept;
});

describe("ZoomEventWsClient timing", () => {
  it("backs off 5 s x 2^n capped at 60 s, and starts over after a success", async () => {
    FakeSocket.onCreate = refuse;
    const client = makeClient();
    await flush();
    expect(FakeSocket.instances).toHaveLength(1);
    for (const delay of [5_000, 10_000, 20_000, 40_000, 60_000, 60_000]) {
      const before = FakeSocket.instances.length;
      await clock.advance(delay - 1);
      expect(FakeSocket.instances).toHaveLength(before);
      await clock.advance(1);
      expect(FakeSocket.instances).toHaveLength(before + 1);
    }
    FakeSocket.onCreate = accept;
    await clock.advance(60_000);
    expect(client.connected).toBe(true);
    FakeSocket.onCreate = refuse;
    FakeSocket.instances.at(-1)!.terminate();
    await flush();
    const before = FakeSocket.instances.length;
    await clock.advance(5_000);
    expect(FakeSocket.instances).toHaveLength(before + 1);
    await client.close();
  });

  it("sends a heartbeat every 30 s and reconnects after 75 s of silence", async () => {
    const client = makeClient();
    await flush();
    const socket = FakeSocket.instances[0]!;
    await clock.advance(29_999);
    expect(socket.sent).toEqual([]);
    await clock.advance(1);
    expect(socket.sent).toEqual(['{"module":"heartbeat"}']);
    socket.receive({ module: "heartbeat", success: true });
    await clock.advance(60_000);
    expect(socket.sent).toHaveLength(3);
    expect(FakeSocket.instances).toHaveLength(1);
    // Last sign of life at 30 s: at 120 s the silence exceeds 75 s.
    await clock.advance(30_000);
    expect(socket.readyState).toBe(3);
    await clock.advance(5_000);
    expect(FakeSocket.instances).toHaveLength(2);
    await client.close();
  });

  it("opens a connection with a fresh token one minute before expiry, then closes the old one", async () => {
    const connected: string[] = [];
    const client = makeClient();
    client.on("connected", ({ reason }) => connected.push(reason));
    await flush();
    expect(new URL(FakeSocket.instances[0]!.url).searchParams.get("access_token")).toBe("t1");
    FakeSocket.instances[0]!.receive({ module: "heartbeat" });
    // Keep the first socket alive with replies while the clock runs up to the refresh point.
    for (let t = 0; t < 3_540_000 - 30_000; t += 30_000) {
      await clock.advance(30_000);
      FakeSocket.instances[0]!.receive({ module: "heartbeat" });
    }
    expect(FakeSocket.instances).toHaveLength(1);
    await clock.advance(30_000);
    expect(FakeSocket.instances).toHaveLength(2);
    expect(new URL(FakeSocket.instances[1]!.url).searchParams.get("access_token")).toBe("t2");
    expect(connected).toEqual(["initial", "token_refresh"]);
    expect(FakeSocket.instances[0]!.readyState).toBe(3);
    expect(client.connected).toBe(true);
    await client.close();
  });

  it("keeps the current connection when the fresh-token connection is refused, and tries again 5 s later", async () => {
    const disconnected: unknown[] = [];
    const errors: string[] = [];
    const client = makeClient();
    client.on("disconnected", (d) => disconnected.push(d));
    client.on("error", (e) => errors.push(e.code));
    await flush();
    const first = FakeSocket.instances[0]!;
    FakeSocket.onCreate = (socket) =>
      socket.receive({ module: "build_connection", success: false, content: "invalid token" });
    for (let t = 0; t < 3_540_000; t += 30_000) {
      await clock.advance(30_000);
      first.receive({ module: "heartbeat" });
    }
    expect(FakeSocket.instances).toHaveLength(2);
    expect(errors).toEqual(["BUILD_CONNECTION_FAILED"]);
    expect(first.readyState).toBe(1);
    expect(client.connected).toBe(true);
    FakeSocket.onCreate = accept;
    await clock.advance(5_000);
    expect(FakeSocket.instances).toHaveLength(3);
    expect(first.readyState).toBe(3);
    expect(client.connected).toBe(true);
    expect(disconnected).toEqual([]);
    await client.close();
  });
});
