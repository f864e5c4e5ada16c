// Deleting frames: the rows (and the participant's count) go in one transaction with the audit entry; the
// files and cached thumbnails go after the commit. A file that fails to delete is logged and left as an
// orphan, never the other way round (a row pointing at nothing).
import type { Db } from "@capture/db";
import { recordAudit } from "~/modules/audit/lib/audit.ts";
import { type Member, requireRole } from "~/modules/teams/lib/membership.ts";
import type { FrameFiles } from "./frame-files.ts";
import { getFrame, getParticipant } from "./frames.ts";
import type { ThumbnailCache } from "./thumbnails.ts";

export interface DeleteDeps {
  db: Db;
  store: FrameFiles;
  thumbnails: Pick<ThumbnailCache, "delete">;
  log: { warn: (o: object, m: string) => void };
}

async function removeFiles(deps: DeleteDeps, frames: { id: string; storageKey: string }[]) {
  const CONCURRENCY = 16;
  let next = 0;
  const worker = async () => {
    while (next < frames.length) {
      const f = frames[next++]!;
      await Promise.all([
        deps.store
          .delete(f.storageKey)
          .catch((err) => deps.log.warn({ err, storageKey: f.storageKey }, "frame file not deleted")),
        deps.thumbnails
          .delete(f.id)
          .catch((err) => deps.log.warn({ err, frameId: f.id }, "thumbnail not deleted")),
      ]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, frames.length) }, worker));
}

export async function deleteFrame(deps: DeleteDeps, actor: Member, frameId: string, ip?: string | null) {
  requireRole(actor, "ADMIN");
  const frame = await getFrame(deps.db, actor.teamId, frameId);
  await deps.db.$transaction(async (tx) => {
    const { count } = await tx.frame.deleteMany({ where: { id: frame.id } });
    if (count > 0) {
      await tx.participant.updateMany({
        where: { id: frame.participantId, frameCount: { gt: 0 } },
        data: { frameCount: { decrement: 1 } },
      });
    }
    await recordAudit(tx, {
      teamId: actor.teamId,
      actorUserId: actor.userId,
      action: "frame.delete",
      targetType: "frame",
      targetId: frame.id,
      data: {
        participantId: frame.participantId,
        sessionId: frame.sessionId,
        zoomTimestamp: frame.zoomTimestamp.toString(),
      },
      ip,
    });
  });
  await removeFiles(deps, [frame]);
  return { participantId: frame.participantId, sessionId: frame.sessionId };
}

export async function deleteParticipantFrames(
  deps: DeleteDeps,
  actor: Member,
  participantId: string,
  ip?: string | null,
) {
  requireRole(actor, "ADMIN");
  const participant = await getParticipant(deps.db, actor.teamId, participantId);
  const frames = await deps.db.frame.findMany({
    where: { participantId },
    select: { id: true, storageKey: true },
  });
  await deps.db.$transaction(async (tx) => {
    await tx.frame.deleteMany({ where: { id: { in: frames.map((f) => f.id) } } });
    // Frames the worker wrote meanwhile stay, and so does their share of the count.
    const remaining = await tx.frame.count({ where: { participantId } });
    await tx.participant.update({ where: { id: participantId }, data: { frameCount: remaining } });
    await recordAudit(tx, {
      teamId: actor.teamId,
      actorUserId: actor.userId,
      action: "frames.delete_all",
      targetType: "participant",
      targetId: participantId,
      data: { sessionId: participant.sessionId, name: participant.name, frames: frames.length },
      ip,
    });
  });
  await removeFiles(deps, frames);
  return { deleted: frames.length, sessionId: participant.sessionId };
}
