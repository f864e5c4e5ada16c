// The low-disk guard of the local frame store, with the worker as a child process and zoom-sim streams.
// The free space is simulated, never the real disk filled: LOCAL_STORE_DISK_READING_FILE names a JSON
// file saying `{"capacityBytes": C}`, i.e. a disk of C bytes holding only the frame store (free = C -
// bytes under FRAMES_DIR, re-read every LOCAL_STORE_CHECK_MS).
//   - Writes stop BEFORE the floor: the store never holds more than C - floor, drops are counted
//     (`low_disk`, metric and the session's count), a gauge and the portal's row say so, and raising the
//     capacity lets capture write again.
//   - Opt-in delete-oldest: the oldest frames of any team go (objects and rows, audited per team with
//     counts) and the store stays under C - floor while capture goes on.
import { randomBytes } from "node:crypto";
import { stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { insertFrames } from "@capture/db";
import { LocalDiskFrameStore } from "@capture/rtms-core/frames";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Harness,
  listFiles,
  startHarness,
  startStream,
  stopAndWait,
  type WorkerProcess,
  waitUntil,
} from "./support/harness.ts";

const FLOOR = 1_000_000;

async function metric(worker: WorkerProcess, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${worker.healthPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(" ").pop()) : Number.NaN;
}

async function droppedLowDisk(worker: WorkerProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${worker.healthPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith('capture_frames_dropped_total{reason="low_disk"}'));
  return line ? Number(line.split(" ").pop()) : 0;
}

/** Bytes under the frame store: what the simulated disk holds. */
async function used(h: Harness): Promise<number> {
  let total = 0;
  for (const f of await listFiles(h.framesDir))
    total += await stat(path.join(h.framesDir, f)).then(
      (s) => s.size,
      () => 0,
    );
  return total;
}

function readingFile(h: Harness) {
  return path.join(h.framesDir, "..", `${path.basename(h.framesDir)}.disk.json`);
}

async function setCapacity(h: Harness, capacityBytes: number) {
  // Written next to the store (not in it), replaced atomically enough for a JSON this small.
  await writeFile(readingFile(h), JSON.stringify({ capacityBytes }));
}

