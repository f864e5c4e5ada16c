// Outbound webhooks end to end against real Postgres and Redis and a receiver on 127.0.0.1: session rows
// become signed session.started / session.ended deliveries (ended with final counts and coverage),
// scans never duplicate, a failing endpoint is retried with growing delays and then disabled, and a
// resent delivery carries the same event id.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { encryptSecret, generateKeySpec, parseKeyring } from "@capture/db";
import { createTestDatabase, type TestDatabase } from "@capture/db/testing";
import {
  EVENT_ID_HEADER,
  redisConnection,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyFrameUrl,
  verifySignature,
} from "@capture/jobs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";
import { ENDPOINT_SECRET_CONTEXT } from "../src/outbound/deliver.ts";
import { deliveryJobOptions, startOutboundWebhooks } from "../src/outbound/index.ts";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const keyring = parseKeyring(generateKeySpec("t1"));
const log = createLogger("silent");

interface Received {
  at: number;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

let t: TestDatabase;
let server: Server;
let base: string;
const received: Received[] = [];
const waiters: (() => void)[] = [];
let failPaths = new Set<string>();

/** Resolves once pred holds; looked at again after each received request and every 50 ms. */
async function until(
  pred: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((r) => {
      const timer = setTimeout(r, 50);
      waiters.push(() => {
        clearTimeout(timer);
        r();
      });
    });
  }
}

beforeAll(async () => {
  t = await createTestDatabase("outbound");
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ at: Date.now(), path: req.url ?? "", headers: req.headers, body });
      res.statusCode = failPaths.has(req.url ?? "") ? 500 : 200;
      res.end(res.statusCode === 200 ? "ok" : "receiver broke");
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await t?.drop();
});

async function teamWithEndpoint(path: string, events: string[] = []) {
  const team = await t.db.team.create({
    data: { name: "Hooks", slug: `hooks-${randomBytes(3).toString("hex")}` },
  });
  const secret = `whsec_${randomBytes(8).toString("hex")}`;
  const endpoint = await t.db.webhookEndpoint.create({
    data: {
      teamId: team.id,
      url: `${base}${path}`,
      events,
      secretEnc: encryptSecret(keyring, secret, ENDPOINT_SECRET_CONTEXT),
      validatedAt: new Date(Date.now() - 60_000),
    },
  });
  return { team, endpoint, secret };
}

function start(overrides: Partial<Parameters<typeof startOutboundWebhooks>[0]["config"]> = {}) {
  return startOutboundWebhooks({
    db: t.db,
    keyring,
    connection: redisConnection(REDIS_URL),
    prefix: `test-out-${randomBytes(4).toString("hex")}`,
    log,
    config: {
      allowHosts: ["127.0.0.1"],
      attempts: 5,
      backoffMs: 100,
      disableAfter: 50,
      timeoutMs: 5000,
      scanMs: 0,
      lookbackMs: 15 * 60_000,
      concurrency: 4,
      ...overrides,
    },
  });
}

