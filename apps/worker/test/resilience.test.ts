// The worker (child process) against zoom-sim faults: duplicate deliveries, dropped sockets, failover,
// a revoked stream and hostile participant names.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectFilesMatchRows,
  frameCount,
  type Harness,
  listFiles,
  sleep,
  startHarness,
  startStream,
  stopAndWait,
  waitUntil,
} from "./support/harness.ts";

const KEEP_ALL = { kind: "all" };
let h: Harness;

beforeAll(async () => {
  h = await startHarness("resilience");
  await h.spawnWorker().ready();
});
afterAll(async () => {
  await h?.close();
});

const describeWorkers = () => h.workers.map((w) => w.describe()).join("\n---\n");

describe("duplicates", () => {
  it("turns a redelivered webhook and a repeated rtms_started into one session and one connection", async () => {
    const { live, streamId, sessionId } = await startStream(h, {
      number: "200000001",
      participants: [{ name: "Dana" }],
    });
    const team = await h.testDb.db.team.findUniqueOrThrow({ where: { slug: "demo" } });
    const started = h.sim.publishedEvents.find(
      (e) =>
        e.event === "meeting.rtms_started" &&
        (e.payload as { rtms_stream_id: string }).rtms_stream_id === streamId,
    )!;
    // What the portal's webhook route enqueues, delivered twice (Zoom redelivers when unsure).
    for (let i = 0; i < 2; i++) {
      await h.queues.addZoomEvent({
        teamId: team.id,
        source: "webhook",
        event: started.event,
        eventTs: started.event_ts,
        payload: started.payload,
        receivedAt: Date.now(),
      });
    }
    h.sim.faults.duplicateRtmsStarted(streamId);
    await waitUntil(
      async () => ((await h.queues.zoomEvents.getJobCounts("completed")).completed ?? 0) >= 2,
      10_000,
      describeWorkers,
    );
    await sleep(1500);
    expect(await h.testDb.db.captureSession.count({ where: { rtmsStreamId: streamId } })).toBe(1);
    const stats = h.sim.connectionStats(streamId);
    expect(stats.signalingConnections).toBe(1);
    expect(stats.open).toEqual({ signaling: 1, media: 1 });
    expect(await h.testDb.db.sessionEvent.count({ where: { sessionId, type: "FAILOVER" } })).toBe(0);
    await stopAndWait(h, { streamId, live });
  });
});

describe("dropped sockets and failover", () => {
  it("recovers from a media drop, a signaling drop and a failover; frames continue without duplicate rows", async () => {
    const { live, streamId, sessionId } = await startStream(h, {
      number: "200000002",
      participants: [{ name: "Eve" }],
      framePolicy: KEEP_ALL,
    });
    const db = h.testDb.db;
    const growsBy = async (n: number) => {
      const before = await frameCount(h, sessionId);
      await waitUntil(async () => (await frameCount(h, sessionId)) >= before + n, 15_000, describeWorkers);
    };
    await growsBy(5);

    expect(h.sim.faults.dropMedia(streamId)).toBe(1);
    await growsBy(5);
    expect(h.sim.faults.dropSignaling(streamId)).toBe(1);
    await growsBy(5);
    expect(h.sim.faults.failover(streamId)).toBe(1);
    await growsBy(5);

    const stats = h.sim.connectionStats(streamId);
    expect(stats.open).toEqual({ signaling: 1, media: 1 });
    expect(stats.mediaConnections).toBeGreaterThanOrEqual(3);
    const session = await db.captureSession.findUniqueOrThrow({ where: { id: sessionId } });
    expect(session.reconnectCount).toBeGreaterThanOrEqual(3);
    expect(session.serverUrls).toBe(h.sim.requireStream(streamId).info.serverUrls);
    expect(await db.sessionEvent.count({ where: { sessionId, type: "FAILOVER" } })).toBe(1);
    await stopAndWait(h, { streamId, live });

    const stored = await expectFilesMatchRows(h, sessionId);
    const timestamps = (
      await db.frame.findMany({
        where: { sessionId },
        orderBy: { zoomTimestamp: "asc" },
        select: { zoomTimestamp: true },
      })
    ).map((f) => Number(f.zoomTimestamp));
    expect(new Set(timestamps).size).toBe(stored);
    expect((await db.participant.findFirstOrThrow({ where: { sessionId } })).frameCount).toBe(stored);
  });
});

describe("stop reason 8", () => {
  it("deletes a revoked stream's frames from disk and database", async () => {
    const { live, streamId, sessionId } = await startStream(h, {
      number: "200000003",
      participants: [{ name: "Frank" }],
      framePolicy: KEEP_ALL,
    });
    await waitUntil(async () => (await frameCount(h, sessionId)) >= 5, 15_000, describeWorkers);
    await stopAndWait(h, { streamId, live }, 8);
    const session = await h.testDb.db.captureSession.findUniqueOrThrow({ where: { id: sessionId } });
    expect(session).toMatchObject({ state: "STOPPED", stopReason: 8 });
    await waitUntil(async () => (await frameCount(h, sessionId)) === 0, 5_000, describeWorkers);
    expect((await listFiles(h.framesDir)).filter((f) => f.startsWith(`${sessionId}/`))).toEqual([]);
  });
});

describe("hostile participant names", () => {
  it("keeps every file inside the session's folder", async () => {
    const names = [
      "../../../../tmp/escape",
      "..",
      "a/b\\c",
      "C:\\Windows\\evil",
      "nul\u0000byte\u0007bell",
      "😀".repeat(100),
      "x".repeat(200),
    ];
    const { live, streamId, sessionId } = await startStream(h, {
      number: "200000004",
      participants: names.map((name) => ({ name })),
      framePolicy: KEEP_ALL,
    });
    for (const p of live.participants) {
      live.setActiveSpeaker(p.userId);
      const before = await frameCount(h, sessionId);
      await waitUntil(async () => (await frameCount(h, sessionId)) >= before + 2, 15_000, describeWorkers);
    }
    await stopAndWait(h, { streamId, live });
    await expectFilesMatchRows(h, sessionId);
    const files = await listFiles(h.framesDir);
    const folders = new Set<string>();
    for (const file of files) {
      const parts = file.split("/");
      expect(parts).toHaveLength(3);
      if (parts[0] !== sessionId) continue;
      expect(parts[2]).toMatch(/^\d+\.jpg$/);
      expect(Buffer.byteLength(parts[1]!)).toBeLessThanOrEqual(255);
      folders.add(parts[1]!);
    }
    // One folder per participant: distinct names stay distinct (the user id is part of the name).
    expect(folders.size).toBe(names.length);
    const participants = await h.testDb.db.participant.findMany({ where: { sessionId } });
    // Postgres text cannot hold NUL: it is the one character removed from a stored name.
    expect(participants.map((p) => p.name).sort()).toEqual(
      names.map((n) => n.replaceAll("\u0000", "")).sort(),
    );
  });
});
