// The public API against real Postgres and Redis: tokens (scopes, expiry, revocation, batched audit),
// cross-team 404, frame pagination under inserts, ETag/Range, rate limits, and a contract test that walks
// the generated OpenAPI document (validated by an OpenAPI validator) and checks every answer against it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { JobQueues, redisConnection, signedFrameUrl } from "@capture/jobs";
import { LocalDiskFrameStore } from "@capture/rtms-core/frames";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiRuntime, handleApiRequest } from "../src/modules/api/lib/handler.ts";
import { openApiDocument } from "../src/modules/api/lib/openapi.ts";
import { createApiToken, revokeApiToken } from "../src/modules/api/lib/tokens.ts";
import { TokenUsageRecorder } from "../src/modules/api/lib/usage.ts";
import { type Member, resolveMember } from "../src/modules/teams/lib/membership.ts";
import {
  createCapturedSession,
  createTeamWithUser,
  createTestDatabase,
  makeJpeg,
  REDIS_URL,
  readZipEntries,
  type TestDatabase,
  testKeyring,
  testRedis,
} from "./fixtures.ts";

let t: TestDatabase;
let r: Awaited<ReturnType<typeof testRedis>>;
let queues: JobQueues;
let dir: string;
let store: LocalDiskFrameStore;
let rt: ApiRuntime;
let ownerA: Member;
let ownerB: Member;
const tok = { read: "", write: "", both: "", b: "" };
const ids = {
  session: "",
  participant: "",
  frame: "",
  meeting: "",
  room: "",
  retry: "",
  sessionB: "",
  frameB: "",
};
let jpeg: Buffer;

const call = (p: string, token: string | null, init: RequestInit = {}) =>
  handleApiRequest(
    new Request(`http://127.0.0.1/api/v1${p}`, {
      ...init,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) },
    }),
    rt,
  );
// biome-ignore lint/suspicious/noExplicitAny: test reads of JSON answers; their shapes are asserted below.
type Loose = any;
const body = async (res: Response) => (await res.json()) as Record<string, Loose>;

beforeAll(async () => {
  [t, r] = await Promise.all([createTestDatabase("apiv1"), testRedis()]);
  dir = await mkdtemp(path.join(tmpdir(), "api-v1-"));
  queues = new JobQueues(redisConnection(REDIS_URL), r.prefix);
  store = new LocalDiskFrameStore({ rootDir: dir });
  rt = {
    db: t.db,
    keyring: testKeyring(),
    frameStore: store,
    queues,
    redis: r.redis,
    usage: new TokenUsageRecorder(t.db, { intervalMs: 60_000 }),
    rateLimit: { prefix: r.prefix, perMinute: 10_000 },
  };
  const a = await createTeamWithUser(t.db, "OWNER", "apia");
  const b = await createTeamWithUser(t.db, "OWNER", "apib");
  ownerA = (await resolveMember(t.db, a.user.id, a.team.id))!;
  ownerB = (await resolveMember(t.db, b.user.id, b.team.id))!;
  tok.read = (await createApiToken(t.db, ownerA, { name: "reader", scopes: ["READ"] })).token;
  tok.write = (await createApiToken(t.db, ownerA, { name: "writer", scopes: ["WRITE"] })).token;
  tok.both = (await createApiToken(t.db, ownerA, { name: "both", scopes: ["READ", "WRITE"] })).token;
  tok.b = (await createApiToken(t.db, ownerB, { name: "b", scopes: ["READ", "WRITE"] })).token;

  const { session, participant } = await createCapturedSession(t.db, a.team.id, { frames: 0 });
  jpeg = await makeJpeg(320, 180, 3);
  const stored = await store.put(
    {
      sessionKey: session.id,
      userName: "Ada",
      userId: "16778240",
      timestamp: 1_700_000_000_000,
      format: "jpg",
    },
    jpeg,
  );
  const frame = await t.db.frame.create({
    data: {
      sessionId: session.id,
      participantId: participant.id,
      zoomTimestamp: 1_700_000_000_000n,
      storageKey: stored.storageKey,
      bytes: jpeg.length,
      contentHash: "0".repeat(64),
    },
  });
  await t.db.participant.update({
    where: { id: participant.id },
    data: { frameCount: 1, firstVideoOnAt: new Date(), videoOn: true },
  });
  await t.db.participant.create({
    data: {
      sessionId: session.id,
      zoomUserId: "2",
      name: "Camera on, no frames",
      firstVideoOnAt: new Date(),
    },
  });
  const room = await t.db.zoomRoom.create({
    data: { teamId: a.team.id, zoomRoomId: "zr-1", name: "Boardroom" },
  });
  const meeting = await t.db.meeting.create({
    data: { teamId: a.team.id, name: "Weekly", meetingNumber: "12345678901" },
  });
  const retry = await t.db.retryItem.create({
    data: {
      teamId: a.team.id,
      kind: "ROOMS_SYNC",
      payload: { kind: "rooms.sync", teamId: a.team.id },
      reason: "x",
    },
  });
  const sb = await createCapturedSession(t.db, b.team.id, { frames: 1 });
  const frameB = await t.db.frame.findFirstOrThrow({ where: { sessionId: sb.session.id } });
  Object.assign(ids, {
    session: session.id,
    participant: participant.id,
    frame: frame.id,
    meeting: meeting.id,
    room: room.id,
    retry: retry.id,
    sessionB: sb.session.id,
    frameB: frameB.id,
  });
});

