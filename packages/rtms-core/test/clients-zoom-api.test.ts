// The REST client against a real HTTP server on 127.0.0.1 that answers the way Zoom does.
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Logger } from "../src/logger.ts";
import { ClientCredentialsTokenSource, ZoomApiClient, ZoomApiError } from "../src/zoom-api/index.ts";

interface Recorded {
  method: string;
  url: URL;
  headers: IncomingMessage["headers"];
  body: string;
}
type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
type Handler = (req: Recorded) => Reply;

class FakeZoom {
  readonly requests: Recorded[] = [];
  server!: Server;
  base = "";
  tokenCount = 0;
  tokenLifetimeSec = 3600;
  /** Tokens the API accepts; the test may revoke one. */
  validTokens = new Set<string>();
  api: Handler = () => ({ status: 404, body: { code: 1001, message: "no route" } });
  oauth?: Handler;

  async start() {
    this.server = createServer((req, res) => void this.#handle(req, res));
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  paths(prefix: string) {
    return this.requests.filter((r) => r.url.pathname.startsWith(prefix));
  }

  async #handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rec: Recorded = {
      method: req.method ?? "",
      url: new URL(req.url ?? "/", this.base),
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    this.requests.push(rec);
    let reply: Reply;
    if (rec.url.pathname === "/oauth/token") {
      reply = this.oauth?.(rec) ?? this.#token();
    } else {
      const bearer = rec.headers.authorization?.replace(/^Bearer /, "") ?? "";
      reply = this.validTokens.has(bearer)
        ? this.api(rec)
        : { status: 401, body: { code: 124, message: "Invalid access token." } };
    }
    res.writeHead(reply.status, {
      ...(reply.body === undefined ? {} : { "content-type": "application/json" }),
      ...reply.headers,
    });
    res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
  }

  #token(): Reply {
    this.tokenCount++;
    const token = `token-${this.tokenCount}`;
    this.validTokens.add(token);
    return {
      status: 200,
      body: {
        access_token: token,
        token_type: "bearer",
        expires_in: this.tokenLifetimeSec,
        scope: "room:write:admin",
      },
    };
  }
}

let zoom: FakeZoom;
let now: number;
let sleeps: number[];

