// FrameWriter against a real Postgres: batching, idempotent replays, evictions, purges, and an outage
// made real by cutting a TCP proxy between the writer and the database.
import { createDb, type Db } from "@capture/db";
import { createTestDatabase, type TestDatabase } from "@capture/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "../../test/support/tcp-proxy.ts";
import { createLogger } from "../logger.ts";
import { Metrics } from "../metrics.ts";
import { type FrameRow, FrameWriter } from "./frame-writer.ts";

let testDb: TestDatabase;
let sessionId: string;
const log = createLogger("silent");

beforeAll(async () => {
  testDb = await createTestDatabase("framewriter");
  const team = await testDb.db.team.create({ data: { slug: "t", name: "t" } });
  const session = await testDb.db.captureSession.create({
    data: { teamId: team.id, rtmsStreamId: "s1", meetingUuid: "m1", serverUrls: "ws://x" },
  });
  sessionId = session.id;
});
afterAll(async () => {
  await testDb?.drop();
});

function frame(zoomUserId: string, ts: number, sid = sessionId): FrameRow {
  return {
    sessionId: sid,
    zoomUserId,
    userName: `user ${zoomUserId}`,
    zoomTimestamp: ts,
    storageKey: `sess/user_${zoomUserId}/${ts}.jpg`,
    bytes: 100,
    contentType: "image/jpeg",
    contentHash: "ab".repeat(32),
    receivedAt: performance.now(),
    finalAt: performance.now(),
  };
}

function writer(db: Db, dropped: FrameRow[] = [], budgetBytes = 1 << 20) {
  return new FrameWriter({
    db,
    log,
    metrics: new Metrics({ defaultMetrics: false }),
    budgetBytes,
    flushIntervalMs: 5,
    onFrameDropped: (f) => {
      dropped.push(f);
    },
  });
}

