// The event-WebSocket client against a real ws server on 127.0.0.1 that behaves like Zoom's
// (build_connection first, heartbeat answered in kind, events as JSON text inside `content`),
// with the OAuth endpoint on the same HTTP server.
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import {
  ZoomEventWsClient,
  type ZoomEventWsClientOptions,
  type ZoomEventWsError,
} from "../src/event-ws/index.ts";
import type { ZoomEvent } from "../src/webhook/index.ts";
import { ClientCredentialsTokenSource, type TokenSource } from "../src/zoom-api/index.ts";

interface ServerConnection {
  ws: WebSocket;
  url: URL;
  token: string | null;
  authorizationHeader?: string;
  heartbeats: string[];
  closeCode?: number;
}

class FakeZoomEventWs {
  http!: Server;
  wss!: WebSocketServer;
  base = "";
  connections: ServerConnection[] = [];
  tokenCount = 0;
  tokenLifetimeSec = 3600;
  issuedTokens = new Set<string>();
  /** Returns the build_connection failure text for a connection to refuse, or undefined to accept. */
  refuse: (conn: ServerConnection, index: number) => string | undefined = (conn) =>
    conn.token && this.issuedTokens.has(conn.token) ? undefined : "token is empty";
  /** When false, build_connection is never sent (a hung server). */
  sendBuildConnection: (index: number) => boolean = () => true;
  answerHeartbeats = true;

