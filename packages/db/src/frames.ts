// The batched SQL over Frame and Participant that the capture worker runs at hundreds of frames a second.
// It lives here, with the schema it depends on: one statement per batch, and participants' frame counts
// kept exact on replays (only rows really inserted or deleted are counted).
import { randomUUID } from "node:crypto";
import { type Db, poolOf } from "./client.ts";

export interface FrameInsert {
  sessionId: string;
  participantId: string;
  zoomTimestamp: number;
  storageKey: string;
  bytes: number;
  width?: number;
  height?: number;
  contentType: string;
  contentHash: string;
}

export interface InsertFramesOptions {
  /**
   * Refuse frames that would take their team past Team.quotaBytes (the worker's capture path). The team
   * rows are locked in the same statement, so concurrent batches of one team (other workers) are admitted
   * one after the other against the bytes really stored: storedBytes never passes the quota.
   */
  enforceQuota?: boolean;
  /**
   * Wait for the commit to be flushed to the WAL on disk (default true). false commits this statement
   * asynchronously (`synchronous_commit = off` for its own transaction only, never the connection's): the
   * statement returns without waiting for the WAL fsync, and a crash of the Postgres server (not of the
   * caller) can lose the last batches committed, at most about 3 x `wal_writer_delay` (600 ms by
   * default), always whole statements, never half of one. The capture worker uses it for frame rows,
   * whose files are not fsynced either: the row is as durable as the file it names.
   */
  durable?: boolean;
}

export interface InsertFramesResult {
  /** Indexes into the input of frames refused because their team is at its quota (nothing was written). */
  refusedForQuota: number[];
}

/**
 * One statement with $1..$n parameters: straight on the client's pg pool when it has one (a fraction of
 * Prisma's cost per statement), else through Prisma (a transaction client), with the same text.
 *
 * On the pool it is a named prepared statement: each connection parses and plans it once, and every
 * later batch sends only its parameters. Unnamed, every batch sent the 3 KB text and Postgres parsed and
 * planned the whole CTE again, on the same cores as the worker (bench/insert-frames.ts). A pooler in
 * transaction mode (PgBouncer before 1.21) cannot hold named statements: point the worker at Postgres or
 * at a pooler in session mode.
 */
async function runSql<Row>(db: Db, name: string, text: string, params: unknown[]): Promise<Row[]> {
  const pool = poolOf(db);
  if (!pool) return db.$queryRawUnsafe<Row[]>(text, ...params);
  return (await pool.query({ name, text, values: params })).rows as Row[];
}

/**
 * Inserts frames (a replayed frame is skipped by the unique key) and adds what was really inserted to each
 * participant's frame count; the first kept frame also stamps `firstFrameAt`. Team.storedBytes follows by
 * the Frame triggers (migration 20261202015000), in this same statement.
 */
export async function insertFrames(
  db: Db,
  f: readonly FrameInsert[],
  options: InsertFramesOptions = {},
): Promise<InsertFramesResult> {
  if (f.length === 0) return { refusedForQuota: [] };
  const quota = options.enforceQuota ?? false;
  // Each row's ordinal lets the statement answer which input rows it refused.
  const rows = await runSql<{ refused: number }>(db, "capture_insert_frames", INSERT_FRAMES_SQL, [
    f.map(() => randomUUID()),
    f.map((r) => r.sessionId),
    f.map((r) => r.participantId),
    f.map((r) => BigInt(r.zoomTimestamp)),
    f.map((r) => r.storageKey),
    f.map((r) => r.bytes),
    f.map((r) => r.width ?? null),
    f.map((r) => r.height ?? null),
    f.map((r) => r.contentType),
    f.map((r) => r.contentHash),
    quota,
    options.durable ?? true,
  ]);
  return { refusedForQuota: rows.map((r) => r.refused) };
}

export interface FrameDelete {
  participantId: string;
  zoomTimestamp: number;
}

/** Deletes frames by participant and timestamp, and takes what was really deleted off the counts. */
export async function deleteFrames(db: Db, refs: readonly FrameDelete[]): Promise<void> {
  if (refs.length === 0) return;
  const pids = refs.map((e) => e.participantId);
  await db.$executeRaw`
    WITH locked AS (
      -- Team before Participant, as in insertFrames (the delete trigger updates Team): no deadlock.
      SELECT t.id FROM "Team" t
      WHERE t.id IN (SELECT s."teamId" FROM "Participant" p JOIN "CaptureSession" s ON s.id = p."sessionId"
                     WHERE p.id = ANY(${pids}::text[]))
      ORDER BY t.id FOR NO KEY UPDATE
    ), del AS (
      DELETE FROM "Frame" f
      USING unnest(${pids}::text[], ${refs.map((e) => BigInt(e.zoomTimestamp))}::bigint[]) AS gone(pid, ts)
      -- count(*), not EXISTS: every team row is locked before the first frame goes.
      WHERE (SELECT count(*) FROM locked) >= 0 AND f."participantId" = gone.pid AND f."zoomTimestamp" = gone.ts
      RETURNING f."participantId"
    ), counts AS (SELECT "participantId" AS id, count(*)::int AS n FROM del GROUP BY 1)
    UPDATE "Participant" p SET "frameCount" = GREATEST(0, p."frameCount" - counts.n)
    FROM counts WHERE p.id = counts.id`;
}

/**
 * Recomputes Team.storedBytes from the frame rows (a backstop for the triggers: e.g. rows changed by hand).
 * The team row is locked before the sum is read, so a batch inserting meanwhile either is in the sum
 * (committed before) or adds its bytes after (its trigger waits for the lock): nothing is counted twice.
 * Returns the teams whose figure was wrong, with by how much.
 */