describe("FrameWriter", () => {
  it("writes frames, participants and counts; a replay adds nothing; evictions delete rows", async () => {
    const w = writer(testDb.db);
    for (let ts = 1; ts <= 5; ts++) w.addFrame(frame("1", ts * 200));
    w.addFrame(frame("2", 200));
    w.event({ sessionId, type: "PARTICIPANT_JOIN", zoomUserId: "1" });
    expect(await w.drain()).toBe(true);
    // Replay of the same frames (a resumed session) must not duplicate.
    for (let ts = 1; ts <= 5; ts++) w.addFrame(frame("1", ts * 200));
    w.evictFrame({ sessionId, zoomUserId: "1", zoomTimestamp: 200 });
    w.evictFrame({ sessionId, zoomUserId: "1", zoomTimestamp: 400 });
    expect(await w.drain()).toBe(true);
    await w.close();

    const rows = await testDb.db.frame.findMany({ where: { sessionId }, orderBy: { zoomTimestamp: "asc" } });
    expect(rows.map((r) => Number(r.zoomTimestamp))).toEqual([200, 600, 800, 1000]);
    const participants = await testDb.db.participant.findMany({
      where: { sessionId },
      orderBy: { zoomUserId: "asc" },
    });
    expect(participants.map((p) => [p.zoomUserId, p.name, p.frameCount])).toEqual([
      ["1", "user 1", 3],
      ["2", "user 2", 1],
    ]);
    expect(await testDb.db.sessionEvent.count({ where: { sessionId, type: "PARTICIPANT_JOIN" } })).toBe(1);
  });

  it("keeps rows through a database outage and writes them when it returns", async () => {
    const url = new URL(testDb.url);
    let proxy: TcpProxy | undefined = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.port = String(proxy.port);
    const db = createDb(url.toString(), { maxConnections: 2 });
    try {
      const w = writer(db);
      w.addFrame(frame("3", 1));
      expect(await w.drain()).toBe(true);
      await proxy.stop();
      for (let ts = 2; ts <= 40; ts++) w.addFrame(frame("3", ts));
      w.patchSession(sessionId, { state: "ACTIVE", reconnectCount: 2 });
      expect(await w.drain(600)).toBe(false);
      expect(w.pendingFrames).toBe(39);
      await proxy.start();
      expect(await w.drain(15_000)).toBe(true);
      await w.close();
      expect(await testDb.db.frame.count({ where: { sessionId, participant: { zoomUserId: "3" } } })).toBe(
        40,
      );
      const session = await testDb.db.captureSession.findUniqueOrThrow({ where: { id: sessionId } });
      expect([session.state, session.reconnectCount]).toEqual(["ACTIVE", 2]);
    } finally {
      await proxy?.close();
      proxy = undefined;
      await db.$disconnect();
    }
  });

  it("drops the oldest frames beyond the budget, hands their files back, and counts them", async () => {
    const dropped: FrameRow[] = [];
    const unreachable = createDb("postgresql://capture:capture@127.0.0.1:1/none", { maxConnections: 1 });
    const w = new FrameWriter({
      db: unreachable,
      log,
      metrics: new Metrics({ defaultMetrics: false }),
      budgetBytes: 3_000,
      flushIntervalMs: 5,
      onFrameDropped: (f) => {
        dropped.push(f);
      },
    });
    for (let ts = 1; ts <= 20; ts++) w.addFrame(frame("4", ts));
    expect(w.bufferedBytes).toBeLessThanOrEqual(3_000);
    expect(dropped.map((f) => f.zoomTimestamp)).toEqual(
      Array.from({ length: 20 - w.pendingFrames }, (_, i) => i + 1),
    );
    expect(dropped.length).toBeGreaterThan(0);
    await w.close(200);
    await unreachable.$disconnect();
  });

  it("quarantines rows the database refuses; every other row, of any session, is written", async () => {
    const team = await testDb.db.team.create({ data: { slug: "poison", name: "poison" } });
    const other = await testDb.db.captureSession.create({
      data: { teamId: team.id, rtmsStreamId: "poison", meetingUuid: "m", serverUrls: "ws://x" },
    });
    const metrics = new Metrics({ defaultMetrics: false });
    const dropped: FrameRow[] = [];
    const w = new FrameWriter({
      db: testDb.db,
      log,
      metrics,
      budgetBytes: 1 << 20,
      flushIntervalMs: 5,
      onFrameDropped: (f) => {
        dropped.push(f);
      },
    });
    // A participant id Postgres cannot store: the row is refused, and its frames with it.
    for (let ts = 1; ts <= 3; ts++) w.addFrame(frame("bad\u0000", ts, other.id));
    // One frame in a batch of good ones whose key cannot be stored.
    for (let ts = 1; ts <= 6; ts++) w.addFrame(frame("20", ts, other.id));
    w.addFrame({ ...frame("20", 7, other.id), storageKey: "k\u0000.jpg" });
    for (let ts = 1; ts <= 5; ts++) w.addFrame(frame("21", ts));
    w.event({ sessionId, type: "STOPPED", data: { reason: "x\u0000" } });
    w.event({ sessionId, type: "VIDEO_ON", zoomUserId: "21" });
    w.patchSession(other.id, { stopReasonText: "bad\u0000text" });
    w.patchSession(sessionId, { reconnectCount: 7 });
    expect(await w.drain()).toBe(true);
    // A later frame of the refused participant is dropped at once (its row can never exist).
    w.addFrame(frame("bad\u0000", 4, other.id));
    expect(w.pendingFrames).toBe(0);
    await w.close();

    expect(await testDb.db.frame.count({ where: { sessionId, participant: { zoomUserId: "21" } } })).toBe(5);
    expect(await testDb.db.frame.count({ where: { sessionId: other.id } })).toBe(6);
    expect(dropped.map((f) => `${f.zoomUserId}@${f.zoomTimestamp}`).sort()).toEqual(
      ["20@7", "bad\u0000@1", "bad\u0000@2", "bad\u0000@3", "bad\u0000@4"].sort(),
    );
    expect(await testDb.db.sessionEvent.count({ where: { sessionId, type: "VIDEO_ON" } })).toBe(1);
    expect(await testDb.db.sessionEvent.count({ where: { sessionId, type: "STOPPED" } })).toBe(0);
    expect(
      (await testDb.db.captureSession.findUniqueOrThrow({ where: { id: sessionId } })).reconnectCount,
    ).toBe(7);
    const quarantined = Object.fromEntries(
      (await metrics.rowsQuarantined.get()).values.map((v) => [v.labels.kind, v.value]),
    );
    expect(quarantined).toEqual({ participant: 1, frame: 5, event: 1, session_patch: 1 });
  });

  it("purges a revoked session's rows, buffered or written", async () => {
    const team = await testDb.db.team.create({ data: { slug: "p", name: "p" } });
    const other = await testDb.db.captureSession.create({
      data: { teamId: team.id, rtmsStreamId: "revoked", meetingUuid: "m", serverUrls: "ws://x" },
    });
    const w = writer(testDb.db);
    w.addFrame(frame("9", 1, other.id));
    expect(await w.drain()).toBe(true);
    w.addFrame(frame("9", 2, other.id));
    w.purgeSession(other.id);
    expect(await w.drain()).toBe(true);
    await w.close();
    expect(await testDb.db.frame.count({ where: { sessionId: other.id } })).toBe(0);
    expect(await testDb.db.frame.count({ where: { sessionId } })).toBeGreaterThan(0);
  });
});