describe("low-disk guard: stop writing", () => {
  let h: Harness;
  let worker: WorkerProcess;
  const CAPACITY = FLOOR + 120_000;

  beforeAll(async () => {
    h = await startHarness("lowdisk");
    await setCapacity(h, CAPACITY);
    worker = await h
      .spawnWorker({
        LOCAL_STORE_DISK_READING_FILE: readingFile(h),
        LOCAL_STORE_MIN_FREE_BYTES: String(FLOOR),
        // Several frames arrive between two readings: only subtracting what was written since the last
        // reading keeps the store under the floor.
        LOCAL_STORE_CHECK_MS: "5000",
      })
      .ready();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("stops before the floor, counts the drops, raises the gauge and the portal row, resumes with room", async () => {
    const db = h.testDb.db;
    const started = await startStream(h, {
      number: "710000001",
      participants: [{ name: "Dana" }],
      framePolicy: { kind: "all" },
    });
    const session = () => db.captureSession.findUniqueOrThrow({ where: { id: started.sessionId } });
    // Sampled while frames flow: the store never goes past capacity - floor.
    let maxUsed = 0;
    await waitUntil(
      async () => {
        maxUsed = Math.max(maxUsed, await used(h));
        return (await session()).lowDiskDroppedFrames >= 10;
      },
      30_000,
      () => worker.describe(),
    );
    maxUsed = Math.max(maxUsed, await used(h));
    expect(maxUsed).toBeLessThanOrEqual(CAPACITY - FLOOR);
    // Frames were stored until the floor came near (the guard did not refuse from the start).
    expect(maxUsed).toBeGreaterThan((CAPACITY - FLOOR) / 2);
    expect(await metric(worker, "capture_local_store_low_disk")).toBe(1);
    expect(await droppedLowDisk(worker)).toBeGreaterThanOrEqual(10);
    const row = await db.workerDiskState.findUniqueOrThrow({ where: { workerId: "w1" } });
    expect(row).toMatchObject({ lowDisk: true, floorBytes: BigInt(FLOOR), totalBytes: BigInt(CAPACITY) });
    expect(row.lowSince).not.toBeNull();
    expect(row.expiresAt.getTime()).toBeGreaterThan(Date.now());

    // More room (a bigger disk, or space freed elsewhere): capture writes again and the banner row clears.
    const framesBefore = await db.frame.count({ where: { sessionId: started.sessionId } });
    await setCapacity(h, CAPACITY + 10_000_000);
    await waitUntil(
      async () =>
        (await db.frame.count({ where: { sessionId: started.sessionId } })) >= framesBefore + 3 &&
        (await db.workerDiskState.findUniqueOrThrow({ where: { workerId: "w1" } })).lowDisk === false,
      20_000,
      () => worker.describe(),
    );
    expect(await metric(worker, "capture_local_store_low_disk")).toBe(0);

    expect(await stopAndWait(h, started)).toBe("STOPPED");
    // Every low_disk drop is on the session row (one session on this worker), as many as the metric.
    expect((await session()).lowDiskDroppedFrames).toBe(await droppedLowDisk(worker));
    expect((await session()).quotaDroppedFrames).toBe(0);
  });
});

describe("low-disk guard: delete oldest first (opt-in)", () => {
  let h: Harness;
  let worker: WorkerProcess;
  const CAPACITY = FLOOR + 200_000;
  const HEADROOM = 40_000;

  beforeAll(async () => {
    h = await startHarness("lowdisk-oldest");
    await setCapacity(h, CAPACITY);
  });
  afterAll(async () => {
    await h?.close();
  });

  it("deletes the oldest frames of any team, audited with counts, and capture goes on", async () => {
    const db = h.testDb.db;
    // Another team's old session: 10 frames of 10 kB, a day old, on the same disk.
    const old = await db.team.create({ data: { slug: "old-team", name: "Old" } });
    const s = await db.captureSession.create({
      data: {
        teamId: old.id,
        rtmsStreamId: "old-stream",
        meetingUuid: "old==",
        serverUrls: "ws://127.0.0.1:1/none",
        state: "STOPPED",
        endedAt: new Date(),
      },
    });
    const p = await db.participant.create({ data: { sessionId: s.id, zoomUserId: "42", name: "Old" } });
    const store = new LocalDiskFrameStore({ rootDir: h.framesDir });
    const keys: string[] = [];
    const rows = [];
    for (let i = 0; i < 10; i++) {
      const put = await store.put(
        { sessionKey: s.id, userName: "Old", userId: "42", timestamp: 1000 + i, format: "jpg" },
        randomBytes(10_000),
      );
      keys.push(put.storageKey);
      rows.push({
        sessionId: s.id,
        participantId: p.id,
        zoomTimestamp: 1000 + i,
        storageKey: put.storageKey,
        bytes: put.bytes,
        contentType: "image/jpeg",
        contentHash: "0".repeat(64),
      });
    }
    await insertFrames(db, rows);
    await db.frame.updateMany({
      where: { sessionId: s.id },
      data: { createdAt: new Date(Date.now() - 86_400_000) },
    });

    worker = await h
      .spawnWorker({
        LOCAL_STORE_DISK_READING_FILE: readingFile(h),
        LOCAL_STORE_MIN_FREE_BYTES: String(FLOOR),
        LOCAL_STORE_CHECK_MS: "200",
        LOCAL_STORE_DELETE_OLDEST: "true",
        LOCAL_STORE_DELETE_HEADROOM_BYTES: String(HEADROOM),
      })
      .ready();
    const started = await startStream(h, {
      number: "710000002",
      participants: [{ name: "Eve" }],
      framePolicy: { kind: "all" },
    });
    let maxUsed = 0;
    // The old team's frames are the oldest: they go first, all of them.
    await waitUntil(
      async () => {
        maxUsed = Math.max(maxUsed, await used(h));
        return (await db.frame.count({ where: { sessionId: s.id } })) === 0;
      },
      30_000,
      () => worker.describe(),
    );
    // Capture goes on past the point where the disk would have been full: the live session's own oldest
    // frames go too, and the store stays under capacity - floor.
    const liveBytes = async () =>
      (
        await db.participant.aggregate({
          where: { sessionId: started.sessionId },
          _sum: { frameCount: true },
        })
      )._sum.frameCount ?? 0;
    const kept = await liveBytes();
    await waitUntil(
      async () => {
        maxUsed = Math.max(maxUsed, await used(h));
        return (await liveBytes()) >= kept + 10;
      },
      30_000,
      () => worker.describe(),
    );
    expect(await stopAndWait(h, started)).toBe("STOPPED");
    maxUsed = Math.max(maxUsed, await used(h));
    expect(maxUsed).toBeLessThanOrEqual(CAPACITY - FLOOR);

    for (const k of keys) expect(await store.exists(k)).toBe(false);
    const audit = await db.auditEvent.findMany({
      where: { teamId: old.id, action: "storage.low_disk_delete" },
    });
    expect(audit.reduce((n, a) => n + Number((a.data as { frames: number }).frames), 0)).toBe(10);
    expect(audit[0]!.data).toMatchObject({ workerId: "w1", floorBytes: FLOOR });
    expect(audit.reduce((n, a) => n + Number((a.data as { bytes: number }).bytes), 0)).toBe(100_000);
    expect(await metric(worker, "capture_low_disk_deleted_frames_total")).toBeGreaterThanOrEqual(10);
    // The old session keeps its metadata; both teams' stored bytes are their rows' bytes.
    expect(await db.captureSession.count({ where: { id: s.id } })).toBe(1);
    for (const team of await db.team.findMany()) {
      const sum = await db.frame.aggregate({
        where: { session: { teamId: team.id } },
        _sum: { bytes: true },
      });
      expect(Number(team.storedBytes)).toBe(sum._sum.bytes ?? 0);
    }
    // The live session's rows and files agree after its oldest frames were deleted under it. A sweep deletes
    // objects first, then rows, so one may be between the two right now: room on the disk ends it after its
    // batch, and none starts again.
    await setCapacity(h, CAPACITY + 10_000_000);
    const liveKeys = async () => {
      const rows = await db.frame.findMany({
        where: { sessionId: started.sessionId },
        select: { storageKey: true },
      });
      const files = (await listFiles(h.framesDir)).filter((f) => f.startsWith(`${started.sessionId}/`));
      return { rows: rows.map((r) => r.storageKey).sort(), files: files.sort() };
    };
    await waitUntil(
      async () => {
        const { rows, files } = await liveKeys();
        return rows.join() === files.join();
      },
      10_000,
      () => worker.describe(),
    );
    const live = await liveKeys();
    expect(live.files).toEqual(live.rows);
  });
});
