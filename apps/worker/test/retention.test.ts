// Retention against real Postgres, Redis (BullMQ) and the local frame store: exactly the expired frames go,
// objects and rows, a run that fails in the middle completes when its job is retried, a real worker
// process killed with SIGKILL mid-sweep leaves a state the restarted worker completes, frames inside the
// window are never touched, and the audit events carry exact counts.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Db, insertFrames } from "@capture/db";
import { createTestDatabase, type TestDatabase } from "@capture/db/testing";
import { JobQueues, QueueName, redisConnection } from "@capture/jobs";
import { type FrameStore, LocalDiskFrameStore } from "@capture/rtms-core/frames";
import { type Job, Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";
import { processRetentionJob } from "../src/retention/processor.ts";
import { runRetentionSweep } from "../src/retention/sweep.ts";
import { startHarness, waitUntil } from "./support/harness.ts";

const DAY = 86_400_000;
const log = createLogger("silent");
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

let testDb: TestDatabase;
let db: Db;
let dir: string;
let store: LocalDiskFrameStore;

beforeAll(async () => {
  testDb = await createTestDatabase("retention");
  db = testDb.db;
  dir = await mkdtemp(path.join(tmpdir(), "retention-"));
  store = new LocalDiskFrameStore({ rootDir: dir });
});
afterAll(async () => {
  await testDb?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Seeded {
  sessionId: string;
  keys: { old: string[]; fresh: string[] };
}

/** A session with `old` frames written `ageDays` ago and `fresh` frames written now, objects and rows. */
async function seedSession(
  teamId: string,
  opts: { old: number; fresh: number; ageDays: number; ended?: Date | null; meetingId?: string },
): Promise<Seeded> {
  const startedAt = new Date(Date.now() - (opts.ageDays + 1) * DAY);
  const s = await db.captureSession.create({
    data: {
      teamId,
      meetingId: opts.meetingId ?? null,
      rtmsStreamId: `stream-${Math.random().toString(36).slice(2)}`,
      meetingUuid: "uuid",
      serverUrls: "wss://127.0.0.1/x",
      startedAt,
      endedAt: opts.ended ?? null,
      state: opts.ended ? "STOPPED" : "ACTIVE",
    },
  });
  const p = await db.participant.create({ data: { sessionId: s.id, zoomUserId: "16778240", name: "Ada" } });
  const keys = { old: [] as string[], fresh: [] as string[] };
  for (const [kind, n] of [
    ["old", opts.old],
    ["fresh", opts.fresh],
  ] as const) {
    const rows = [];
    for (let i = 0; i < n; i++) {
      const timestamp = (kind === "old" ? 1_000 : 9_000_000) + i;
      const stored = await store.put(
        { sessionKey: s.id, userName: "Ada", userId: 16778240, timestamp, format: "jpg" },
        JPEG,
      );
      keys[kind].push(stored.storageKey);
      rows.push({
        sessionId: s.id,
        participantId: p.id,
        zoomTimestamp: timestamp,
        storageKey: stored.storageKey,
        bytes: stored.bytes,
        contentType: "image/jpeg",
        contentHash: "0".repeat(64),
      });
    }
    await insertFrames(db, rows);
    if (kind === "old" && n > 0) {
      await db.frame.updateMany({
        where: { sessionId: s.id },
        data: { createdAt: new Date(Date.now() - opts.ageDays * DAY) },
      });
    }
  }
  return { sessionId: s.id, keys };
}

async function existing(keys: string[]): Promise<number> {
  let n = 0;
  for (const k of keys) if (await store.exists(k)) n++;
  return n;
}

async function rows(sessionId: string): Promise<number> {
  return db.frame.count({ where: { sessionId } });
}

describe("retention sweep", () => {
  it("deletes exactly the expired frames and never touches frames inside the window", async () => {
    const team = await db.team.create({ data: { slug: "ret-a", name: "A", retentionDays: 7 } });
    const other = await db.team.create({ data: { slug: "ret-b", name: "B" } }); // no retention: kept
    const live = await seedSession(team.id, { old: 30, fresh: 12, ageDays: 8 });
    const young = await seedSession(team.id, { old: 5, fresh: 0, ageDays: 6, ended: new Date() });
    const kept = await seedSession(other.id, { old: 10, fresh: 0, ageDays: 400, ended: new Date(0) });

    const result = await runRetentionSweep({ db, store, log, batchSize: 7 }, "run-window");

    expect(result.frames).toBe(30);
    expect(await rows(live.sessionId)).toBe(12);
    expect(await existing(live.keys.old)).toBe(0);
    expect(await existing(live.keys.fresh)).toBe(12);
    // Six days old with a seven-day retention: inside the window, untouched.
    expect(await rows(young.sessionId)).toBe(5);
    expect(await existing(young.keys.old)).toBe(5);
    // A team without a retention keeps everything, however old.
    expect(await rows(kept.sessionId)).toBe(10);
    expect(await existing(kept.keys.old)).toBe(10);
    // The live session still runs: not marked, and its participant keeps its history.
    const s = await db.captureSession.findUniqueOrThrow({ where: { id: live.sessionId } });
    expect(s.framesExpiredAt).toBeNull();
    const audit = await db.auditEvent.findMany({ where: { teamId: team.id, action: "retention.expire" } });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.data).toMatchObject({ runId: "run-window", frames: 30, bytes: 30 * JPEG.length });
    expect(await db.auditEvent.count({ where: { teamId: other.id } })).toBe(0);

    // Idempotent: a second run finds nothing more.
    const again = await runRetentionSweep({ db, store, log, batchSize: 7 }, "run-window-2");
    expect(again.frames).toBe(0);
    expect(await rows(live.sessionId)).toBe(12);
  });

  it("0 days keeps nothing after the session ends; a meeting's override wins; ended sessions are marked", async () => {
    const team = await db.team.create({ data: { slug: "ret-zero", name: "Z", retentionDays: 0 } });
    const meeting = await db.meeting.create({
      data: { teamId: team.id, meetingNumber: "123", name: "Keeps 30 days", retentionDays: 30 },
    });
    const ended = await seedSession(team.id, { old: 0, fresh: 9, ageDays: 0, ended: new Date() });
    const running = await seedSession(team.id, { old: 0, fresh: 4, ageDays: 0 });
    const overridden = await seedSession(team.id, {
      old: 3,
      fresh: 0,
      ageDays: 2,
      ended: new Date(),
      meetingId: meeting.id,
    });

    const result = await runRetentionSweep({ db, store, log, batchSize: 4 }, "run-zero");

    expect(result).toMatchObject({ frames: 9, sessionsExpired: 1 });
    expect(await rows(ended.sessionId)).toBe(0);
    expect(await existing(ended.keys.fresh)).toBe(0);
    const s = await db.captureSession.findUniqueOrThrow({
      where: { id: ended.sessionId },
      include: { participants: true },
    });
    expect(s.framesExpiredAt).not.toBeNull();
    // Metadata stays: times, participants and their counts.
    expect(s.endedAt).not.toBeNull();
    expect(s.participants).toHaveLength(1);
    expect(s.participants[0]!.frameCount).toBe(9);
    expect(await rows(running.sessionId)).toBe(4);
    expect(await rows(overridden.sessionId)).toBe(3);
    const [audit] = await db.auditEvent.findMany({ where: { teamId: team.id, action: "retention.expire" } });
    expect(audit!.data).toMatchObject({ frames: 9, sessionsExpired: 1 });
  });

  it("a run failing between objects and rows completes when BullMQ retries it, with exact counts", async () => {
    const team = await db.team.create({ data: { slug: "ret-crash", name: "C", retentionDays: 1 } });
    const seeded = await seedSession(team.id, { old: 40, fresh: 6, ageDays: 3, ended: null });
    // The store dies on the 17th delete of the first attempt: one batch of 10 is done, the second is part
    // way through its objects and none of its rows are deleted.
    let deletes = 0;
    let crashed = false;
    const flaky: Pick<FrameStore, "delete"> = {
      async delete(key) {
        if (!crashed && ++deletes === 17) {
          crashed = true;
          throw new Error("simulated worker death in the middle of a batch");
        }
        return store.delete(key);
      },
    };
    const prefix = `ret-${Math.random().toString(36).slice(2)}`;
    const connection = redisConnection(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    const queues = new JobQueues(connection, prefix);
    const attempts: string[] = [];
    // The retry waits until the state between the attempts has been checked (an event, not a sleep).
    let openRetry!: () => void;
    const retryGate = new Promise<void>((resolve) => {
      openRetry = resolve;
    });
    const worker = new Worker(
      QueueName.retention,
      async (job: Job) => {
        attempts.push(job.id!);
        if (attempts.length > 1) await retryGate;
        return processRetentionJob(job, { db, store: flaky, log, batchSize: 10 });
      },
      { connection, prefix },
    );
    try {
      const completed = new Promise<string>((resolve) => worker.once("completed", (job) => resolve(job.id!)));
      const failedOnce = new Promise<void>((resolve) => worker.once("failed", () => resolve()));
      await queues.retention.add(
        "retention.sweep",
        { kind: "retention.sweep" },
        { attempts: 3, backoff: { type: "fixed", delay: 50 } },
      );
      await failedOnce;
      // Between the attempts: objects of the first 17 frames are gone; only the first batch's rows are.
      expect(await rows(seeded.sessionId)).toBe(36);
      // Some of the second batch's objects went before the failure, never all of them (the failed one).
      const left = await existing(seeded.keys.old);
      expect(left).toBeGreaterThan(20);
      expect(left).toBeLessThan(30);
      openRetry();
      const jobId = await completed;

      expect(attempts).toEqual([jobId, jobId]);
      expect(await rows(seeded.sessionId)).toBe(6);
      expect(await existing(seeded.keys.old)).toBe(0);
      expect(await existing(seeded.keys.fresh)).toBe(6);
      const audit = await db.auditEvent.findMany({ where: { teamId: team.id, action: "retention.expire" } });
      // One event for the run, resumed by the retry, counting each frame once.
      expect(audit).toHaveLength(1);
      expect(audit[0]!.data).toMatchObject({ runId: jobId, frames: 40, bytes: 40 * JPEG.length });
    } finally {
      openRetry();
      await worker.close();
      await queues.obliterate();
      await queues.close();
    }
  });

  it("the schedule is one per fleet: every worker upserting it leaves one scheduler", async () => {
    const prefix = `ret-${Math.random().toString(36).slice(2)}`;
    const connection = redisConnection(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    const a = new JobQueues(connection, prefix);
    const b = new JobQueues(connection, prefix);
    try {
      await a.scheduleRetention(60_000);
      await b.scheduleRetention(60_000);
      const schedulers = await a.retention.getJobSchedulers();
      expect(schedulers).toHaveLength(1);
      const jobs = await a.retention.getJobs(["delayed", "waiting", "prioritized"]);
      expect(jobs).toHaveLength(1);
    } finally {
      await a.obliterate();
      await a.close();
      await b.close();
    }
  });
});

describe("retention sweep in a real worker process", () => {
  it("a worker killed with SIGKILL mid-sweep leaves a state a restarted worker completes", async () => {
    const h = await startHarness("ret-kill");
    try {
      const kdb = h.testDb.db;
      const kstore = new LocalDiskFrameStore({ rootDir: h.framesDir });
      const team = await kdb.team.create({ data: { slug: "ret-kill", name: "K", retentionDays: 1 } });
      const session = await kdb.captureSession.create({
        data: {
          teamId: team.id,
          rtmsStreamId: "kill-stream",
          meetingUuid: "kill==",
          serverUrls: "wss://127.0.0.1/x",
          startedAt: new Date(Date.now() - 4 * DAY),
          endedAt: new Date(Date.now() - 3 * DAY),
          state: "STOPPED",
        },
      });
      const p = await kdb.participant.create({
        data: { sessionId: session.id, zoomUserId: "7", name: "Kim" },
      });
      // 1,500 expired frames, swept 5 per batch: the sweep runs for seconds, long enough to be killed in.
      const EXPIRED = 1_500;
      const keys: string[] = [];
      for (let start = 0; start < EXPIRED; start += 250) {
        const rowsBatch = [];
        for (let i = start; i < start + 250; i++) {
          const stored = await kstore.put(
            { sessionKey: session.id, userName: "Kim", userId: 7, timestamp: 1_000 + i, format: "jpg" },
            JPEG,
          );
          keys.push(stored.storageKey);
          rowsBatch.push({
            sessionId: session.id,
            participantId: p.id,
            zoomTimestamp: 1_000 + i,
            storageKey: stored.storageKey,
            bytes: stored.bytes,
            contentType: "image/jpeg",
            contentHash: "0".repeat(64),
          });
        }
        await insertFrames(kdb, rowsBatch);
      }
      await kdb.frame.updateMany({
        where: { sessionId: session.id },
        data: { createdAt: new Date(Date.now() - 3 * DAY) },
      });
      // A session inside the window, same team: never touched.
      const fresh = await kdb.captureSession.create({
        data: {
          teamId: team.id,
          rtmsStreamId: "kill-fresh",
          meetingUuid: "f==",
          serverUrls: "wss://127.0.0.1/x",
        },
      });
      const fp = await kdb.participant.create({
        data: { sessionId: fresh.id, zoomUserId: "8", name: "Fay" },
      });
      const freshKey = (
        await kstore.put(
          { sessionKey: fresh.id, userName: "Fay", userId: 8, timestamp: 5, format: "jpg" },
          JPEG,
        )
      ).storageKey;
      await insertFrames(kdb, [
        {
          sessionId: fresh.id,
          participantId: fp.id,
          zoomTimestamp: 5,
          storageKey: freshKey,
          bytes: JPEG.length,
          contentType: "image/jpeg",
          contentHash: "0".repeat(64),
        },
      ]);

      const env = { RETENTION_SWEEP_MS: "1000", RETENTION_BATCH_SIZE: "5" };
      const audited = async () => {
        const events = await kdb.auditEvent.findMany({
          where: { teamId: team.id, action: "retention.expire" },
        });
        return events.reduce((n, e) => n + Number((e.data as { frames: number }).frames), 0);
      };
      const first = h.spawnWorker(env);
      // The first batch is committed (its audit event exists): kill the process in the middle of the run.
      await waitUntil(
        async () => (await audited()) > 0,
        30_000,
        () => first.describe(),
      );
      first.child.kill("SIGKILL");
      await first.exited;
      const rowsAtKill = await kdb.frame.count({ where: { sessionId: session.id } });
      expect(rowsAtKill).toBeGreaterThan(0);
      expect(rowsAtKill).toBeLessThan(EXPIRED);
      expect(
        (await kdb.captureSession.findUniqueOrThrow({ where: { id: session.id } })).framesExpiredAt,
      ).toBeNull();

      // A new worker process (same Redis schedule) completes the sweep.
      const second = h.spawnWorker({ ...env, WORKER_ID: "w2" });
      await waitUntil(
        async () =>
          (await kdb.captureSession.findUniqueOrThrow({ where: { id: session.id } })).framesExpiredAt !==
          null,
        60_000,
        () => second.describe(),
      );
      expect(await kdb.frame.count({ where: { sessionId: session.id } })).toBe(0);
      let left = 0;
      for (const k of keys) if (await kstore.exists(k)) left++;
      expect(left).toBe(0);
      // Each frame counted once over the killed run and the ones after it.
      expect(await audited()).toBe(EXPIRED);
      // Inside the window: untouched, object and row.
      expect(await kdb.frame.count({ where: { sessionId: fresh.id } })).toBe(1);
      expect(await kstore.exists(freshKey)).toBe(true);
      // Metadata stays, and the team's stored bytes are its remaining rows'.
      expect((await kdb.participant.findUniqueOrThrow({ where: { id: p.id } })).frameCount).toBe(EXPIRED);
      expect((await kdb.team.findUniqueOrThrow({ where: { id: team.id } })).storedBytes).toBe(
        BigInt(JPEG.length),
      );
    } finally {
      await h.close();
    }
  }, 120_000);
});
