import { createHmac } from "node:crypto";
import { encryptSecret, SecretContext } from "@capture/db";
import { JobQueues, redisConnection } from "@capture/jobs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTeamWithUser,
  createTestDatabase,
  REDIS_URL,
  type TestDatabase,
  testKeyring,
  testRedis,
} from "../../../../test/fixtures.ts";
import { handleZoomWebhook, type WebhookDeps } from "./handle-webhook.ts";

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
  queues = new JobQueues(redisConnection(REDIS_URL), r.prefix);
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
  deps = { db: t.db, keyring, queues, maxBytes: 4096, now: () => NOW, log: silent };
});
afterAll(async () => {
  await queues?.close();
  await Promise.all([t.drop(), r.close()]);
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
    const chunked = new Request("http://x/", { method: "POST", body: stream, duplex: "half" } as RequestInit);
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