function client(overrides: Partial<ConstructorParameters<typeof ZoomApiClient>[0]> = {}) {
  return new ZoomApiClient({
    oauthBase: zoom.base,
    apiBase: zoom.base,
    accountId: "acct-1",
    clientId: "s2s-client",
    clientSecret: "s2s-secret",
    clock: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
}

beforeEach(async () => {
  zoom = new FakeZoom();
  await zoom.start();
  now = 1_700_000_000_000;
  sleeps = [];
});
afterEach(async () => {
  await zoom.stop();
});

const room = (i: number) => ({
  id: `rid-${i}`,
  room_id: `zr-${i}`,
  name: `Room ${i}`,
  location_id: "loc",
  status: "Available",
});

describe("S2S token", () => {
  it("posts the grant in the query string with Basic auth and no body, and caches the token", async () => {
    zoom.api = () => ({ status: 200, body: { page_size: 300, next_page_token: "", rooms: [] } });
    const api = client();
    await api.listRooms();
    await api.listRooms();
    const tokenRequests = zoom.paths("/oauth/token");
    expect(tokenRequests).toHaveLength(1);
    const [req] = tokenRequests;
    expect(req!.method).toBe("POST");
    expect(req!.url.searchParams.get("grant_type")).toBe("account_credentials");
    expect(req!.url.searchParams.get("account_id")).toBe("acct-1");
    expect(req!.headers.authorization).toBe(
      `Basic ${Buffer.from("s2s-client:s2s-secret").toString("base64")}`,
    );
    expect(req!.body).toBe("");
    expect(zoom.paths("/v2/rooms").map((r) => r.headers.authorization)).toEqual([
      "Bearer token-1",
      "Bearer token-1",
    ]);
  });

  it("shares one token request among concurrent callers", async () => {
    zoom.api = () => ({ status: 200, body: { rooms: [] } });
    const api = client();
    await Promise.all([
      api.listRooms(),
      api.listRooms(),
      api.listRooms(),
      api.leaveRoom("x").catch(() => null),
    ]);
    expect(zoom.tokenCount).toBe(1);
  });

  it("refreshes a minute before expiry, not earlier", async () => {
    zoom.api = () => ({ status: 200, body: { rooms: [] } });
    const api = client();
    await api.listRooms();
    now += (3600 - 61) * 1000;
    await api.listRooms();
    expect(zoom.tokenCount).toBe(1);
    now += 2000;
    await api.listRooms();
    expect(zoom.tokenCount).toBe(2);
    expect(zoom.paths("/v2/rooms").at(-1)!.headers.authorization).toBe("Bearer token-2");
  });

  it("on 401 code 124 drops the token and retries once with a fresh one", async () => {
    zoom.api = () => ({ status: 202 });
    const api = client();
    await api.leaveRoom("r1");
    zoom.validTokens.delete("token-1"); // revoked by Zoom before its expiry
    await expect(api.leaveRoom("r1", { retries: 0 })).resolves.toEqual({ accepted: true });
    expect(zoom.tokenCount).toBe(2);
  });

  it("gives up with ZOOM_AUTH_FAILED when the fresh token is refused too", async () => {
    zoom.validTokens = new Set();
    zoom.oauth = () => {
      zoom.tokenCount++;
      return { status: 200, body: { access_token: `never-valid-${zoom.tokenCount}`, expires_in: 3600 } };
    };
    const error = await client()
      .leaveRoom("r1")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZoomApiError);
    expect(error).toMatchObject({
      code: "ZOOM_AUTH_FAILED",
      status: 401,
      zoomCode: 124,
      zoomMessage: "Invalid access token.",
    });
    expect(zoom.tokenCount).toBe(2);
  });

  it("reports invalid credentials as ZOOM_AUTH_FAILED with Zoom's reason, without retrying", async () => {
    zoom.oauth = () => ({
      status: 400,
      body: { reason: "Invalid client_id or client_secret", error: "invalid_client" },
    });
    const error = await client()
      .listRooms()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "ZOOM_AUTH_FAILED",
      status: 400,
      zoomMessage: "Invalid client_id or client_secret",
    });
    expect(zoom.paths("/oauth/token")).toHaveLength(1);
  });

  it("never logs tokens or secrets", async () => {
    const lines: string[] = [];
    const record = (...args: unknown[]) => lines.push(JSON.stringify(args));
    const logger: Logger = {
      trace: record,
      debug: record,
      info: record,
      warn: record,
      error: record,
      child: () => logger,
    };
    zoom.api = (req) =>
      req.method === "GET" ? { status: 429, body: { code: 429, message: "slow down" } } : { status: 202 };
    const api = client({ logger });
    await api.listRooms().catch(() => null);
    await api.joinRoom("r1", { meetingNumber: "123", passcode: "pw-secret" });
    expect(lines.length).toBeGreaterThan(3);
    const all = lines.join("\n");
    for (const secret of [
      "token-1",
      "s2s-secret",
      "pw-secret",
      Buffer.from("s2s-client:s2s-secret").toString("base64"),
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});

describe("ClientCredentialsTokenSource", () => {
  it("uses grant_type=client_credentials with Basic auth and caches", async () => {
    const source = new ClientCredentialsTokenSource({
      oauthBase: zoom.base,
      clientId: "app",
      clientSecret: "sec",
      clock: () => now,
    });
    const [a, b] = await Promise.all([source.getToken(), source.getToken()]);
    expect(a).toEqual(b);
    expect(a.expiresAtMs).toBe(now + 3600_000);
    const [req] = zoom.paths("/oauth/token");
    expect(req!.url.searchParams.get("grant_type")).toBe("client_credentials");
    expect(req!.url.searchParams.has("account_id")).toBe(false);
    expect(req!.headers.authorization).toBe(`Basic ${Buffer.from("app:sec").toString("base64")}`);
    source.invalidate("some-other-token");
    await source.getToken();
    expect(zoom.tokenCount).toBe(1);
    source.invalidate(a.accessToken);
    expect((await source.getToken()).accessToken).toBe("token-2");
  });
});

describe("listRooms", () => {
  it("follows next_page_token through every page with page_size 300 and the status filter", async () => {
    const pages: Record<string, { next: string; rooms: ReturnType<typeof room>[] }> = {
      "": { next: "p2", rooms: [room(1), room(2)] },
      p2: { next: "p3", rooms: [room(3)] },
      p3: { next: "", rooms: [room(4)] },
    };
    zoom.api = (req) => {
      const page = pages[req.url.searchParams.get("next_page_token") ?? ""]!;
      return { status: 200, body: { page_size: 300, next_page_token: page.next, rooms: page.rooms } };
    };
    const rooms = await client().listRooms({ status: "Available" });
    expect(rooms.map((r) => r.id)).toEqual(["rid-1", "rid-2", "rid-3", "rid-4"]);
    expect(rooms[0]).toEqual({
      id: "rid-1",
      roomId: "zr-1",
      name: "Room 1",
      locationId: "loc",
      status: "Available",
    });
    const requests = zoom.paths("/v2/rooms");
    expect(requests.map((r) => r.url.searchParams.get("next_page_token"))).toEqual([null, "p2", "p3"]);
    for (const r of requests) {
      expect(r.url.searchParams.get("page_size")).toBe("300");
      expect(r.url.searchParams.get("status")).toBe("Available");
    }
  });

  it("tolerates empty or odd informational fields but requires id and name", async () => {
    zoom.api = () => ({
      status: 200,
      body: {
        rooms: [
          { id: "a", name: "A", location_id: "", room_id: null, status: 3 },
          { id: 7, name: "B" },
        ],
      },
    });
    expect(await client().listRooms()).toEqual([
      { id: "a", name: "A", roomId: undefined, locationId: undefined, status: "3" },
      { id: "7", name: "B", roomId: undefined, locationId: undefined, status: undefined },
    ]);
  });

  it("stops on a repeated page token instead of looping forever", async () => {
    zoom.api = () => ({ status: 200, body: { next_page_token: "same", rooms: [room(1)] } });
    await expect(client().listRooms()).rejects.toMatchObject({ code: "ZOOM_BAD_RESPONSE" });
  });

  it("rejects a body that is not a rooms page as ZOOM_BAD_RESPONSE", async () => {
    zoom.api = () => ({ status: 200, body: { rooms: [{ name: "no id" }] } });
    await expect(client().listRooms()).rejects.toMatchObject({ code: "ZOOM_BAD_RESPONSE", status: 200 });
  });
});

describe("room control", () => {
  it("joins with the documented PATCH body and treats 202 as accepted", async () => {
    zoom.api = () => ({ status: 202 });
    const result = await client().joinRoom("rid/1", {
      meetingNumber: 123456789,
      passcode: "abc",
      forceAccept: true,
    });
    expect(result).toEqual({ accepted: true });
    const [req] = zoom.paths("/v2/rooms/");
    expect(req!.method).toBe("PATCH");
    expect(req!.url.pathname).toBe("/v2/rooms/rid%2F1/events");
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(req!.body)).toEqual({
      method: "zoomroom.meeting_join",
      params: { meeting_number: "123456789", passcode: "abc", force_accept: true },
    });
  });

  it("leaves with an empty params object", async () => {
    zoom.api = () => ({ status: 202 });
    await client().leaveRoom("rid-1");
    expect(JSON.parse(zoom.paths("/v2/rooms/")[0]!.body)).toEqual({
      method: "zoomroom.meeting_leave",
      params: {},
    });
  });

  it("maps 400 code 300 to ZOOM_BAD_REQUEST without retrying", async () => {
    zoom.api = () => ({ status: 400, body: { code: 300, message: "The Zoom Room is offline." } });
    const error = await client()
      .joinRoom("rid-1", { meetingNumber: "1" })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "ZOOM_BAD_REQUEST",
      status: 400,
      zoomCode: 300,
      zoomMessage: "The Zoom Room is offline.",
    });
    expect((error as ZoomApiError).retryable).toBe(false);
    expect(zoom.paths("/v2/rooms/")).toHaveLength(1);
  });

  it("maps 404 code 1012 to ZOOM_NOT_FOUND", async () => {
    zoom.api = () => ({ status: 404, body: { code: 1012, message: "Room does not exist: rid-9." } });
    await expect(client().leaveRoom("rid-9")).rejects.toMatchObject({
      code: "ZOOM_NOT_FOUND",
      zoomCode: 1012,
    });
  });

  it("does not take another 2xx for the 202 that means accepted", async () => {
    zoom.api = () => ({ status: 200, body: {} });
    await expect(client().leaveRoom("rid-1")).rejects.toMatchObject({
      code: "ZOOM_BAD_RESPONSE",
      status: 200,
    });
  });

  it("sets RTMS status with the app's client id, double-encoding a UUID with //", async () => {
    zoom.api = () => ({ status: 202 });
    await client().setRtmsStatus("/ab//c==", "start", { clientId: "rtms-app" });
    const [req] = zoom.paths("/v2/live_meetings/");
    expect(req!.url.pathname).toBe(
      `/v2/live_meetings/${encodeURIComponent(encodeURIComponent("/ab//c=="))}/rtms_app/status`,
    );
    expect(JSON.parse(req!.body)).toEqual({ action: "start", settings: { client_id: "rtms-app" } });
  });
});

