// Webhook endpoint registration against a receiver on 127.0.0.1: the challenge must be answered with the
// right HMAC, URLs outside the rule are refused, secrets rotate (pausing the endpoint), another team's
// endpoint is a 404, and resend enqueues the same delivery again.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  challengeAnswer,
  OUTBOUND_WEBHOOK_QUEUE,
  redisConnection,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifySignature,
} from "@capture/jobs";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEndpoint,
  deleteEndpoint,
  type EndpointDeps,
  listDeliveries,
  resendDelivery,
  rotateSecret,
  validateEndpoint,
} from "../src/modules/outbound-webhooks/lib/endpoints.ts";
import { type Member, resolveMember } from "../src/modules/teams/lib/membership.ts";
import {
  createTeamWithUser,
  createTestDatabase,
  REDIS_URL,
  type TestDatabase,
  testKeyring,
  testRedis,
} from "./fixtures.ts";

let t: TestDatabase;
let r: Awaited<ReturnType<typeof testRedis>>;
let server: Server;
let base: string;
let deps: EndpointDeps;
let ownerA: Member;
let ownerB: Member;
/** The secret the receiver believes in (what an admin pasted after creating the endpoint). */
let receiverSecret = "";
let signatureOk: boolean | undefined;

beforeAll(async () => {
  [t, r] = await Promise.all([createTestDatabase("outbound"), testRedis()]);
  deps = { db: t.db, keyring: testKeyring(), allowHosts: ["127.0.0.1"] };
  const a = await createTeamWithUser(t.db, "OWNER", "oa");
  const b = await createTeamWithUser(t.db, "OWNER", "ob");
  ownerA = (await resolveMember(t.db, a.user.id, a.team.id))!;
  ownerB = (await resolveMember(t.db, b.user.id, b.team.id))!;
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      signatureOk = verifySignature(
        receiverSecret,
        {
          signature: req.headers[SIGNATURE_HEADER] as string,
          timestamp: req.headers[TIMESTAMP_HEADER] as string,
        },
        body,
      );
      const { payload } = JSON.parse(body) as { payload: { plainToken: string } };
      const answer =
        req.url === "/wrong" ? "0".repeat(64) : challengeAnswer(receiverSecret, payload.plainToken);
      res.setHeader("Content-Type", "application/json");
      res.statusCode = req.url === "/down" ? 503 : 200;
      res.end(JSON.stringify({ plainToken: payload.plainToken, encryptedToken: answer }));
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((done) => server?.close(done));
  await r?.close();
  await t?.drop();
});

describe("webhook endpoints", () => {
  it("validates with the challenge, signed with the endpoint's own secret", async () => {
    const { id, secret } = await createEndpoint(deps, ownerA, {
      url: `${base}/hook`,
      events: ["session.ended"],
    });
    expect(secret).toMatch(/^whsec_/);
    const row = await t.db.webhookEndpoint.findUniqueOrThrow({ where: { id } });
    expect(row.validatedAt).toBeNull();
    expect(row.secretEnc).not.toContain(secret);
    receiverSecret = secret;
    await validateEndpoint(deps, ownerA, id);
    expect(signatureOk).toBe(true);
    expect((await t.db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).validatedAt).not.toBeNull();
  });

  it("refuses a wrong answer, an error status and a receiver that knows another secret", async () => {
    const wrong = await createEndpoint(deps, ownerA, { url: `${base}/wrong` });
    receiverSecret = wrong.secret;
    await expect(validateEndpoint(deps, ownerA, wrong.id)).rejects.toMatchObject({ code: "VALIDATION" });
    const down = await createEndpoint(deps, ownerA, { url: `${base}/down` });
    receiverSecret = down.secret;
    await expect(validateEndpoint(deps, ownerA, down.id)).rejects.toThrow(/HTTP 503/);
    const stale = await createEndpoint(deps, ownerA, { url: `${base}/hook` });
    receiverSecret = "whsec_someone_elses";
    await expect(validateEndpoint(deps, ownerA, stale.id)).rejects.toThrow(
      /answer to the challenge is wrong/,
    );
    for (const id of [wrong.id, down.id, stale.id]) {
      expect((await t.db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).validatedAt).toBeNull();
    }
  });

  it("refuses URLs outside the rule: loopback and private unless allowed, http to public hosts", async () => {
    const strict = { ...deps, allowHosts: [] };
    for (const url of [
      "http://127.0.0.1:9/x",
      "https://127.0.0.1/x",
      "https://10.0.0.8/x",
      "https://[::1]/x",
      "ftp://example.com/",
    ]) {
      await expect(createEndpoint(strict, ownerA, { url }), url).rejects.toMatchObject({
        code: "VALIDATION",
      });
    }
  });

  it("rotates the secret: shown once, and the endpoint pauses until validated with it", async () => {
    const { id, secret } = await createEndpoint(deps, ownerA, { url: `${base}/hook` });
    receiverSecret = secret;
    await validateEndpoint(deps, ownerA, id);
    const rotated = await rotateSecret(deps, ownerA, id);
    expect(rotated.secret).not.toBe(secret);
    expect((await t.db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).validatedAt).toBeNull();
    await expect(validateEndpoint(deps, ownerA, id)).rejects.toMatchObject({ code: "VALIDATION" });
    receiverSecret = rotated.secret;
    await validateEndpoint(deps, ownerA, id);
    expect(signatureOk).toBe(true);
  });

  it("another team's endpoint and deliveries are not found; viewers change nothing", async () => {
    const { id } = await createEndpoint(deps, ownerA, { url: `${base}/hook` });
    await expect(rotateSecret(deps, ownerB, id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(listDeliveries(t.db, ownerB.teamId, id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(deleteEndpoint(t.db, ownerB, id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      createEndpoint(deps, { ...ownerA, role: "VIEWER" }, { url: `${base}/hook` }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await deleteEndpoint(t.db, ownerA, id);
    expect(await t.db.webhookEndpoint.count({ where: { id } })).toBe(0);
  });

  it("resend puts the same delivery back on the queue", async () => {
    const { id } = await createEndpoint(deps, ownerA, { url: `${base}/hook` });
    const d = await t.db.webhookDelivery.create({
      data: {
        endpointId: id,
        eventId: "evt_x",
        eventType: "session.started",
        payload: { id: "evt_x" },
        status: "FAILED",
      },
    });
    const queue = new Queue(OUTBOUND_WEBHOOK_QUEUE, {
      connection: redisConnection(REDIS_URL),
      prefix: r.prefix,
    });
    try {
      await expect(resendDelivery({ db: t.db, queue }, ownerB, d.id)).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      await resendDelivery({ db: t.db, queue }, ownerA, d.id);
      const jobs = await queue.getJobs(["waiting", "delayed", "prioritized"]);
      expect(jobs.map((j) => j.data)).toEqual([{ deliveryId: d.id }]);
      expect((await t.db.webhookDelivery.findUniqueOrThrow({ where: { id: d.id } })).status).toBe("PENDING");
      expect((await listDeliveries(t.db, ownerA.teamId, id)).map((x) => x.id)).toEqual([d.id]);
    } finally {
      await queue.close();
    }
  });
});
