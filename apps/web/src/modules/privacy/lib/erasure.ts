// Erasing a person: an admin finds a team's participants by name or Zoom user id across every session, sees
// what exists, and erases it in one action. Objects (and this replica's cached thumbnails) go first, then
// the rows, in one transaction with the audit event; names and Zoom user ids become a tombstone, and the
// person's session events lose their user id and details. A verification pass then re-reads the database
// and the store. The audit records counts only: never the name or the search text.
import type { Db } from "@capture/db";
import { type FrameStore, frameStorageKey } from "@capture/rtms-core/frames";
import { z } from "zod";
import { recordAudit } from "~/modules/audit/lib/audit.ts";
import { type Member, requireRole } from "~/modules/teams/lib/membership.ts";
import { AppError } from "~/server/errors.ts";
import { Id } from "~/server/validation.ts";

export const ERASED_NAME = "Erased participant";

/** Participant rows a search shows at most: a person in more sessions than this is searched more narrowly. */
export const SEARCH_LIMIT = 200;

export const PersonQuery = z
  .string()
  .trim()
  .min(2, "Enter at least 2 characters of a name, or a Zoom user id")
  .max(120);

export const EraseInput = z.object({
  participantIds: z.array(Id).min(1, "Select at least one participant").max(SEARCH_LIMIT),
});

export interface PersonMatch {
  participantId: string;
  sessionId: string;
  sessionStartedAt: Date;
  name: string;
  zoomUserId: string;
  frames: number;
  bytes: number;
}

export interface PersonSearch {
  matches: PersonMatch[];
  sessions: number;
  frames: number;
  bytes: number;
}

/** Participants of the team whose name contains the query (any case) or whose Zoom user id is it. */
export async function searchPeople(db: Db, actor: Member, rawQuery: string): Promise<PersonSearch> {
  requireRole(actor, "ADMIN");
  const q = PersonQuery.parse(rawQuery);
  const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await db.$queryRaw<
    {
      participantId: string;
      sessionId: string;
      sessionStartedAt: Date;
      name: string;
      zoomUserId: string;
      frames: number;
      bytes: bigint;
    }[]
  >`
    SELECT p.id AS "participantId", p."sessionId", s."startedAt" AS "sessionStartedAt", p.name, p."zoomUserId",
      (SELECT count(*)::int FROM "Frame" f WHERE f."participantId" = p.id) AS frames,
      (SELECT COALESCE(sum(f.bytes), 0)::bigint FROM "Frame" f WHERE f."participantId" = p.id) AS bytes
    FROM "Participant" p JOIN "CaptureSession" s ON s.id = p."sessionId"
    WHERE s."teamId" = ${actor.teamId} AND p."erasedAt" IS NULL
      AND (p.name ILIKE ${like} OR p."zoomUserId" = ${q})
    ORDER BY s."startedAt" DESC, p.id
    LIMIT ${SEARCH_LIMIT}`;
  const matches = rows.map((r) => ({ ...r, bytes: Number(r.bytes) }));
  return {
    matches,
    sessions: new Set(matches.map((m) => m.sessionId)).size,
    frames: matches.reduce((n, m) => n + m.frames, 0),
    bytes: matches.reduce((n, m) => n + m.bytes, 0),
  };
}

export interface ErasureDeps {
  db: Db;
  store: Pick<FrameStore, "delete" | "exists" | "list">;
  thumbnails: { delete(frameId: string): Promise<void> };
  log: { warn: (o: object, m: string) => void };
}

export interface Verification {
  remainingRows: number;
  remainingObjects: number;
}

export interface ErasureResult extends Verification {
  participants: number;
  sessions: number;
  frames: number;
  bytes: number;
}

interface Target {
  id: string;
  sessionId: string;
  name: string;
  zoomUserId: string;
  /** Where the worker put this participant's files: `<session>/<user_name>_<user_id>/`. */
  folder: string;
}

function participantFolder(p: { sessionId: string; name: string; zoomUserId: string }): string {
  const key = frameStorageKey({
    sessionKey: p.sessionId,
    userName: p.name,
    userId: p.zoomUserId,
    timestamp: 0,
    format: "jpg",
  });
  return key.slice(0, key.lastIndexOf("/") + 1);
}

