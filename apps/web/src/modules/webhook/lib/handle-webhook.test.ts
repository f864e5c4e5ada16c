import { createHmac } from "node:crypto";
import { encryptSecret, SecretContext } from "@capture/db";
import { JobQueues } from "@capture/jobs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTeamWithUser,
  createTestDatabase,
  REDIS_URL,
  type TestDatabase,
  testKeyring,
  testRedis,
} from "../../../../test/fixtures.ts";
import { startTcpProxy } from "../../../../test/tcp-proxy.ts";
import {
  handleZoomWebhook,
  SIGNATURE_WINDOW_SEC,
  type WebhookDeps,
  webhookSecretCache,
} from "./handle-webhook.ts";
import { ReplayGuard } from "./replay-guard.ts";

const SECRET = "wh-secret-token";
const NOW = 1_760_000_000_000;
const keyring = testKeyring();
const silent = { info() {}, warn() {}, error() {} };

let t: TestDatabase;
let r: Awaited<ReturnType<typeof testRedis>>;
let queues: JobQueues;
let teamId: string;
let deps: WebhookDeps;

beforeAll(async () => {
  [t, r] = await Promise.all([createTestDatabase("webhook"), testRedis()]);
  queues = JobQueues.producer(REDIS_URL, r.prefix);
  await queues.ready();
  const { team } = await createTeamWithUser(t.db, "OWNER", "wh");
  teamId = team.id;
  await t.db.zoomApp.create({
    data: {
      teamId,
      clientId: "cid",
      clientSecretEnc: encryptSecret(keyring, "csecret", SecretContext.clientSecret),
      webhookSecretTokenEnc: encryptSecret(keyring, SECRET, SecretContext.webhookSecretToken),
    },
  });
  deps = {
    db: t.db,
    keyring,
    queues,
    replay: replayGuard(queues),
    maxBytes: 4096,
    now: () => NOW,
    log: silent,
  };
});
afterAll(async () => {
  await queues?.close();
  await Promise.all([t.drop(), r.close()]);
});

function replayGuard(q: JobQueues) {
  if (!q.producer) throw new Error("producer queues expected");
  return new ReplayGuard(q.producer, { prefix: r.prefix, ttlSec: 2 * SIGNATURE_WINDOW_SEC });
}

/** Producer queues and replay guard that reach Redis through `port` (a proxy, or nothing at all). */
function depsVia(port: number): WebhookDeps {
  const q = JobQueues.producer(`redis://127.0.0.1:${port}`, r.prefix);
  opened.push(q);
  return { ...deps, queues: q, replay: replayGuard(q) };
}
const opened: JobQueues[] = [];
afterAll(async () => {
  await Promise.all(opened.map((q) => q.close()));
});

function signed(body: string, opts: { secret?: string; ts?: number; headers?: Record<string, string> } = {}) {
  const ts = String(opts.ts ?? Math.floor(NOW / 1000));
  const sig = `v0=${createHmac("sha256", opts.secret ?? SECRET)
    .update(`v0:${ts}:${body}`)
    .digest("hex")}`;
  return new Request("http://127.0.0.1/api/zoom/webhook/x", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-zm-request-timestamp": ts,
      "x-zm-signature": sig,
      ...opts.headers,
    },
    body,
  });
}

const started = (streamId: string, eventTs = NOW) =>
  JSON.stringify({
    event: "meeting.rtms_started",
    event_ts: eventTs,
    payload: {
      meeting_uuid: "u==",
      operator_id: "op",
      rtms_stream_id: streamId,
      server_urls: "ws://127.0.0.1:1/s",
    },
  });

const jobCount = async () =>
  (await queues.zoomEvents.getJobCounts("waiting", "delayed", "active")).waiting ?? 0;