describe("session events", () => {
  it("delivers signed session.started and session.ended with counts and coverage, once each", async () => {
    const { team, secret } = await teamWithEndpoint("/ok");
    const out = start();
    try {
      const session = await t.db.captureSession.create({
        data: {
          teamId: team.id,
          rtmsStreamId: `s-${randomBytes(4).toString("hex")}`,
          meetingUuid: "u==",
          serverUrls: "ws://127.0.0.1:1",
          state: "ACTIVE",
          captureMode: "EVERYONE",
        },
      });
      await out.scan();
      await until(
        () => received.some((r) => r.path === "/ok" && r.body.includes(session.id)),
        "session.started",
      );
      // Three participants: camera on with frames, camera on without, camera never on.
      await t.db.participant.createMany({
        data: [
          { sessionId: session.id, zoomUserId: "1", name: "A", firstVideoOnAt: new Date(), frameCount: 4 },
          { sessionId: session.id, zoomUserId: "2", name: "B", firstVideoOnAt: new Date(), frameCount: 0 },
          { sessionId: session.id, zoomUserId: "3", name: "C", frameCount: 0 },
        ],
      });
      await t.db.captureSession.update({
        where: { id: session.id },
        data: { state: "STOPPED", endedAt: new Date() },
      });
      await out.scan();
      await out.scan(); // a second scan finds nothing new
      const mine = () => received.filter((r) => r.path === "/ok" && r.body.includes(session.id));
      await until(() => mine().length >= 2, "session.ended");
      await out.scan();
      const events = mine().map((r) => ({ r, json: JSON.parse(r.body) }));
      expect(events.map((e) => e.json.type).sort()).toEqual(["session.ended", "session.started"]);
      for (const { r, json } of events) {
        expect(
          verifySignature(
            secret,
            {
              signature: r.headers[SIGNATURE_HEADER] as string,
              timestamp: r.headers[TIMESTAMP_HEADER] as string,
            },
            r.body,
          ),
        ).toBe(true);
        expect(
          verifySignature(
            "whsec_wrong",
            {
              signature: r.headers[SIGNATURE_HEADER] as string,
              timestamp: r.headers[TIMESTAMP_HEADER] as string,
            },
            r.body,
          ),
        ).toBe(false);
        expect(r.headers[EVENT_ID_HEADER]).toBe(json.id);
      }
      expect(new Set(events.map((e) => e.json.id)).size).toBe(2);
      const ended = events.find((e) => e.json.type === "session.ended")!.json;
      expect(ended.data.session).toMatchObject({
        id: session.id,
        state: "STOPPED",
        captureMode: "EVERYONE",
        counts: { participants: 3, frames: 4 },
        coverage: { covered: 1, cameraOn: 2, ratio: 0.5 },
      });
      const sessionRows = () =>
        t.db.webhookDelivery.findMany({
          where: { payload: { path: ["data", "session", "id"], equals: session.id } },
        });
      // The receiver answers before the worker records the answer: wait for the rows.
      await until(async () => (await sessionRows()).every((d) => d.status === "SUCCEEDED"), "rows recorded");
      const rows = await sessionRows();
      expect(rows).toHaveLength(2);
      expect(
        rows.every((d) => d.status === "SUCCEEDED" && d.responseStatus === 200 && d.latencyMs !== null),
      ).toBe(true);
    } finally {
      await out.close();
    }
  });

  it("a failing endpoint is retried with growing delays, then disabled", async () => {
    failPaths = new Set(["/fail"]);
    const { team, endpoint } = await teamWithEndpoint("/fail", ["session.started"]);
    const out = start({ attempts: 10, backoffMs: 100, disableAfter: 4 });
    try {
      await t.db.captureSession.create({
        data: {
          teamId: team.id,
          rtmsStreamId: `f-${randomBytes(4).toString("hex")}`,
          meetingUuid: "u==",
          serverUrls: "ws://x",
        },
      });
      await out.scan();
      await until(
        async () =>
          (await t.db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).status ===
          "DISABLED",
        "disable",
      );
      await until(
        async () =>
          (await t.db.webhookDelivery.findFirst({ where: { endpointId: endpoint.id } }))?.status === "FAILED",
        "delivery marked failed",
      );
      const hits = received.filter((r) => r.path === "/fail");
      expect(hits).toHaveLength(4);
      expect(new Set(hits.map((h) => h.headers[EVENT_ID_HEADER])).size).toBe(1);
      // Exponential backoff (100, 200, 400 ms nominal): the third wait is four times the first, an
      // order that scheduling noise on a busy machine does not reverse.
      const gaps = hits.slice(1).map((h, i) => h.at - hits[i]!.at);
      expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
      const ep = await t.db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
      expect(ep.disabledReason).toContain("4 failed attempts");
      const d = await t.db.webhookDelivery.findFirstOrThrow({ where: { endpointId: endpoint.id } });
      expect(d).toMatchObject({
        status: "FAILED",
        attempts: 4,
        responseStatus: 500,
        responseExcerpt: "receiver broke",
      });
    } finally {
      await out.close();
      failPaths = new Set();
    }
  });

  it("a resent delivery is recognisable by its event id", async () => {
    const { team, endpoint } = await teamWithEndpoint("/resend", ["session.started"]);
    const out = start();
    try {
      await t.db.captureSession.create({
        data: {
          teamId: team.id,
          rtmsStreamId: `r-${randomBytes(4).toString("hex")}`,
          meetingUuid: "u==",
          serverUrls: "ws://x",
        },
      });
      await out.scan();
      const delivered = () =>
        t.db.webhookDelivery.findFirst({ where: { endpointId: endpoint.id, status: "SUCCEEDED" } });
      await until(async () => (await delivered()) !== null, "first delivery");
      const d = (await delivered())!;
      // What the portal's "resend" does: the same row back to PENDING, a new job for it.
      await t.db.webhookDelivery.update({ where: { id: d.id }, data: { status: "PENDING" } });
      await out.queue.add(
        "deliver",
        { deliveryId: d.id },
        { ...deliveryJobOptions({ attempts: 1, backoffMs: 100 }, d.id), jobId: `${d.id}-resend-1` },
      );
      await until(() => received.filter((r) => r.path === "/resend").length === 2, "resend");
      const [first, again] = received.filter((r) => r.path === "/resend");
      expect(again!.headers[EVENT_ID_HEADER]).toBe(first!.headers[EVENT_ID_HEADER]);
      expect(again!.body).toBe(first!.body);
    } finally {
      await out.close();
    }
  });

  it("frame.stored in EVERYONE mode lists every participant, with signed download URLs", async () => {
    const { team, endpoint } = await teamWithEndpoint("/frames", ["frame.stored"]);
    const out = start({ frameEvents: { baseUrl: "http://127.0.0.1:3000", windowMs: 10_000 } });
    try {
      const session = await t.db.captureSession.create({
        data: {
          teamId: team.id,
          rtmsStreamId: `e-${randomBytes(4).toString("hex")}`,
          meetingUuid: "u==",
          serverUrls: "ws://x",
          state: "ACTIVE",
          captureMode: "EVERYONE",
        },
      });
      // Everyone mode: three cameras in turn, two frames each, written 30 s ago (a closed window).
      const written = new Date(Math.floor((Date.now() - 30_000) / 10_000) * 10_000 + 1000);
      const frameIds = new Map<string, string[]>();
      for (const [n, name] of ["Ada", "Grace", "Edsger"].entries()) {
        const p = await t.db.participant.create({
          data: {
            sessionId: session.id,
            zoomUserId: String(100 + n),
            name,
            firstVideoOnAt: written,
            frameCount: 2,
          },
        });
        for (const k of [0, 1]) {
          const f = await t.db.frame.create({
            data: {
              sessionId: session.id,
              participantId: p.id,
              zoomTimestamp: BigInt(1_700_000_000_000 + n * 10 + k),
              storageKey: `${session.id}/${name}/${k}.jpg`,
              bytes: 100,
              contentHash: "0".repeat(64),
              createdAt: written,
            },
          });
          frameIds.set(name, [...(frameIds.get(name) ?? []), f.id]);
        }
      }
      await out.scan();
      await out.scan();
      const mine = () => received.filter((r) => r.path === "/frames");
      await until(() => mine().length >= 3, "three frame.stored deliveries");
      const events = mine().map((r) => JSON.parse(r.body));
      expect(events.every((e) => e.type === "frame.stored" && e.data.session.id === session.id)).toBe(true);
      const byName = new Map(events.map((e) => [e.data.participant.name, e.data.frames]));
      expect([...byName.keys()].sort()).toEqual(["Ada", "Edsger", "Grace"]);
      for (const [name, ids] of frameIds) {
        const frames = byName.get(name) as { id: string; url: string }[];
        expect(frames.map((f) => f.id)).toEqual(ids);
        for (const f of frames) {
          const u = new URL(f.url);
          expect(u.pathname).toBe(`/api/v1/frames/${f.id}/image`);
          const q = {
            kid: u.searchParams.get("kid"),
            exp: u.searchParams.get("exp"),
            sig: u.searchParams.get("sig"),
          };
          expect(verifyFrameUrl(keyring, f.id, q)).toBe(true);
        }
      }
      expect(await t.db.webhookDelivery.count({ where: { endpointId: endpoint.id } })).toBe(3);
    } finally {
      await out.close();
    }
  });

  it("frame.stored reaches an endpoint validated mid-window with the frames stored after validation", async () => {
    const { team, endpoint } = await teamWithEndpoint("/midwindow", ["frame.stored"]);
    const out = start({ frameEvents: { baseUrl: "http://127.0.0.1:3000", windowMs: 10_000 } });
    try {
      const session = await t.db.captureSession.create({
        data: {
          teamId: team.id,
          rtmsStreamId: `m-${randomBytes(4).toString("hex")}`,
          meetingUuid: "u==",
          serverUrls: "ws://x",
        },
      });
      const p = await t.db.participant.create({
        data: { sessionId: session.id, zoomUserId: "7", name: "Mid", frameCount: 3 },
      });
      // One closed window: a frame before "Validate", two after it.
      const windowStart = Math.floor((Date.now() - 30_000) / 10_000) * 10_000;
      await t.db.webhookEndpoint.update({
        where: { id: endpoint.id },
        data: { validatedAt: new Date(windowStart + 4000) },
      });
      const ids: string[] = [];
      for (const [k, offset] of [1000, 5000, 9000].entries()) {
        const f = await t.db.frame.create({
          data: {
            sessionId: session.id,
            participantId: p.id,
            zoomTimestamp: BigInt(1_700_000_000_000 + k),
            storageKey: `${session.id}/Mid/${k}.jpg`,
            bytes: 10,
            contentHash: "0".repeat(64),
            createdAt: new Date(windowStart + offset),
          },
        });
        ids.push(f.id);
      }
      await out.scan();
      const mine = () => received.filter((r) => r.path === "/midwindow").map((r) => JSON.parse(r.body));
      await until(() => mine().length >= 1, "frame.stored");
      expect(mine()[0].data.frames.map((f: { id: string }) => f.id)).toEqual(ids.slice(1));
    } finally {
      await out.close();
    }
  });

  it("participant.covered: once per participant whose first frame is stored, in EVERYONE mode", async () => {
    const { team, endpoint } = await teamWithEndpoint("/covered", ["participant.covered"]);
    const out = start();
    try {
      const session = await t.db.captureSession.create({
        data: {
          teamId: team.id,
          rtmsStreamId: `c-${randomBytes(4).toString("hex")}`,
          meetingUuid: "u==",
          serverUrls: "ws://x",
          state: "ACTIVE",
          captureMode: "EVERYONE",
        },
      });
      const at = new Date(Date.now() - 5_000);
      // One speaker and three silent cameras, all with a stored frame (EVERYONE mode rotates through
      // them); a camera that stays off never gets a frame; an erased person is not announced.
      const rows = [
        { zoomUserId: "1", name: "Speaker", firstVideoOnAt: at, firstFrameAt: at, frameCount: 5 },
        { zoomUserId: "2", name: "Silent A", firstVideoOnAt: at, firstFrameAt: at, frameCount: 1 },
        { zoomUserId: "3", name: "Silent B", firstVideoOnAt: at, firstFrameAt: at, frameCount: 1 },
        { zoomUserId: "4", name: "Silent C", firstVideoOnAt: at, firstFrameAt: at, frameCount: 2 },
        { zoomUserId: "5", name: "Camera off", frameCount: 0 },
        { zoomUserId: "6", name: "erased", firstFrameAt: at, erasedAt: new Date(), frameCount: 0 },
      ];
      await t.db.participant.createMany({ data: rows.map((r) => ({ sessionId: session.id, ...r })) });
      await out.scan();
      await out.scan();
      const mine = () => received.filter((r) => r.path === "/covered").map((r) => JSON.parse(r.body));
      await until(() => mine().length >= 4, "four participant.covered deliveries");
      // A participant covered later gets theirs on a later scan; the earlier ones are not sent again.
      const late = await t.db.participant.findFirstOrThrow({
        where: { sessionId: session.id, zoomUserId: "5" },
      });
      await t.db.participant.update({
        where: { id: late.id },
        data: { firstVideoOnAt: new Date(), firstFrameAt: new Date(), frameCount: 1 },
      });
      await out.scan();
      await until(() => mine().length >= 5, "the late one");
      await out.scan();
      const events = mine();
      expect(events.map((e) => e.data.participant.name).sort()).toEqual([
        "Camera off",
        "Silent A",
        "Silent B",
        "Silent C",
        "Speaker",
      ]);
      expect(new Set(events.map((e) => e.id)).size).toBe(5);
      const speaker = events.find((e) => e.data.participant.name === "Speaker");
      expect(speaker).toMatchObject({
        type: "participant.covered",
        teamId: team.id,
        data: {
          session: { id: session.id },
          participant: { zoomUserId: "1", name: "Speaker" },
          firstFrameAt: at.toISOString(),
          captureMode: "EVERYONE",
        },
      });
      expect(typeof speaker.data.participant.id).toBe("string");
      expect(await t.db.webhookDelivery.count({ where: { endpointId: endpoint.id } })).toBe(5);
    } finally {
      await out.close();
    }
  });

  it("retry.created and room.join_failed reach endpoints that subscribe to them", async () => {
    const { team, endpoint } = await teamWithEndpoint("/ops", ["retry.created", "room.join_failed"]);
    const out = start();
    try {
      const room = await t.db.zoomRoom.create({
        data: { teamId: team.id, zoomRoomId: "zr-9", name: "Atrium" },
      });
      const retry = await t.db.retryItem.create({
        data: {
          teamId: team.id,
          kind: "ROOM_JOIN",
          payload: {},
          reason: "room offline (Zoom code 300)",
          attempts: 5,
        },
      });
      await t.db.roomAction.create({
        data: {
          teamId: team.id,
          roomId: room.id,
          kind: "JOIN",
          outcome: "FAILED",
          zoomCode: 300,
          message: "offline",
        },
      });
      // A join that worked is not an event.
      await t.db.roomAction.create({
        data: { teamId: team.id, roomId: room.id, kind: "JOIN", outcome: "CONFIRMED" },
      });
      await out.scan();
      await out.scan();
      const mine = () => received.filter((r) => r.path === "/ops").map((r) => JSON.parse(r.body));
      await until(() => mine().length >= 2, "two events");
      await out.scan();
      const byType = new Map(mine().map((e) => [e.type, e]));
      expect([...byType.keys()].sort()).toEqual(["retry.created", "room.join_failed"]);
      expect(byType.get("retry.created").data.retry).toMatchObject({
        id: retry.id,
        kind: "ROOM_JOIN",
        attempts: 5,
      });
      expect(byType.get("room.join_failed").data).toMatchObject({
        room: { name: "Atrium" },
        outcome: "FAILED",
        zoomCode: 300,
      });
      expect(await t.db.webhookDelivery.count({ where: { endpointId: endpoint.id } })).toBe(2);
    } finally {
      await out.close();
    }
  });
});
