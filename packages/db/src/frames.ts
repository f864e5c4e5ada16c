// The batched SQL over Frame and Participant that the capture worker runs at hundreds of frames a second.
// It lives here, with the schema it depends on: one statement per batch, and participants' frame counts
// kept exact on replays (only rows really inserted or deleted are counted).
import { randomUUID } from "node:crypto";
import type { Db } from "./client.ts";

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

/**
 * Inserts frames (a replayed frame is skipped by the unique key) and adds what was really inserted to each
 * participant's frame count; the first kept frame also stamps `firstFrameAt`.
 */
export async function insertFrames(db: Db, f: readonly FrameInsert[]): Promise<void> {
  if (f.length === 0) return;
  await db.$executeRaw`
    WITH ins AS (
      INSERT INTO "Frame" ("id", "sessionId", "participantId", "zoomTimestamp", "storageKey", "bytes", "width", "height", "contentType", "contentHash")
      SELECT * FROM unnest(
        ${f.map(() => randomUUID())}::text[], ${f.map((r) => r.sessionId)}::text[],
        ${f.map((r) => r.participantId)}::text[],
        ${f.map((r) => BigInt(r.zoomTimestamp))}::bigint[], ${f.map((r) => r.storageKey)}::text[],
        ${f.map((r) => r.bytes)}::int[], ${f.map((r) => r.width ?? null)}::int[], ${f.map((r) => r.height ?? null)}::int[],
        ${f.map((r) => r.contentType)}::text[], ${f.map((r) => r.contentHash)}::text[])
      ON CONFLICT ("sessionId", "participantId", "zoomTimestamp") DO NOTHING
      RETURNING "participantId"
    ), counts AS (SELECT "participantId" AS id, count(*)::int AS n FROM ins GROUP BY 1)
    UPDATE "Participant" p SET "frameCount" = p."frameCount" + counts.n, "lastSeenAt" = now(),
      "firstFrameAt" = COALESCE(p."firstFrameAt", now())
    FROM counts WHERE p.id = counts.id`;
}

export interface FrameDelete {
  participantId: string;
  zoomTimestamp: number;
}

/** Deletes frames by participant and timestamp, and takes what was really deleted off the counts. */
export async function deleteFrames(db: Db, refs: readonly FrameDelete[]): Promise<void> {
  if (refs.length === 0) return;
  await db.$executeRaw`
    WITH del AS (
      DELETE FROM "Frame" f
      USING unnest(${refs.map((e) => e.participantId)}::text[],
                   ${refs.map((e) => BigInt(e.zoomTimestamp))}::bigint[]) AS gone(pid, ts)
      WHERE f."participantId" = gone.pid AND f."zoomTimestamp" = gone.ts
      RETURNING f."participantId"
    ), counts AS (SELECT "participantId" AS id, count(*)::int AS n FROM del GROUP BY 1)
    UPDATE "Participant" p SET "frameCount" = GREATEST(0, p."frameCount" - counts.n)
    FROM counts WHERE p.id = counts.id`;
}