describe("retries", () => {
  const rateLimited = (headers?: Record<string, string>): Reply => ({
    status: 429,
    body: {
      code: 429,
      message: "You have reached the maximum per-second rate limit for this API. Try again later.",
    },
    headers,
  });

  it("honours Retry-After seconds on a 429 burst", async () => {
    let calls = 0;
    zoom.api = () => (++calls <= 2 ? rateLimited({ "retry-after": "2" }) : { status: 202 });
    await expect(client().leaveRoom("r")).resolves.toEqual({ accepted: true });
    expect(sleeps).toEqual([2000, 2000]);
  });

  it("backs off exponentially with jitter when Retry-After is absent", async () => {
    let calls = 0;
    zoom.api = () => (++calls <= 3 ? rateLimited() : { status: 202 });
    await client().leaveRoom("r");
    // random() = 0.5 -> 3/4 of 1 s, 2 s, 4 s.
    expect(sleeps).toEqual([750, 1500, 3000]);
  });

  it("gives up after maxRetries with the 429 and its Retry-After", async () => {
    zoom.api = () => rateLimited({ "retry-after": "1" });
    const error = await client({ maxRetries: 2 })
      .leaveRoom("r")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "ZOOM_RATE_LIMITED",
      status: 429,
      zoomCode: 429,
      retryAfterMs: 1000,
    });
    expect(zoom.paths("/v2/rooms/")).toHaveLength(3);
  });

  it("makes exactly one attempt with { retries: 0 } so a queue can do its own backoff", async () => {
    zoom.api = () => rateLimited({ "retry-after": "7" });
    const error = await client()
      .leaveRoom("r", { retries: 0 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ZOOM_RATE_LIMITED", retryAfterMs: 7000 });
    expect((error as ZoomApiError).retryable).toBe(true);
    expect(zoom.paths("/v2/rooms/")).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("throws instead of sleeping through a Retry-After longer than maxRetryAfterMs", async () => {
    zoom.api = () => rateLimited({ "retry-after": "3600" });
    await expect(client().leaveRoom("r")).rejects.toMatchObject({
      code: "ZOOM_RATE_LIMITED",
      retryAfterMs: 3_600_000,
    });
    expect(sleeps).toEqual([]);
  });

  it("retries 5xx (JSON or not) and reports ZOOM_SERVER_ERROR when it persists", async () => {
    let calls = 0;
    zoom.api = () =>
      ++calls === 1 ? { status: 503 } : { status: 500, body: { code: 500, message: "Internal" } };
    const error = await client({ maxRetries: 2 })
      .listRooms()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ZOOM_SERVER_ERROR", status: 500, zoomCode: 500 });
    expect(calls).toBe(3);
    calls = 0;
    zoom.api = () => (++calls === 1 ? { status: 502 } : { status: 200, body: { rooms: [room(1)] } });
    await expect(client().listRooms()).resolves.toHaveLength(1);
  });

  it("reports an unreachable server as ZOOM_NETWORK", async () => {
    const base = zoom.base;
    await zoom.stop();
    const api = client({ oauthBase: base, apiBase: base });
    const error = await api.listRooms({}, { retries: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ZOOM_NETWORK" });
    expect(sleeps).toHaveLength(1);
    zoom = new FakeZoom();
    await zoom.start();
  });
});
