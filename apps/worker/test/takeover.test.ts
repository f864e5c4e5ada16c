// Sessions outlive worker processes: SIGTERM hands a session to another worker without ending the
// stream, and after kill -9 another worker takes it over once the job lock lapses (4 s lock, 2 s stalled
// check in this test; 20 s / 10 s by default). Frames continue with no duplicate rows.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  frameCount,
  type Harness,
  listFiles,
  startHarness,
  startStream,
  type WorkerProcess,
  waitUntil,
} from "./support/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness("takeover");
  await Promise.all([h.spawnWorker().ready(), h.spawnWorker().ready()]);
});
afterAll(async () => {
  await h?.close();
});

const describeWorkers = () => h.workers.map((w) => w.describe()).join("\n---\n");

async function holder(sessionId: string): Promise<WorkerProcess> {
  let id: string | null = null;
  await waitUntil(
    async () => {
      id = (await h.testDb.db.captureSession.findUniqueOrThrow({ where: { id: sessionId } })).workerId;
      return id !== null;
    },
    10_000,
    describeWorkers,
  );
  const worker = h.workers.find(
    (w) => w.child.exitCode === null && w.lines.some((l) => l.workerId === id && l.msg === "worker ready"),
  );
  if (!worker) throw new Error(`no live worker ${id}`);
  return worker;
}

async function framesGrow(sessionId: string, n: number, timeoutMs = 30_000) {
  const before = await frameCount(h, sessionId);
  await waitUntil(async () => (await frameCount(h, sessionId)) >= before + n, timeoutMs, describeWorkers);
}

describe("worker takeover", () => {
  it("hands the session over on SIGTERM and resumes it after kill -9", async () => {
    const db = h.testDb.db;
    const { live, streamId, sessionId } = await startStream(h, {
      number: "300000001",
      participants: [{ name: "Grace" }],
      framePolicy: { kind: "all" },
    });
    await framesGrow(sessionId, 5);

    // SIGTERM: the holder exits cleanly; Zoom's stream is not stopped (no msg 21), the other worker resumes.
    const first = await holder(sessionId);
    expect(await first.stop("SIGTERM")).toBe(0);
    expect(first.lines.some((l) => l.msg === "capture session released for another worker")).toBe(true);
    await framesGrow(sessionId, 5);
    const second = await holder(sessionId);
    expect(second).not.toBe(first);
    expect(h.sim.connectionStats(streamId).phase).not.toBe("stopped");

    // kill -9: no goodbye at all. A fresh worker joins the pool; whoever is left takes the session over.
    const third = await h.spawnWorker().ready();
    second.child.kill("SIGKILL");
    await second.exited;
    const killedAt = Date.now();
    await framesGrow(sessionId, 5);
    const resumedAfterMs = Date.now() - killedAt;
    expect(await holder(sessionId)).toBe(third);
    expect(third.lines.some((l) => l.msg === "capture session started" && l.resumed === true)).toBe(true);
    // Within Zoom's ~60 s reconnect window (the lock and stalled check are shortened in this test).
    expect(resumedAfterMs).toBeLessThan(60_000);

    live.stopRtms(6);
    await waitUntil(
      async () =>
        (await db.captureSession.findUniqueOrThrow({ where: { id: sessionId } })).state === "STOPPED",
      15_000,
      describeWorkers,
    );
    const session = await db.captureSession.findUniqueOrThrow({ where: { id: sessionId } });
    expect(session.reconnectCount).toBeGreaterThanOrEqual(2);
    expect(await db.captureSession.count()).toBe(1);
    // Every file has its row and every row its file, including what the killed worker left mid-batch.
    const rows = await db.frame.findMany({
      where: { sessionId },
      select: { storageKey: true, zoomTimestamp: true },
    });
    expect(await listFiles(h.framesDir)).toEqual(rows.map((r) => r.storageKey).sort());
    expect(new Set(rows.map((r) => r.zoomTimestamp)).size).toBe(rows.length);
    const events = await db.sessionEvent.findMany({ where: { sessionId, type: "RECONNECT" } });
    expect(events.some((e) => (e.data as { cause?: string }).cause === "worker_takeover")).toBe(true);
  });
});