describe("Zoom webhook intake (real Postgres and Redis)", () => {
  it("answers url_validation with the HMAC of the plain token", async () => {
    const body = JSON.stringify({
      event: "endpoint.url_validation",
      payload: { plainToken: "plain-123" },
      event_ts: NOW,
    });
    const res = await handleZoomWebhook(deps, signed(body), teamId);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store, no-transform");
    expect(await res.json()).toEqual({
      plainToken: "plain-123",
      encryptedToken: createHmac("sha256", SECRET).update("plain-123").digest("hex"),
    });
    expect(await jobCount()).toBe(0);
  });

  it("enqueues a signed event once, however often Zoom redelivers it", async () => {
    const before = await jobCount();
    for (let i = 0; i < 3; i++) {
      const res = await handleZoomWebhook(deps, signed(started("stream-A")), teamId);
      expect(res.status).toBe(200);
    }
    expect(await jobCount()).toBe(before + 1);
    const [job] = await queues.zoomEvents.getJobs(["waiting"]);
    expect(job?.data).toMatchObject({
      teamId,
      source: "webhook",
      event: "meeting.rtms_started",
      eventTs: NOW,
      payload: { rtms_stream_id: "stream-A" },
    });
    // A different event_ts (a real new start, e.g. failover) is a new job.
    await handleZoomWebhook(deps, signed(started("stream-A", NOW + 5)), teamId);
    expect(await jobCount()).toBe(before + 2);
  });

  it("rejects forged, stale and unsigned requests with 401 and enqueues nothing", async () => {
    const before = await jobCount();
    const forged = await handleZoomWebhook(deps, signed(started("stream-F"), { secret: "guess" }), teamId);
    expect(forged.status).toBe(401);
    const stale = await handleZoomWebhook(
      deps,
      signed(started("stream-F"), { ts: Math.floor(NOW / 1000) - 301 }),
      teamId,
    );
    expect(stale.status).toBe(401);
    const unsigned = await handleZoomWebhook(
      deps,
      new Request("http://x/", { method: "POST", body: started("stream-F") }),
      teamId,
    );
    expect(unsigned.status).toBe(401);
    // The signature covers the raw bytes: re-serialised JSON with the same meaning does not verify.
    const req = signed(started("stream-F"));
    const tampered = new Request(req.url, {
      method: "POST",
      headers: req.headers,
      body: `${started("stream-F")} `,
    });
    expect((await handleZoomWebhook(deps, tampered, teamId)).status).toBe(401);
    expect(await jobCount()).toBe(before);
  });

  it("rejects oversized bodies with 413 and malformed ones with 400", async () => {
    const before = await jobCount();
    const big = JSON.stringify({ event: "meeting.rtms_started", payload: { pad: "x".repeat(5000) } });
    expect((await handleZoomWebhook(deps, signed(big), teamId)).status).toBe(413);
    // No content-length: caught while streaming.
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const chunked = new Request("http://x/", {
      method: "POST",
      headers: signed(big).headers,
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect((await handleZoomWebhook(deps, chunked, teamId)).status).toBe(413);
    expect((await handleZoomWebhook(deps, signed("{not json"), teamId)).status).toBe(400);
    expect((await handleZoomWebhook(deps, signed(JSON.stringify({ payload: {} })), teamId)).status).toBe(400);
    expect(await jobCount()).toBe(before);
  });

  it("answers 404 for a team without a webhook secret or a bad id", async () => {
    const { team } = await createTeamWithUser(t.db, "OWNER", "wh2");
    expect((await handleZoomWebhook(deps, signed(started("s")), team.id)).status).toBe(404);
    expect((await handleZoomWebhook(deps, signed(started("s")), "../etc")).status).toBe(404);
  });
});

describe("webhook intake under hostile input and outages", () => {
  it("takes a rotated secret at once, without waiting out the cache", async () => {
    const { team } = await createTeamWithUser(t.db, "OWNER", "rot");
    await t.db.zoomApp.create({
      data: {
        teamId: team.id,
        clientId: "cid",
        clientSecretEnc: encryptSecret(keyring, "c", SecretContext.clientSecret),
        webhookSecretTokenEnc: encryptSecret(keyring, "old-secret", SecretContext.webhookSecretToken),
      },
    });
    // A cache with a long TTL, allowed to reload on any mismatch (in the portal: once per 2 s per team).
    const rotating = {
      ...deps,
      secrets: webhookSecretCache(t.db, keyring, { ttlMs: 3_600_000, minRefreshMs: 0 }),
    };
    const send = (body: string, secret: string) =>
      handleZoomWebhook(rotating, signed(body, { secret }), team.id);
    expect((await send(started("stream-rot"), "old-secret")).status).toBe(200);
    await t.db.zoomApp.update({
      where: { teamId: team.id },
      data: { webhookSecretTokenEnc: encryptSecret(keyring, "new-secret", SecretContext.webhookSecretToken) },
    });
    expect((await send(started("stream-rot", NOW + 1), "new-secret")).status).toBe(200);
    expect((await send(started("stream-rot", NOW + 2), "old-secret")).status).toBe(401);
    expect((await send(started("stream-rot", NOW + 3), "guess")).status).toBe(401);
  });

  const redisPort = Number(new URL(REDIS_URL).port || 6379);

  it("refuses unsigned junk before reading the body or asking the database", async () => {
    let pulled = 0;
    // highWaterMark 0: the stream is only pulled when someone reads the body.
    const junk = (headers: Record<string, string>) =>
      new Request("http://x/", {
        method: "POST",
        headers,
        body: new ReadableStream(
          {
            pull(c) {
              pulled++;
              c.enqueue(new TextEncoder().encode("{}"));
              c.close();
            },
          },
          { highWaterMark: 0 },
        ),
        duplex: "half",
      } as RequestInit);
    const ts = String(Math.floor(NOW / 1000));
    const cases: Record<string, string>[] = [
      {},
      { "x-zm-request-timestamp": ts },
      { "x-zm-request-timestamp": ts, "x-zm-signature": "v0=nothex" },
      { "x-zm-request-timestamp": "0", "x-zm-signature": `v0=${"a".repeat(64)}` },
    ];
    for (const headers of cases) {
      // A team that does not exist: had the database been asked, the answer would be 404.
      const res = await handleZoomWebhook(deps, junk(headers), "no-such-team");
      expect(res.status).toBe(401);
    }
    expect(pulled).toBe(0);
    // The same body, signed, is read (the counter can move).
    const readable = junk(Object.fromEntries(signed("{}").headers));
    await handleZoomWebhook(deps, readable, "no-such-team");
    expect(pulled).toBe(1);
  });

  it("answers 400 to a signed body nested 5,000 deep, and enqueues nothing", async () => {
    const before = await jobCount();
    const deep = `{"event":"meeting.rtms_started","event_ts":${NOW},"payload":{"x":${"[".repeat(5000)}${"]".repeat(5000)}}}`;
    const res = await handleZoomWebhook({ ...deps, maxBytes: 64 * 1024 }, signed(deep), teamId);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("MALFORMED_BODY");
    // Nesting at the limit is still an event.
    const ok = `{"event":"meeting.custom","event_ts":${NOW},"payload":{"x":${"[".repeat(30)}${"]".repeat(30)}}}`;
    expect((await handleZoomWebhook(deps, signed(ok), teamId)).status).toBe(200);
    expect(await jobCount()).toBe(before + 1);
  });

  it("acts once on a signed body without event_ts however often it is replayed in the window", async () => {
    const before = await jobCount();
    const body = JSON.stringify({
      event: "meeting.rtms_stopped",
      payload: { meeting_uuid: "u==", rtms_stream_id: "stream-R", stop_reason: 6 },
    });
    const answers = [];
    for (let i = 0; i < 4; i++) {
      const later = { ...deps, now: () => NOW + i * 60_000 }; // replays up to 3 minutes later
      answers.push((await handleZoomWebhook(later, signed(body), teamId)).status);
    }
    expect(answers).toEqual([200, 200, 200, 200]);
    expect(await jobCount()).toBe(before + 1);
    const jobs = await queues.zoomEvents.getJobs(["waiting"]);
    expect(jobs.filter((j) => j.data.payload?.rtms_stream_id === "stream-R")).toHaveLength(1);
  });

  it("answers 503 within 3 s when Redis cannot be reached at all", async () => {
    const closed = await startTcpProxy({ host: "127.0.0.1", port: redisPort });
    await closed.close(); // a port nothing listens on
    const down = depsVia(closed.port);
    const t0 = performance.now();
    const res = await handleZoomWebhook(down, signed(started("stream-D1")), teamId);
    expect(res.status).toBe(503);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it("answers 503 within 3 s when Redis goes away after working", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: redisPort });
    const via = depsVia(proxy.port);
    await via.queues.addZoomEvent.call(via.queues, {
      teamId,
      source: "webhook",
      event: "meeting.warmup",
      eventTs: NOW,
      payload: {},
      receivedAt: NOW,
    });
    expect((await handleZoomWebhook(via, signed(started("stream-D2")), teamId)).status).toBe(200);

    await proxy.close();
    const t0 = performance.now();
    const res = await handleZoomWebhook(via, signed(started("stream-D3")), teamId);
    expect(res.status).toBe(503);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it("an event whose enqueue failed is not taken for a replay when it is sent again", async () => {
    const closed = await startTcpProxy({ host: "127.0.0.1", port: redisPort });
    await closed.close();
    // The replay guard reaches Redis; the queues do not.
    const halfDown = { ...deps, queues: depsVia(closed.port).queues };
    const body = JSON.stringify({
      event: "meeting.rtms_interrupted",
      payload: { rtms_stream_id: "stream-H" },
    });
    const req = () => signed(body);
    expect((await handleZoomWebhook(halfDown, req(), teamId)).status).toBe(503);
    const before = await jobCount();
    expect((await handleZoomWebhook(deps, req(), teamId)).status).toBe(200);
    expect(await jobCount()).toBe(before + 1);
  });

  it("answers 503 within 3 s when Redis stops answering on an open connection", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: redisPort });
    const via = depsVia(proxy.port);
    await (via.queues as JobQueues).ready();
    proxy.silence();
    const t0 = performance.now();
    const res = await handleZoomWebhook(via, signed(started("stream-D4")), teamId);
    expect(res.status).toBe(503);
    expect(performance.now() - t0).toBeLessThan(3000);
    // The event was not taken for acted on: sent again once Redis answers, it is enqueued.
    await proxy.close();
    const before = await jobCount();
    expect((await handleZoomWebhook(deps, signed(started("stream-D4")), teamId)).status).toBe(200);
    expect(await jobCount()).toBe(before + 1);
  });
});