export async function reconcileStoredBytes(
  db: Db,
  teamId?: string,
): Promise<{ teamId: string; was: bigint; now: bigint }[]> {
  const teams = teamId
    ? [{ id: teamId }]
    : await db.team.findMany({ select: { id: true }, orderBy: { id: "asc" } });
  const fixed: { teamId: string; was: bigint; now: bigint }[] = [];
  for (const t of teams) {
    const out = await db.$transaction(async (tx) => {
      const [locked] = await tx.$queryRaw<{ storedBytes: bigint }[]>`
        SELECT "storedBytes" FROM "Team" WHERE id = ${t.id} FOR NO KEY UPDATE`;
      if (!locked) return undefined;
      const [sum] = await tx.$queryRaw<{ bytes: bigint }[]>`
        SELECT COALESCE(sum(f.bytes), 0)::bigint AS bytes
        FROM "Frame" f JOIN "CaptureSession" s ON s.id = f."sessionId" WHERE s."teamId" = ${t.id}`;
      const now = sum?.bytes ?? 0n;
      if (now === locked.storedBytes) return undefined;
      await tx.$executeRaw`UPDATE "Team" SET "storedBytes" = ${now} WHERE id = ${t.id}`;
      return { teamId: t.id, was: locked.storedBytes, now };
    });
    if (out) fixed.push(out);
  }
  return fixed;
}

const INSERT_FRAMES_SQL = `
    WITH input AS (
      SELECT * FROM unnest(
        $1::text[], $2::text[],
        $3::text[],
        $4::bigint[], $5::text[],
        $6::int[], $7::int[], $8::int[],
        $9::text[], $10::text[])
        WITH ORDINALITY AS u(id, "sessionId", "participantId", "zoomTimestamp", "storageKey", bytes, width, height,
                             "contentType", "contentHash", ord)
    ), commit_mode AS (
      -- set_config(..., true) lasts until this statement's own transaction ends, after its commit record:
      -- with $12 false the commit does not wait for the WAL fsync. Read by "locked", so it always runs.
      SELECT set_config('synchronous_commit',
        CASE WHEN $12::boolean THEN current_setting('synchronous_commit') ELSE 'off' END, true) AS mode
    ), locked AS (
      -- The batch's teams are locked first, in id order, before any Participant row: every statement that
      -- touches frames takes Team before Participant (the Frame triggers update Team), so none deadlock.
      -- FOR NO KEY UPDATE returns the latest committed storedBytes after waiting for a concurrent batch.
      SELECT t.id, t."quotaBytes", t."storedBytes" FROM "Team" t
      WHERE t.id IN (SELECT s."teamId" FROM "CaptureSession" s WHERE s.id IN (SELECT "sessionId" FROM input))
        AND (SELECT mode FROM commit_mode) IS NOT NULL
      ORDER BY t.id FOR NO KEY UPDATE
    ), candidates AS (
      -- A replay of a stored frame is neither counted against the quota nor refused (its file is the
      -- stored frame's own: refusing it would delete that file). Looked up only for teams with a quota.
      -- LEFT joins: a row naming no session still reaches the INSERT and fails there as a data error.
      SELECT i.*, s."teamId", q.id AS "quotaTeam", q."quotaBytes", q."storedBytes",
        CASE WHEN q.id IS NULL THEN false ELSE EXISTS (
          SELECT 1 FROM "Frame" x WHERE x."sessionId" = i."sessionId"
            AND x."participantId" = i."participantId" AND x."zoomTimestamp" = i."zoomTimestamp") END AS replay
      FROM input i
      LEFT JOIN "CaptureSession" s ON s.id = i."sessionId"
      -- Joined whatever the option, so the lock above is always taken; its figures count only with it.
      LEFT JOIN locked lk ON lk.id = s."teamId"
      LEFT JOIN LATERAL (SELECT lk.id, lk."quotaBytes", lk."storedBytes"
                         WHERE $11::boolean AND lk."quotaBytes" IS NOT NULL) q ON true
    ), ranked AS (
      SELECT c.*, sum(CASE WHEN c.replay THEN 0 ELSE c.bytes END)
        OVER (PARTITION BY c."teamId" ORDER BY c.ord) AS running
      FROM candidates c
    ), decided AS (
      SELECT r.*, (NOT r.replay AND r."quotaTeam" IS NOT NULL AND r."storedBytes" + r.running > r."quotaBytes") AS over
      FROM ranked r
    ), ins AS (
      INSERT INTO "Frame" ("id", "sessionId", "participantId", "zoomTimestamp", "storageKey", "bytes", "width", "height", "contentType", "contentHash")
      SELECT id, "sessionId", "participantId", "zoomTimestamp", "storageKey", bytes, width, height, "contentType", "contentHash"
      FROM decided WHERE NOT over
      ON CONFLICT ("sessionId", "participantId", "zoomTimestamp") DO NOTHING
      RETURNING "participantId"
    ), counts AS (SELECT "participantId" AS id, count(*)::int AS n FROM ins GROUP BY 1
    ), upd AS (
      UPDATE "Participant" p SET "frameCount" = p."frameCount" + counts.n, "lastSeenAt" = now(),
        "firstFrameAt" = COALESCE(p."firstFrameAt", now())
      FROM counts WHERE p.id = counts.id
      RETURNING 1
    )
    SELECT (ord - 1)::int AS refused FROM decided WHERE over`;
