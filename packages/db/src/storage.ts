// The SQL of storage limits (issue 13): the low-disk guard's "delete oldest first" (any team, objects first
// then rows, audited per team with counts), the revoked-stream purge with its counts, and the rows the
// portal reads (quota usage, the workers' disk state). Team.storedBytes itself is kept by the Frame
// triggers (migration 20261202015000) and reconcileStoredBytes (frames.ts).
import type { Db } from "./client.ts";

export interface OldFrame {
  id: string;
  storageKey: string;
  bytes: number;
  teamId: string;
}

/** The `limit` oldest frames of every team, by when their row was written. */
export async function oldestFrames(db: Db, limit: number): Promise<OldFrame[]> {
  return db.$queryRaw<OldFrame[]>`
    SELECT f.id, f."storageKey", f.bytes, s."teamId"
    FROM "Frame" f JOIN "CaptureSession" s ON s.id = f."sessionId"
    ORDER BY f."createdAt", f.id LIMIT ${limit}`;
}

/** One audit event per team and low-disk sweep; each batch adds its counts in the same transaction. */
export interface DiskSweepRun {
  runId: string;
  workerId: string;
  floorBytes: number;
  freeBytesBefore: number;
}

function sweepAuditId(run: DiskSweepRun, teamId: string): string {
  return `lowdisk_${run.runId}_${teamId}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 190);
}

/**
 * Deletes the rows of frames whose objects the guard already deleted, and adds what was really deleted to
 * each team's `storage.low_disk_delete` audit event for this sweep. Participants keep their frame counts
 * (history), as with retention.
 */
export async function deleteFramesForDisk(
  db: Db,
  run: DiskSweepRun,
  frameIds: readonly string[],
): Promise<{ frames: number; bytes: number }> {
  if (frameIds.length === 0) return { frames: 0, bytes: 0 };
  return db.$transaction(async (tx) => {
    const perTeam = await tx.$queryRaw<{ teamId: string; frames: number; bytes: bigint }[]>`
      WITH del AS (DELETE FROM "Frame" WHERE id = ANY(${frameIds as string[]}::text[])
                   RETURNING "sessionId", bytes)
      SELECT s."teamId", count(*)::int AS frames, COALESCE(sum(del.bytes), 0)::bigint AS bytes
      FROM del JOIN "CaptureSession" s ON s.id = del."sessionId" GROUP BY 1 ORDER BY 1`;
    let frames = 0;
    let bytes = 0;
    for (const t of perTeam) {
      frames += t.frames;
      bytes += Number(t.bytes);
      const initial = JSON.stringify({
        runId: run.runId,
        workerId: run.workerId,
        floorBytes: run.floorBytes,
        freeBytesBefore: run.freeBytesBefore,
        frames: t.frames,
        bytes: Number(t.bytes),
      });
      await tx.$executeRaw`
        INSERT INTO "AuditEvent" ("id", "teamId", "action", "targetType", "targetId", "data")
        VALUES (${sweepAuditId(run, t.teamId)}, ${t.teamId}, 'storage.low_disk_delete', 'team', ${t.teamId},
                ${initial}::jsonb)
        ON CONFLICT ("id") DO UPDATE SET "data" = "AuditEvent"."data" || jsonb_build_object(
          'frames', ("AuditEvent"."data"->>'frames')::bigint + ${t.frames}::bigint,
          'bytes', ("AuditEvent"."data"->>'bytes')::bigint + ${t.bytes}::bigint)`;
    }
    return { frames, bytes };
  });
}

/**
 * Stream revoked: deletes every Frame row of the session, zeroes its participants' counts, and says what
 * went (Team.storedBytes follows by trigger).
 */
export async function purgeSessionFrames(
  db: Db,
  sessionId: string,
): Promise<{ frames: number; bytes: number }> {
  return db.$transaction(async (tx) => {
    const [res] = await tx.$queryRaw<{ frames: number; bytes: bigint }[]>`
      WITH del AS (DELETE FROM "Frame" WHERE "sessionId" = ${sessionId} RETURNING bytes)
      SELECT count(*)::int AS frames, COALESCE(sum(bytes), 0)::bigint AS bytes FROM del`;
    await tx.participant.updateMany({ where: { sessionId }, data: { frameCount: 0 } });
    return { frames: res?.frames ?? 0, bytes: Number(res?.bytes ?? 0) };
  });
}

/** Adds frames capture did not store to a session's counts, by reason (the session page shows them). */
export async function addSessionDrops(
  db: Db,
  drops: readonly { sessionId: string; quota: number; lowDisk: number }[],
): Promise<void> {
  if (drops.length === 0) return;
  await db.$executeRaw`
    UPDATE "CaptureSession" s SET
      "quotaDroppedFrames" = s."quotaDroppedFrames" + d.quota,
      "lowDiskDroppedFrames" = s."lowDiskDroppedFrames" + d.low
    FROM unnest(${drops.map((d) => d.sessionId)}::text[], ${drops.map((d) => d.quota)}::int[],
                ${drops.map((d) => d.lowDisk)}::int[]) AS d(id, quota, low)
    WHERE s.id = d.id`;
}

export interface TeamUsage {
  teamId: string;
  quotaBytes: bigint | null;
  storedBytes: bigint;
}

/** Teams with a quota: what the worker's capture path checks before writing a frame. */
export async function teamsWithQuota(db: Db): Promise<TeamUsage[]> {
  return db.$queryRaw<TeamUsage[]>`
    SELECT id AS "teamId", "quotaBytes", "storedBytes" FROM "Team" WHERE "quotaBytes" IS NOT NULL`;
}

export interface DiskStateReport {
  workerId: string;
  lowDisk: boolean;
  freeBytes: number;
  totalBytes: number;
  floorBytes: number;
  deleteOldest: boolean;
  /** How long the row speaks for the worker without a newer report. */
  ttlMs: number;
}

/** The worker's heartbeat: its latest disk reading. lowSince is kept while the state stays low. */
export async function reportDiskState(db: Db, r: DiskStateReport): Promise<void> {
  await db.$executeRaw`
    INSERT INTO "WorkerDiskState" ("workerId", "lowDisk", "freeBytes", "totalBytes", "floorBytes",
                                   "deleteOldest", "lowSince", "updatedAt", "expiresAt")
    VALUES (${r.workerId}, ${r.lowDisk}, ${BigInt(Math.floor(r.freeBytes))}, ${BigInt(Math.floor(r.totalBytes))},
            ${BigInt(Math.floor(r.floorBytes))}, ${r.deleteOldest}, CASE WHEN ${r.lowDisk} THEN now() END, now(),
            now() + make_interval(secs => ${r.ttlMs / 1000}))
    ON CONFLICT ("workerId") DO UPDATE SET
      "lowDisk" = EXCLUDED."lowDisk", "freeBytes" = EXCLUDED."freeBytes", "totalBytes" = EXCLUDED."totalBytes",
      "floorBytes" = EXCLUDED."floorBytes", "deleteOldest" = EXCLUDED."deleteOldest",
      "lowSince" = CASE WHEN EXCLUDED."lowDisk" THEN COALESCE("WorkerDiskState"."lowSince", now()) END,
      "updatedAt" = now(), "expiresAt" = EXCLUDED."expiresAt"`;
}

/** Workers whose latest, unexpired report says their local store is below its floor. */
export async function lowDiskWorkers(db: Db) {
  return db.workerDiskState.findMany({
    where: { lowDisk: true, expiresAt: { gt: new Date() } },
    orderBy: { workerId: "asc" },
  });
}
