// The SQL of retention: which sessions hold frames past their team's (or meeting's) retention, the next
// batch of those frames, and deleting a batch's rows together with the audit counts. The worker deletes the
// batch's objects before calling deleteExpiredRows, so a crash anywhere leaves rows that are simply found
// and deleted again on the next run (deleting a missing object is not an error): idempotent and resumable.
import type { Db } from "./client.ts";

/** A session that may hold expired frames, with the instant before which its frames have expired. */
export interface RetentionCandidate {
  sessionId: string;
  teamId: string;
  /** The effective retention: the meeting's override, else the team's. */
  days: number;
  /** Frames created before this instant are expired. */
  cutoff: Date;
  /** True when no frame can be inside the window any more: the session ended before the cutoff. */
  complete: boolean;
}

const DAY_MS = 86_400_000;

/**
 * Sessions with an effective retention whose frames may have expired, oldest first. With 0 days a session's
 * frames expire when it ends (a live session keeps its frames); with N days a frame expires N days after it
 * was written, even while its session still runs.
 */
export async function retentionCandidates(db: Db, now: Date): Promise<RetentionCandidate[]> {
  const rows = await db.$queryRaw<
    { sessionId: string; teamId: string; days: number; endedAt: Date | null }[]
  >`
    SELECT s.id AS "sessionId", s."teamId", COALESCE(m."retentionDays", t."retentionDays") AS days, s."endedAt"
    FROM "CaptureSession" s
    JOIN "Team" t ON t.id = s."teamId"
    LEFT JOIN "Meeting" m ON m.id = s."meetingId"
    WHERE s."framesExpiredAt" IS NULL
      AND COALESCE(m."retentionDays", t."retentionDays") IS NOT NULL
      AND (
        (COALESCE(m."retentionDays", t."retentionDays") = 0 AND s."endedAt" IS NOT NULL)
        OR (COALESCE(m."retentionDays", t."retentionDays") > 0
            AND s."startedAt" < ${now}::timestamp - make_interval(days => COALESCE(m."retentionDays", t."retentionDays")))
      )
    ORDER BY s."startedAt"`;
  return rows.map((r) => {
    const cutoff = r.days === 0 ? now : new Date(now.getTime() - r.days * DAY_MS);
    return {
      sessionId: r.sessionId,
      teamId: r.teamId,
      days: r.days,
      cutoff,
      complete: r.endedAt !== null && r.endedAt.getTime() <= cutoff.getTime(),
    };
  });
}

export interface ExpiredFrame {
  id: string;
  storageKey: string;
}

/** The next `limit` frames of a session written before `cutoff` (by id, so a rerun walks the same set). */
export async function expiredFramesBatch(
  db: Db,
  sessionId: string,
  cutoff: Date,
  limit: number,
): Promise<ExpiredFrame[]> {
  return db.$queryRaw<ExpiredFrame[]>`
    SELECT id, "storageKey" FROM "Frame"
    WHERE "sessionId" = ${sessionId} AND "createdAt" < ${cutoff}::timestamp
    ORDER BY id LIMIT ${limit}`;
}

/** One audit event per team and retention run; each batch adds to its counts in the same transaction. */
export interface RetentionRun {
  /** Stable across retries of the same run (the job id), so a resumed run adds to the same event. */
  runId: string;
  teamId: string;
}

export function retentionAuditId(run: RetentionRun): string {
  return `retention_${run.runId}_${run.teamId}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 190);
}

async function addToRunAudit(
  tx: Pick<Db, "$executeRaw">,
  run: RetentionRun,
  add: { frames: number; bytes: number; sessions: number },
): Promise<void> {
  const initial = JSON.stringify({
    runId: run.runId,
    frames: add.frames,
    bytes: add.bytes,
    sessionsExpired: add.sessions,
  });
  await tx.$executeRaw`
    INSERT INTO "AuditEvent" ("id", "teamId", "action", "targetType", "targetId", "data")
    VALUES (${retentionAuditId(run)}, ${run.teamId}, 'retention.expire', 'team', ${run.teamId}, ${initial}::jsonb)
    ON CONFLICT ("id") DO UPDATE SET "data" = "AuditEvent"."data" || jsonb_build_object(
      'frames', ("AuditEvent"."data"->>'frames')::bigint + ${add.frames}::bigint,
      'bytes', ("AuditEvent"."data"->>'bytes')::bigint + ${add.bytes}::bigint,
      'sessionsExpired', ("AuditEvent"."data"->>'sessionsExpired')::bigint + ${add.sessions}::bigint)`;
}

/**
 * Deletes the rows of a batch whose objects are already gone, and adds what was really deleted to the run's
 * audit event, in one transaction. Participants' frame counts are kept: they are the session's history.
 */
export async function deleteExpiredRows(
  db: Db,
  run: RetentionRun,
  frameIds: readonly string[],
): Promise<{ frames: number; bytes: number }> {
  if (frameIds.length === 0) return { frames: 0, bytes: 0 };
  return db.$transaction(async (tx) => {
    const [res] = await tx.$queryRaw<{ frames: number; bytes: bigint }[]>`
      WITH del AS (DELETE FROM "Frame" WHERE id = ANY(${frameIds as string[]}::text[]) RETURNING bytes)
      SELECT count(*)::int AS frames, COALESCE(sum(bytes), 0)::bigint AS bytes FROM del`;
    const out = { frames: res?.frames ?? 0, bytes: Number(res?.bytes ?? 0) };
    if (out.frames > 0) await addToRunAudit(tx, run, { ...out, sessions: 0 });
    return out;
  });
}

/**
 * Marks a session "frames expired" once it has no frame left (its metadata stays). False when a frame is
 * still there (e.g. written after the batch was read) or the session was already marked.
 */
export async function markFramesExpired(db: Db, run: RetentionRun, sessionId: string): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const n = await tx.$executeRaw`
      UPDATE "CaptureSession" SET "framesExpiredAt" = now(), "updatedAt" = now()
      WHERE id = ${sessionId} AND "framesExpiredAt" IS NULL
        AND NOT EXISTS (SELECT 1 FROM "Frame" WHERE "sessionId" = ${sessionId})`;
    if (n > 0) await addToRunAudit(tx, run, { frames: 0, bytes: 0, sessions: 1 });
    return n > 0;
  });
}