  async start() {
    this.http = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (
        req.method === "POST" &&
        url.pathname === "/oauth/token" &&
        url.searchParams.get("grant_type") === "client_credentials"
      ) {
        const token = `ws-token-${++this.tokenCount}`;
        this.issuedTokens.add(token);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ access_token: token, token_type: "bearer", expires_in: this.tokenLifetimeSec }),
        );
        return;
      }
      res.writeHead(400).end();
    });
    this.wss = new WebSocketServer({ server: this.http, path: "/ws" });
    this.wss.on("connection", (ws, req) => {
      const url = new URL(req.url ?? "/", "http://x");
      const conn: ServerConnection = {
        ws,
        url,
        token: url.searchParams.get("access_token"),
        authorizationHeader: req.headers.authorization,
        heartbeats: [],
      };
      const index = this.connections.push(conn) - 1;
      ws.on("close", (code) => {
        conn.closeCode = code;
      });
      ws.on("message", (data) => {
        const text = data.toString();
        if (JSON.parse(text).module === "heartbeat") {
          conn.heartbeats.push(text);
          if (this.answerHeartbeats) ws.send(JSON.stringify({ module: "heartbeat", success: true }));
        }
      });
      if (!this.sendBuildConnection(index)) return;
      const refusal = this.refuse(conn, index);
      if (refusal !== undefined) {
        ws.send(JSON.stringify({ module: "build_connection", success: false, content: refusal }));
        ws.close();
        return;
      }
      ws.send(JSON.stringify({ module: "build_connection", success: true, content: "" }));
    });
    this.http.listen(0, "127.0.0.1");
    await once(this.http, "listening");
    this.base = `127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  get wsUrl() {
    return `ws://${this.base}/ws?subscriptionId=sub-123`;
  }

  open() {
    return this.connections.filter((c) => c.ws.readyState === 1);
  }

  /** Sends a Zoom event the way Zoom does: JSON text inside `content`. */
  push(event: unknown) {
    for (const c of this.open())
      c.ws.send(JSON.stringify({ module: "message", content: JSON.stringify(event) }));
  }

  async stop() {
    for (const client of this.wss.clients) client.terminate();
    await new Promise((resolve) => this.wss.close(resolve));
    this.http.closeAllConnections();
    await new Promise((resolve) => this.http.close(resolve));
  }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000) {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const rtmsStarted = (streamId: string) => ({
  event: "meeting.rtms_started",
  event_ts: 1732406400000,
  payload: {
    meeting_uuid: "m==",
    operator_id: "op",
    rtms_stream_id: streamId,
    server_urls: "wss://signal.example/ws",
  },
});

let zoom: FakeZoomEventWs;
let client: ZoomEventWsClient | undefined;
let events: ZoomEvent[];
let errors: ZoomEventWsError[];
let connected: string[];
let disconnected: { code: number; willReconnect: boolean }[];

function startClient(options: Partial<ZoomEventWsClientOptions> = {}) {
  const tokenSource =
    options.tokenSource ??
    new ClientCredentialsTokenSource({
      oauthBase: `http://${zoom.base}`,
      clientId: "app",
      clientSecret: "secret",
    });
  client = new ZoomEventWsClient({
    url: zoom.wsUrl,
    allowedHosts: ["127.0.0.1"],
    heartbeatMs: 40,
    // Generous by default so a stalled test process (a loaded CI box) is not read as a dead server; the
    // tests of those timeouts set them short.
    deadAfterMs: 5_000,
    connectTimeoutMs: 5_000,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    ...options,
    tokenSource,
  });
  client.on("event", (e) => events.push(e));
  client.on("error", (e) => errors.push(e));
  client.on("connected", ({ reason }) => connected.push(reason));
  client.on("disconnected", ({ code, willReconnect }) => disconnected.push({ code, willReconnect }));
  client.start();
  return client;
}

beforeEach(async () => {
  zoom = new FakeZoomEventWs();
  await zoom.start();
  events = [];
  errors = [];
  connected = [];
  disconnected = [];
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  await zoom.stop();
});

describe("ZoomEventWsClient", () => {
  it("connects with the token in the query string and emits events parsed out of `content`", async () => {
    startClient();
    await waitFor(() => connected.length === 1, "connected");
    expect(connected).toEqual(["initial"]);
    const [conn] = zoom.connections;
    expect(conn!.token).toBe("ws-token-1");
    expect(conn!.url.searchParams.get("subscriptionId")).toBe("sub-123");
    expect(conn!.authorizationHeader).toBeUndefined();
    expect(client!.connected).toBe(true);

    zoom.push(rtmsStarted("stream-1"));
    await waitFor(() => events.length === 1, "event");
    expect(events[0]).toMatchObject({
      kind: "rtms_started",
      eventTs: 1732406400000,
      payload: { rtmsStreamId: "stream-1", meetingUuid: "m==", serverUrls: "wss://signal.example/ws" },
    });
  });

  it('sends {"module":"heartbeat"} every heartbeatMs', async () => {
    startClient();
    await waitFor(() => (zoom.connections[0]?.heartbeats.length ?? 0) >= 3, "three heartbeats");
    expect(new Set(zoom.connections[0]!.heartbeats)).toEqual(new Set(['{"module":"heartbeat"}']));
    expect(client!.stats.heartbeatsSent).toBeGreaterThanOrEqual(3);
    expect(errors).toEqual([]);
  });

  it("reports a refused build_connection, drops the token and reconnects with a new one", async () => {
    zoom.refuse = (_conn, index) => (index < 2 ? "token is empty" : undefined);
    startClient();
    await waitFor(() => connected.length === 1, "connected after two refusals");
    expect(connected).toEqual(["reconnect"]);
    expect(errors.map((e) => e.code)).toEqual(["BUILD_CONNECTION_FAILED", "BUILD_CONNECTION_FAILED"]);
    expect(errors[0]!.message).toContain("token is empty");
    expect(zoom.connections.map((c) => c.token)).toEqual(["ws-token-1", "ws-token-2", "ws-token-3"]);
    expect(disconnected).toEqual([]);
  });

  it("counts malformed frames and invalid events, and keeps going", async () => {
    startClient();
    await waitFor(() => connected.length === 1, "connected");
    client!.once("event", () => {
      throw new Error("a listener bug");
    });
    const ws = zoom.connections[0]!.ws;
    ws.send("not json at all");
    ws.send("[1,2]");
    ws.send(JSON.stringify({ module: "message", content: "{broken json" }));
    ws.send(
      JSON.stringify({
        module: "message",
        content: JSON.stringify({ event: "meeting.rtms_started", event_ts: 1, payload: {} }),
      }),
    );
    ws.send(JSON.stringify({ module: "something_new", content: "x" }));
    zoom.push(rtmsStarted("thrown-at"));
    // JSON in a binary frame is decoded too.
    ws.send(
      Buffer.from(JSON.stringify({ module: "message", content: JSON.stringify(rtmsStarted("binary")) })),
      { binary: true },
    );
    await waitFor(() => events.length === 2, "two events");
    expect(events.map((e) => (e.kind === "rtms_started" ? e.payload.rtmsStreamId : e.kind))).toEqual([
      "thrown-at",
      "binary",
    ]);
    expect(client!.stats).toMatchObject({ malformedFrames: 2, invalidEvents: 2, events: 2 });
    expect(client!.connected).toBe(true);
    expect(zoom.connections).toHaveLength(1);
  });

  it("reconnects with backoff after the server drops it, and reports the gap", async () => {
    startClient();
    await waitFor(() => connected.length === 1, "connected");
    zoom.connections[0]!.ws.terminate();
    await waitFor(() => connected.length === 2, "reconnected");
    expect(connected).toEqual(["initial", "reconnect"]);
    expect(disconnected).toEqual([{ code: 1006, willReconnect: true }]);
    zoom.push(rtmsStarted("after-reconnect"));
    await waitFor(() => events.length === 1, "event after reconnect");
    expect(client!.stats.reconnects).toBe(1);
  });

  it("declares a silent connection dead and reconnects", async () => {
    zoom.answerHeartbeats = false;
    startClient({ deadAfterMs: 100 });
    await waitFor(() => connected.length === 2, "reconnected after heartbeat timeout");
    expect(errors.map((e) => e.code)).toContain("HEARTBEAT_TIMEOUT");
    expect(zoom.connections[0]!.ws.readyState).toBeGreaterThanOrEqual(2);
  });

  it("gives up on a server that never sends build_connection, then retries", async () => {
    zoom.sendBuildConnection = (index) => index > 0;
    startClient({ connectTimeoutMs: 80 });
    await waitFor(() => connected.length === 1, "connected on the second try");
    expect(errors.map((e) => e.code)).toEqual(["CONNECT_TIMEOUT"]);
    expect(zoom.connections).toHaveLength(2);
  });

  it("moves to a fresh token before expiry without losing the connection", async () => {
    zoom.tokenLifetimeSec = 0.4; // refresh at half the lifetime: ~200 ms
    startClient();
    await waitFor(() => connected.length === 1, "connected");
    zoom.tokenLifetimeSec = 3600;
    await waitFor(() => connected.length === 2, "connected with the fresh token");
    expect(connected).toEqual(["initial", "token_refresh"]);
    expect(zoom.connections.map((c) => c.token)).toEqual(["ws-token-1", "ws-token-2"]);
    await waitFor(() => zoom.connections[0]!.closeCode !== undefined, "old connection closed");
    expect(zoom.connections[0]!.closeCode).toBe(1000);
    expect(disconnected).toEqual([]);
    zoom.push(rtmsStarted("on-new-token"));
    await waitFor(() => events.length === 1, "event on the new connection");
    expect(errors).toEqual([]);
  });

  it("retries when no token can be obtained", async () => {
    let calls = 0;
    const inner = new ClientCredentialsTokenSource({
      oauthBase: `http://${zoom.base}`,
      clientId: "app",
      clientSecret: "secret",
    });
    const flaky: TokenSource = {
      getToken: () => (++calls === 1 ? Promise.reject(new Error("oauth down")) : inner.getToken()),
      invalidate: (t) => inner.invalidate(t),
    };
    startClient({ tokenSource: flaky });
    await waitFor(() => connected.length === 1, "connected after a token failure");
    expect(errors.map((e) => e.code)).toEqual(["TOKEN_FAILED"]);
    expect(connected).toEqual(["reconnect"]);
  });

  it("close() is idempotent and stops reconnecting", async () => {
    const c = startClient();
    await waitFor(() => connected.length === 1, "connected");
    await Promise.all([c.close(), c.close()]);
    await c.close();
    expect(disconnected).toEqual([{ code: 1000, willReconnect: false }]);
    await waitFor(() => zoom.connections[0]!.closeCode !== undefined, "server saw the close");
    expect(zoom.connections[0]!.closeCode).toBe(1000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(zoom.connections).toHaveLength(1);
    expect(c.connected).toBe(false);
  });

  it("rejects a URL that is not ws:// or wss://", () => {
    const tokenSource: TokenSource = {
      getToken: async () => ({ accessToken: "t", expiresAtMs: 0 }),
      invalidate: () => {},
    };
    expect(() => new ZoomEventWsClient({ url: "https://ws.zoom.us/ws", tokenSource })).toThrow(/ws:\/\//);
  });
});