afterAll(async () => {
  await queues?.close();
  await r?.close();
  await t?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe("tokens", () => {
  it("refuses a missing, malformed or unknown token with one 401 shape", async () => {
    for (const token of [null, "nope", "cap_unknown"]) {
      const res = await call("/sessions", token);
      expect(res.status).toBe(401);
      expect((await body(res)).error.code).toBe("UNAUTHENTICATED");
    }
  });

  it("stores only a hash, and shows the secret once", async () => {
    const created = await createApiToken(t.db, ownerA, { name: "once", scopes: ["READ"] });
    const row = await t.db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.tokenHash).not.toContain(created.token);
    expect(JSON.stringify(row)).not.toContain(created.token.slice(12));
    expect(created.token.startsWith(row.prefix)).toBe(true);
  });

  it("enforces scopes: read cannot write, write cannot read", async () => {
    const post = (token: string) =>
      call("/meetings", token, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: "Scoped", meetingNumber: "11122233344" }),
      });
    const denied = await post(tok.read);
    expect(denied.status).toBe(403);
    expect((await body(denied)).error.code).toBe("FORBIDDEN");
    expect((await call("/sessions", tok.write)).status).toBe(403);
    expect((await post(tok.write)).status).toBe(201);
  });

  it("an expired token stops working", async () => {
    const created = await createApiToken(t.db, ownerA, { name: "short", scopes: ["READ"], expiresInDays: 1 });
    expect((await call("/sessions", created.token)).status).toBe(200);
    const later = rt.now;
    rt.now = () => new Date(Date.now() + 2 * 86_400_000);
    try {
      expect((await call("/sessions", created.token)).status).toBe(401);
    } finally {
      rt.now = later;
    }
  });

  it("a revoked token stops working at once, and the revocation is audited", async () => {
    const created = await createApiToken(t.db, ownerA, { name: "revoke me", scopes: ["READ"] });
    expect((await call("/sessions", created.token)).status).toBe(200);
    await revokeApiToken(t.db, ownerA, created.id);
    expect((await call("/sessions", created.token)).status).toBe(401);
    expect(await t.db.auditEvent.count({ where: { action: "api_token.revoke", targetId: created.id } })).toBe(
      1,
    );
    // Another team's admin cannot see it.
    await expect(revokeApiToken(t.db, ownerB, created.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("use is audited in batches and sets lastUsedAt", async () => {
    const created = await createApiToken(t.db, ownerA, { name: "counted", scopes: ["READ"] });
    await rt.usage.flush();
    for (let i = 0; i < 5; i++) expect((await call("/rooms", created.token)).status).toBe(200);
    expect(await t.db.auditEvent.count({ where: { action: "api_token.use", targetId: created.id } })).toBe(0);
    await rt.usage.flush();
    const rows = await t.db.auditEvent.findMany({ where: { action: "api_token.use", targetId: created.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.data).toMatchObject({ count: 5, routes: { "GET /rooms": 5 } });
    const row = await t.db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.lastUsedAt).not.toBeNull();
  });

  it("rate-limits per token with Retry-After, leaving other tokens alone", async () => {
    const limited = await createApiToken(t.db, ownerA, { name: "limited", scopes: ["READ"] });
    const saved = rt.rateLimit;
    rt.rateLimit = { ...saved, perMinute: 3 };
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 5; i++) {
        last = await call("/rooms", limited.token);
        statuses.push(last.status);
      }
      // The window may roll over mid-loop; then fewer are refused, never more.
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(6);
      if (last?.status === 429) {
        expect(Number(last.headers.get("retry-after"))).toBeGreaterThan(0);
        expect((await body(last)).error.code).toBe("RATE_LIMITED");
      }
      expect(statuses).toContain(429);
      expect((await call("/rooms", tok.read)).status).toBe(200);
    } finally {
      rt.rateLimit = saved;
    }
  });
});

describe("team scoping", () => {
  it("another team's ids answer 404, the same as missing ones", async () => {
    for (const p of [
      `/sessions/${ids.sessionB}`,
      `/frames/${ids.frameB}`,
      `/frames/${ids.frameB}/image`,
      `/sessions/doesnotexist`,
    ]) {
      const res = await call(p, tok.read);
      expect(res.status, p).toBe(404);
      expect((await body(res)).error.code).toBe("NOT_FOUND");
    }
    const b = await call(`/meetings/${ids.meeting}`, tok.b, { method: "DELETE" });
    expect(b.status).toBe(404);
    expect(await t.db.meeting.count({ where: { id: ids.meeting } })).toBe(1);
    const list = await body(await call("/sessions", tok.b));
    expect(list.data.map((s: { id: string }) => s.id)).toEqual([ids.sessionB]);
  });
});

describe("sessions and frames", () => {
  it("a session reports coverage over participants whose camera was on", async () => {
    const s = await body(await call(`/sessions/${ids.session}`, tok.read));
    expect(s.coverage).toEqual({ covered: 1, cameraOn: 2, ratio: 0.5 });
    expect(s.notStored).toEqual({ quota: 0, lowDisk: 0 });
    expect(s.framesExpiredAt).toBeNull();
    expect(s.participants.find((p: { id: string }) => p.id === ids.participant).covered).toBe(true);
    const list = await body(await call("/sessions", tok.read));
    expect(list.data[0].coverage).toEqual({ covered: 1, cameraOn: 2, ratio: 0.5 });
  });

  it("a session reports the frames a storage limit kept out, and when its frames expired", async () => {
    const { session } = await createCapturedSession(t.db, ownerA.teamId, { frames: 1 });
    const expiredAt = new Date("2026-11-30T12:00:00.000Z");
    await t.db.captureSession.update({
      where: { id: session.id },
      data: { quotaDroppedFrames: 7, lowDiskDroppedFrames: 2, framesExpiredAt: expiredAt },
    });
    const s = await body(await call(`/sessions/${session.id}`, tok.read));
    expect(s.notStored).toEqual({ quota: 7, lowDisk: 2 });
    expect(s.framesExpiredAt).toBe(expiredAt.toISOString());
  });

  it("frame pages stay stable while frames are inserted, in both orders and with time filters", async () => {
    const { session, participant } = await createCapturedSession(t.db, ownerA.teamId, { frames: 30 });
    const base = 1_700_000_000_000;
    const page = async (q: string) =>
      body(await call(`/participants/${participant.id}/frames?${q}`, tok.read));
    const seen: string[] = [];
    let cursor: string | null = null;
    let inserted = 0;
    do {
      const p = await page(`limit=7${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...p.data.map((f: { zoomTimestamp: string }) => f.zoomTimestamp));
      cursor = p.nextCursor;
      // Newer frames arrive while we page backwards: they must not shift or repeat older pages.
      await t.db.frame.create({
        data: {
          sessionId: session.id,
          participantId: participant.id,
          zoomTimestamp: BigInt(base + 100_000 + inserted++),
          storageKey: `${session.id}/x/${inserted}.jpg`,
          bytes: 1,
          contentHash: "0".repeat(64),
        },
      });
    } while (cursor);
    const expected = Array.from({ length: 30 }, (_, i) => String(base + (29 - i) * 200));
    expect(seen).toEqual(expected);

    const asc = await page(`order=asc&limit=5&since=${base + 1000}&until=${base + 2000}`);
    expect(asc.data.map((f: { zoomTimestamp: string }) => f.zoomTimestamp)).toEqual(
      [1000, 1200, 1400, 1600, 1800].map((d) => String(base + d)),
    );
    expect(asc.nextCursor).toBeNull();
    expect((await call(`/participants/${participant.id}/frames?limit=0`, tok.read)).status).toBe(400);
  });

  it("serves image bytes with an ETag (304 on a match) and byte ranges", async () => {
    const full = await call(`/frames/${ids.frame}/image`, tok.read);
    expect(full.status).toBe(200);
    expect(Buffer.from(await full.arrayBuffer()).equals(jpeg)).toBe(true);
    const etag = full.headers.get("etag")!;
    expect(etag).toBeTruthy();
    const hit = await call(`/frames/${ids.frame}/image`, tok.read, { headers: { "If-None-Match": etag } });
    expect(hit.status).toBe(304);
    const part = await call(`/frames/${ids.frame}/image`, tok.read, { headers: { Range: "bytes=0-9" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 0-9/${jpeg.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(jpeg.subarray(0, 10))).toBe(true);
  });

  it("a frame.stored signed URL fetches that frame without a token, until it expires", async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const signed = new URL(signedFrameUrl("http://127.0.0.1", rt.keyring, ids.frame, exp));
    const res = await call(`${signed.pathname.replace("/api/v1", "")}${signed.search}`, null);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(jpeg)).toBe(true);
    const other = await call(`/frames/${ids.frameB}/image${signed.search}`, null);
    expect(other.status).toBe(401);
    const tampered = await call(
      `/frames/${ids.frame}/image${signed.search.replace(`exp=${exp}`, `exp=${exp + 1}`)}`,
      null,
    );
    expect(tampered.status).toBe(401);
    const old = new URL(
      signedFrameUrl("http://127.0.0.1", rt.keyring, ids.frame, Math.floor(Date.now() / 1000) - 1),
    );
    expect((await call(`/frames/${ids.frame}/image${old.search}`, null)).status).toBe(401);
  });

  it("meetings take captureMode and coverageDwellMs", async () => {
    const res = await call("/meetings", tok.both, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        name: "Modes",
        meetingNumber: "55566677788",
        captureMode: "SPEAKER",
        coverageDwellMs: 4500,
      }),
    });
    expect(res.status).toBe(201);
    const m = await body(res);
    expect(m).toMatchObject({ captureMode: "SPEAKER", coverageDwellMs: 4500 });
    const bad = await call(`/meetings/${m.id}`, tok.both, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "Modes", meetingNumber: "55566677788", coverageDwellMs: 10 }),
    });
    expect(bad.status).toBe(400);
    expect((await body(bad)).error.code).toBe("VALIDATION");
  });
});

describe("session export", () => {
  it("streams every participant's frames as a zip, folder per person, byte for byte, audited", async () => {
    const { session, participant } = await createCapturedSession(t.db, ownerA.teamId, { frames: 0 });
    const second = await t.db.participant.create({
      data: { sessionId: session.id, zoomUserId: "33554432", name: "Grace / Hopper" },
    });
    // A participant with no frames gets no folder.
    await t.db.participant.create({ data: { sessionId: session.id, zoomUserId: "9", name: "Nobody" } });
    const written = new Map<string, Buffer>();
    for (const [p, name, n] of [
      [participant, "Ada", 3],
      [second, "Grace", 2],
    ] as const) {
      for (let k = 0; k < n; k++) {
        const img = await makeJpeg(64, 48, 10 + k + n);
        const ts = 1_700_000_100_000 + k * 200;
        const put = await store.put(
          { sessionKey: session.id, userName: name, userId: p.zoomUserId, timestamp: ts, format: "jpg" },
          img,
        );
        await t.db.frame.create({
          data: {
            sessionId: session.id,
            participantId: p.id,
            zoomTimestamp: BigInt(ts),
            storageKey: put.storageKey,
            bytes: img.length,
            contentHash: "0".repeat(64),
          },
        });
        written.set(`${p.name.replace(/[^A-Za-z0-9_-]+/g, "_")}_${p.zoomUserId}/${ts}.jpg`, img);
      }
      await t.db.participant.update({ where: { id: p.id }, data: { frameCount: n } });
    }
    const res = await call(`/sessions/${session.id}/export.zip`, tok.read);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="[A-Za-z0-9_-]+\.zip"$/);
    // Streamed: the body is a stream the handler did not buffer first.
    expect(res.body).toBeInstanceOf(ReadableStream);
    const entries = readZipEntries(Buffer.from(await res.arrayBuffer()));
    expect(entries.map((e) => e.name).sort()).toEqual([...written.keys()].sort());
    for (const e of entries) expect(e.data.equals(written.get(e.name)!), e.name).toBe(true);
    const audit = await t.db.auditEvent.findMany({
      where: { action: "frames.export", targetType: "session", targetId: session.id },
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actorUserId).toBe(ownerA.userId);
    expect(audit[0]!.data).toMatchObject({ frames: 5, via: "api" });
    // Another team's session is a 404 and leaves no audit row.
    const other = await call(`/sessions/${ids.sessionB}/export.zip`, tok.read);
    expect(other.status).toBe(404);
    expect((await body(other)).error.code).toBe("NOT_FOUND");
    expect(await t.db.auditEvent.count({ where: { action: "frames.export", targetId: ids.sessionB } })).toBe(
      0,
    );
  });
});

describe("meetings CRUD", () => {
  const send = (p: string, token: string, method: string, payload: unknown) =>
    call(p, token, {
      method,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });

  it("PATCH changes capture mode, frame policy and rooms, one field at a time; DELETE removes", async () => {
    const roomB = await t.db.zoomRoom.create({
      data: { teamId: ownerA.teamId, zoomRoomId: "zr-2", name: "Atrium" },
    });
    const created = await body(
      await send("/meetings", tok.both, "POST", {
        name: "Patchable",
        meetingNumber: "44455566677",
        passcode: "abc123",
        framePolicy: { kind: "interval", everyMs: 5000 },
        roomIds: [ids.room],
        roomLeaveDelaySec: 90,
        captureMode: "SPEAKER",
      }),
    );
    const url = `/meetings/${created.id}`;
    const mode = await send(url, tok.both, "PATCH", { captureMode: "EVERYONE", coverageDwellMs: 6000 });
    expect(mode.status).toBe(200);
    expect(await body(mode)).toMatchObject({
      name: "Patchable",
      meetingNumber: "44455566677",
      hasPasscode: true,
      framePolicy: { kind: "interval", everyMs: 5000 },
      roomIds: [ids.room],
      roomLeaveDelaySec: 90,
      captureMode: "EVERYONE",
      coverageDwellMs: 6000,
    });
    const policy = await body(await send(url, tok.both, "PATCH", { framePolicy: { kind: "firstN", n: 5 } }));
    expect(policy).toMatchObject({ framePolicy: { kind: "firstN", n: 5 }, captureMode: "EVERYONE" });
    const rooms = await body(await send(url, tok.both, "PATCH", { roomIds: [roomB.id, ids.room] }));
    expect([...rooms.roomIds].sort()).toEqual([roomB.id, ids.room].sort());
    expect(rooms).toMatchObject({ framePolicy: { kind: "firstN", n: 5 }, hasPasscode: true });
    const cleared = await body(await send(url, tok.both, "PATCH", { roomIds: [], framePolicy: null }));
    expect(cleared).toMatchObject({ roomIds: [], framePolicy: null, captureMode: "EVERYONE" });
    // Each change is audited as a portal edit would be.
    expect(await t.db.auditEvent.count({ where: { action: "meeting.update", targetId: created.id } })).toBe(
      4,
    );

    for (const [payload, code] of [
      [{}, "VALIDATION"],
      [{ captureMode: "SOMETIMES" }, "VALIDATION"],
      [{ framePolicy: { kind: "firstN", n: 0 } }, "VALIDATION"],
      [{ roomIds: [ids.room], colour: "red" }, "VALIDATION"],
    ] as const) {
      const res = await send(url, tok.both, "PATCH", payload);
      expect(res.status, JSON.stringify(payload)).toBe(400);
      expect((await body(res)).error.code).toBe(code);
    }
    // Another team's rooms are not pickable; another team's meeting is a 404; a read token is refused.
    const foreignRoom = await t.db.zoomRoom.create({
      data: { teamId: ownerB.teamId, zoomRoomId: "zr-b", name: "Theirs" },
    });
    expect((await send(url, tok.both, "PATCH", { roomIds: [foreignRoom.id] })).status).toBe(400);
    expect((await send(url, tok.b, "PATCH", { captureMode: "SPEAKER" })).status).toBe(404);
    expect((await send(url, tok.read, "PATCH", { captureMode: "SPEAKER" })).status).toBe(403);
    expect((await body(await call(url, tok.read))).captureMode).toBe("EVERYONE");

    const del = await call(url, tok.both, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect((await call(url, tok.read)).status).toBe(404);
    expect((await call(url, tok.both, { method: "DELETE" })).status).toBe(404);
    expect(await t.db.auditEvent.count({ where: { action: "meeting.delete", targetId: created.id } })).toBe(
      1,
    );
  });
});

describe("the OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const res = await call("/openapi.json", null);
    expect(res.status).toBe(200);
    const doc = await body(res);
    expect(doc.openapi).toBe("3.1.0");
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("every documented operation answers as documented (contract walk)", async () => {
    type Op = {
      requestBody?: { content: Record<string, { example?: unknown }> };
      responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
    };
    const doc = openApiDocument() as { components: unknown; paths: Record<string, Record<string, Op>> };
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addFormat(
      "date-time",
      (v: string) => !Number.isNaN(Date.parse(v)) && /T.*(Z|[+-]\d\d:\d\d)$/.test(v),
    );
    ajv.addSchema({ $id: "doc", components: doc.components });
    const resolve = (schema: unknown): object =>
      JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
    const values: Record<string, string> = {
      sessionId: ids.session,
      participantId: ids.participant,
      frameId: ids.frame,
      meetingId: ids.meeting,
      retryId: ids.retry,
    };
    const ops: { path: string; method: string; op: Op }[] = [];
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) ops.push({ path: p, method, op });
    }
    // Deletes last, so the objects other operations read still exist.
    ops.sort((a, b) => Number(a.method === "delete") - Number(b.method === "delete"));
    expect(ops.length).toBe(16);
    for (const { path: p, method, op } of ops) {
      const url = p.replace(/\{(\w+)\}/g, (_, name: string) => values[name]!);
      const example = op.requestBody?.content["application/json"]?.example;
      const res = await call(url, tok.both, {
        method: method.toUpperCase(),
        ...(example
          ? { headers: { "Content-Type": "application/json" }, body: JSON.stringify(example) }
          : {}),
      });
      const label = `${method.toUpperCase()} ${p} -> ${res.status}`;
      expect(Object.keys(op.responses), label).toContain(String(res.status));
      expect(String(res.status).startsWith("2"), label).toBe(true);
      const documented = op.responses[String(res.status)]?.content;
      if (documented?.["application/json"]) {
        const validate = ajv.compile(resolve(documented["application/json"].schema));
        const ok = validate(await res.json());
        expect(validate.errors ?? [], label).toEqual([]);
        expect(ok, label).toBe(true);
      } else if (documented) {
        expect(res.headers.get("content-type"), label).toBe(Object.keys(documented)[0]);
      }
      // Unauthenticated, each answers the documented 401.
      expect((await call(url, null, { method: method.toUpperCase() })).status, label).toBe(401);
    }
  });
});