async function deleteObjects(deps: ErasureDeps, frames: { id: string; storageKey: string }[]) {
  let next = 0;
  const lane = async () => {
    while (next < frames.length) {
      const f = frames[next++]!;
      // A store failure stops the erasure before any row goes: nothing is left that no row points at.
      await deps.store.delete(f.storageKey);
      await deps.thumbnails
        .delete(f.id)
        .catch((err) => deps.log.warn({ err, frameId: f.id }, "thumbnail not deleted"));
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, frames.length) }, lane));
}

/** Re-reads the database and the store for what is left of the erased participants. */
export async function verifyErasure(
  deps: Pick<ErasureDeps, "db" | "store">,
  targets: readonly Pick<Target, "id" | "sessionId" | "folder">[],
  keys: readonly string[],
): Promise<Verification> {
  const remainingRows = await deps.db.frame.count({
    where: { participantId: { in: targets.map((t) => t.id) } },
  });
  let remainingObjects = 0;
  for (const key of keys) if (await deps.store.exists(key)) remainingObjects++;
  // Files no row names any more (a write that raced the erasure, an older orphan) are found by folder.
  for (const folder of new Set(targets.map((t) => t.folder))) {
    for await (const o of deps.store.list(folder)) {
      if (o.storageKey.startsWith(folder) && !keys.includes(o.storageKey)) remainingObjects++;
    }
  }
  return { remainingRows, remainingObjects };
}

export async function erasePeople(
  deps: ErasureDeps,
  actor: Member,
  participantIds: readonly string[],
  ip?: string | null,
): Promise<ErasureResult> {
  requireRole(actor, "ADMIN");
  const { participantIds: ids } = EraseInput.parse({ participantIds: [...new Set(participantIds)] });
  const found = await deps.db.participant.findMany({
    where: { id: { in: ids }, erasedAt: null, session: { teamId: actor.teamId } },
    select: { id: true, sessionId: true, name: true, zoomUserId: true },
  });
  if (found.length !== ids.length) throw new AppError("NOT_FOUND", "Some participants were not found");
  const targets: Target[] = found.map((p) => ({ ...p, folder: participantFolder(p) }));

  const allKeys: string[] = [];
  let frames = 0;
  let bytes = 0;
  // A live session may still write frames for someone being erased: up to three passes pick those up.
  for (let pass = 0; pass < 3; pass++) {
    const batch = await deps.db.frame.findMany({
      where: { participantId: { in: ids } },
      select: { id: true, storageKey: true, bytes: true },
    });
    if (batch.length === 0 && pass > 0) break;
    await deleteObjects(deps, batch);
    // Orphans in the person's folders (no row) go too.
    for (const t of targets) {
      for await (const o of deps.store.list(t.folder)) {
        if (o.storageKey.startsWith(t.folder)) await deps.store.delete(o.storageKey);
      }
    }
    const deleted = await deps.db.frame.deleteMany({ where: { id: { in: batch.map((f) => f.id) } } });
    allKeys.push(...batch.map((f) => f.storageKey));
    frames += deleted.count;
    bytes += batch.reduce((n, f) => n + f.bytes, 0);
  }

  const sessions = new Set(targets.map((t) => t.sessionId)).size;
  await deps.db.$transaction(async (tx) => {
    const now = new Date();
    for (const t of targets) {
      // The tombstone keeps (session, zoomUserId) unique and says nothing of the person.
      const tombstone = `erased-${t.id}`;
      await tx.participant.update({
        where: { id: t.id },
        data: { name: ERASED_NAME, zoomUserId: tombstone, erasedAt: now, frameCount: 0 },
      });
      // Events about the person keep their type and time; their details may hold the name.
      await tx.$executeRaw`UPDATE "SessionEvent" SET "zoomUserId" = ${tombstone}, data = NULL
        WHERE "sessionId" = ${t.sessionId} AND "zoomUserId" = ${t.zoomUserId}`;
    }
    // Earlier audit entries about these participants (a gallery delete) lose the name they recorded.
    await tx.$executeRaw`UPDATE "AuditEvent" SET data = data - 'name'
      WHERE "teamId" = ${actor.teamId} AND "targetType" = 'participant'
        AND "targetId" = ANY(${ids as string[]}::text[]) AND data ? 'name'`;
  });
  const verification = await verifyErasure(deps, targets, allKeys);
  await recordAudit(deps.db, {
    teamId: actor.teamId,
    actorUserId: actor.userId,
    action: "person.erase",
    targetType: "participants",
    data: { participants: targets.length, sessions, frames, bytes, ...verification },
    ip,
  });
  return { participants: targets.length, sessions, frames, bytes, ...verification };
}
