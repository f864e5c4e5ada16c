// The seed policy ("newest 3") holds its candidates in memory and writes them once they are final, with
// the worker as a child process against zoom-sim: no write-then-delete within a turn, SIGTERM writes what
// is held, kill -9 leaves files and rows that a resumed session trims to a consistent newest 3, and a
// full memory budget makes the worker write early instead of dropping. Beside them, the load shedder that
// thins keep-all frames when the event loop is near full.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  expectFilesMatchRows,
  frameCount,
  type Harness,
  type StartedStream,
  sleep,
  startHarness,
  startStream,
  stopAndWait,
  type WorkerProcess,
  waitUntil,
} from "./support/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness("hold");
});
afterAll(async () => {
  await h?.close();
});
// Each test runs its own worker: one left alive by a failed test would take the next test's stream.
afterEach(async () => {
  await Promise.all(h.workers.map((w) => w.stop("SIGTERM")));
});

const describeWorkers = () => h.workers.map((w) => w.describe()).join("\n---\n");

/** One worker-metric sample, e.g. capture_file_ops_total{op="put"}. */
async function metric(worker: WorkerProcess, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${worker.healthPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

async function framesPerName(sessionId: string) {
  const rows = await h.testDb.db.participant.findMany({ where: { sessionId } });
  return Object.fromEntries(rows.filter((p) => p.frameCount > 0).map((p) => [p.name, p.frameCount]));
}

describe("keep-newest frames held until final", () => {
  it("writes each speaker's newest 3 once per turn, deleting nothing written in the same turn", async () => {
    // A hold longer than any turn here: only speaker changes and the end make frames final.
    const worker = await h.spawnWorker({ FRAME_HOLD_MS: "60000" }).ready();
    const { live, streamId, sessionId } = await startStream(h, {
      number: "400000001",
      participants: [{ name: "Ada" }, { name: "Bea" }, { name: "Cy" }],
    });
    for (const p of live.participants) {
      live.setActiveSpeaker(p.userId);
      await sleep(2_000); // 10 frames at 5 fps: 3 warm-up, 7 kept, 4 of them superseded in memory
    }
    expect(await stopAndWait(h, { streamId, live })).toBe("STOPPED");
    expect(await framesPerName(sessionId)).toEqual({ Ada: 3, Bea: 3, Cy: 3 });
    expect(await expectFilesMatchRows(h, sessionId)).toBe(9);
    expect(await metric(worker, 'capture_file_ops_total{op="put"}')).toBe(9);
    expect(await metric(worker, 'capture_file_ops_total{op="delete"}')).toBe(0);
    expect(await metric(worker, "capture_frames_superseded_total")).toBeGreaterThan(0);
    await worker.stop("SIGTERM");
  });

  it("writes what is held when the worker is told to stop (SIGTERM)", async () => {
    const worker = await h.spawnWorker({ FRAME_HOLD_MS: "60000" }).ready();
    const { live, sessionId } = await startStream(h, {
      number: "400000002",
      participants: [{ name: "Dot" }],
    });
    // Frames are kept (held in memory) but with a minute's hold none is written yet.
    await waitUntil(
      async () => (await metric(worker, "capture_frames_kept_total")) >= 3,
      20_000,
      describeWorkers,
    );
    expect(await frameCount(h, sessionId)).toBe(0);
    expect(await worker.stop("SIGTERM")).toBe(0);
    expect(await framesPerName(sessionId)).toEqual({ Dot: 3 });
    await expectFilesMatchRows(h, sessionId);
    live.stopRtms(6);
  });

  it("writes a person's first frames within the hold, then replaces them only every refresh", async () => {
    const worker = await h.spawnWorker({ FRAME_HOLD_MS: "500", FRAME_REFRESH_MS: "600000" }).ready();
    const { live, streamId, sessionId } = await startStream(h, {
      number: "400000004",
      participants: [{ name: "Fay" }],
    });
    // Covered within the short hold: 3 warm-up frames, then the first kept ones are written.
    await waitUntil(async () => (await frameCount(h, sessionId)) >= 1, 20_000, describeWorkers);
    const putsAfterFirst = await metric(worker, 'capture_file_ops_total{op="put"}');
    const offered = await metric(worker, "capture_frames_offered_total");
    // 30 more frames (6 s, twelve holds' worth) of the same speaker: all superseded in memory.
    await waitUntil(
      async () => (await metric(worker, "capture_frames_offered_total")) >= offered + 30,
      20_000,
      describeWorkers,
    );
    expect(await metric(worker, 'capture_file_ops_total{op="put"}')).toBe(putsAfterFirst);
    expect(await metric(worker, 'capture_file_ops_total{op="delete"}')).toBe(0);
    // The end makes the newest 3 final: written, and the first ones replaced.
    expect(await stopAndWait(h, { streamId, live })).toBe("STOPPED");
    expect(await framesPerName(sessionId)).toEqual({ Fay: 3 });
    expect(await expectFilesMatchRows(h, sessionId)).toBe(3);
    await worker.stop("SIGTERM");
  });

  it("after kill -9, what the last flush wrote is trimmed to a consistent newest 3 by the next worker", async () => {
    const quick = { FRAME_HOLD_MS: "500", FRAME_REFRESH_MS: "500" };
    const first = await h.spawnWorker(quick).ready();
    const { live, streamId, sessionId } = await startStream(h, {
      number: "400000003",
      participants: [{ name: "Eve" }],
    });
    // Several flushes have happened: each wrote the newest 3 and then deleted the 3 before them.
    await waitUntil(
      async () => (await metric(first, 'capture_file_ops_total{op="delete"}')) >= 6,
      20_000,
      describeWorkers,
    );
    await first.stop("SIGKILL");
    const second = await h.spawnWorker(quick).ready();
    await second.waitForLog((l) => l.msg === "capture session started" && l.resumed === true, 30_000);
    expect(await stopAndWait(h, { streamId, live })).toBe("STOPPED");
    expect(await framesPerName(sessionId)).toEqual({ Eve: 3 });
    expect(await expectFilesMatchRows(h, sessionId)).toBe(3);
    await second.stop("SIGTERM");
  });

  it("writes early when the memory budget is reached, instead of dropping", { timeout: 90_000 }, async () => {
    // 512 KiB for everything not yet written: five speakers holding 3 frames each (~55 KB of base64 per
    // frame from zoom-sim) do not fit.
    const worker = await h
      .spawnWorker({ FRAME_HOLD_MS: "60000", STORE_BACKLOG_BYTES: String(512 * 1024) })
      .ready();
    const streams: StartedStream[] = [];
    for (let i = 0; i < 5; i++) {
      streams.push(
        await startStream(h, { number: `40000001${i}`, participants: [{ name: `Speaker ${i}` }] }),
      );
    }
    await waitUntil(
      async () => (await metric(worker, 'capture_held_flushes_total{reason="budget"}')) > 0,
      30_000,
      describeWorkers,
    );
    // Budget flushes alone (the hold is a minute) put every speaker's frames in the store.
    await waitUntil(
      async () => {
        for (const s of streams) if ((await frameCount(h, s.sessionId)) < 3) return false;
        return true;
      },
      30_000,
      describeWorkers,
    );
    for (const s of streams) expect(await stopAndWait(h, s)).toBe("STOPPED");
    expect(await metric(worker, 'capture_frames_dropped_total{reason="backlog"}')).toBe(0);
    for (const s of streams) {
      const byName = await framesPerName(s.sessionId);
      expect(Object.values(byName)).toEqual([3]);
      await expectFilesMatchRows(h, s.sessionId);
    }
    await worker.stop("SIGTERM");
  });

  it("never stores frames that are not images, and an honest session beside them keeps writing", {
    timeout: 90_000,
  }, async () => {
    const worker = await h.spawnWorker({ FRAME_HOLD_MS: "500" }).ready();
    const honest = await startStream(h, { number: "400000020", participants: [{ name: "Honest" }] });
    const hostile = await startStream(h, { number: "400000021", participants: [{ name: "Hostile" }] });
    const kinds = ["random", "html", "png-bomb"] as const;
    for (const kind of kinds) {
      h.sim.faults.nonImageFrames(kind, hostile.streamId);
      const before = await metric(worker, "capture_frames_offered_total");
      // Enough frames of this kind for the seed policy to keep some (3 warm-up, then kept).
      await waitUntil(
        async () => (await metric(worker, "capture_frames_offered_total")) >= before + 20,
        20_000,
        describeWorkers,
      );
    }
    h.sim.faults.oversizedFrames(11 * 1024 * 1024, hostile.streamId);
    const before = await metric(worker, "capture_frames_offered_total");
    await waitUntil(
      async () => (await metric(worker, "capture_frames_offered_total")) >= before + 10,
      30_000,
      describeWorkers,
    );
    h.sim.faults.oversizedFrames(0, hostile.streamId);
    h.sim.faults.nonImageFrames("normal", hostile.streamId);
    expect(await stopAndWait(h, hostile)).toBe("STOPPED");
    expect(await stopAndWait(h, honest)).toBe("STOPPED");
    // Of the hostile stream, only the real JPEGs it sent before and after the faults can be stored.
    const hostileRows = await h.testDb.db.frame.findMany({ where: { sessionId: hostile.sessionId } });
    for (const f of hostileRows) expect(f.width, f.storageKey).toBe(1280);
    await expectFilesMatchRows(h, hostile.sessionId);
    expect(await metric(worker, 'capture_frames_dropped_total{reason="not_image"}')).toBeGreaterThan(0);
    for (const reason of ["not_an_image", "dimensions_too_large"]) {
      expect(
        await metric(worker, `capture_frames_rejected_total{reason="${reason}"}`),
        reason,
      ).toBeGreaterThan(0);
    }
    expect(await framesPerName(honest.sessionId)).toEqual({ Honest: 3 });
    await worker.stop("SIGTERM");
  });
});

describe("load shedding (SHED_LOOP_BUSY)", () => {
  it("thins keep-all frames once the event loop is past the mark, never a participant's first frame", async () => {
    // 0: any busy share is past the mark, so shedding starts at the first sample and its gap climbs.
    const worker = await h.spawnWorker({ SHED_LOOP_BUSY: "0" }).ready();
    const { live, streamId, sessionId } = await startStream(h, {
      number: "400000030",
      participants: [{ name: "Gil" }],
      framePolicy: { kind: "all" },
    });
    await waitUntil(
      async () => (await metric(worker, 'capture_frames_dropped_total{reason="shed"}')) >= 10,
      20_000,
      describeWorkers,
    );
    expect(await metric(worker, "capture_shed_gap_ms")).toBeGreaterThanOrEqual(400);
    expect(await stopAndWait(h, { streamId, live })).toBe("STOPPED");
    const offered = await metric(worker, "capture_frames_offered_total");
    const shed = await metric(worker, 'capture_frames_dropped_total{reason="shed"}');
    const stored = await frameCount(h, sessionId);
    // Gil's first frame is never shed; what was not shed was kept and stored, and most of it was shed.
    expect(stored).toBeGreaterThanOrEqual(1);
    expect(await metric(worker, "capture_frames_kept_total")).toBe(stored);
    expect(stored + shed).toBeLessThanOrEqual(offered);
    expect(stored * 2).toBeLessThan(offered);
    expect(await expectFilesMatchRows(h, sessionId)).toBe(stored);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.healthPort}/metrics`)).text();
    expect(metrics).not.toMatch(/^capture_reconnects_total\{/m);
    await worker.stop("SIGTERM");
  });
});
