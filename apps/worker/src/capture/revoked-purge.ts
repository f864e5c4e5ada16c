// Stop reason 8 (STOP_BC_STREAM_REVOKED): the session's frames are purged (FramePipeline.purge). This pass
// re-reads the store (a listing of the session's folder) and the database (its Frame rows) and records an
// AuditEvent with what went and what the verification found: "0 remaining" is a fact someone checked,
// not an assumption. A leftover is logged as an error with the counts (the audit event says it too).
import type { Db } from "@capture/db";
import type { FrameStore } from "@capture/rtms-core/frames";
import type { Logger } from "../logger.ts";

export interface PurgeCounts {
  objects: number;
  frames: number;
  bytes: number;
}

export interface PurgeVerification {
  remainingRows: number;
  remainingObjects: number;
}

export async function verifyRevokedPurge(
  deps: { db: Db; store: Pick<FrameStore, "list">; log: Logger },
  o: { teamId: string; sessionId: string; purged: PurgeCounts },
): Promise<PurgeVerification> {
  const remainingRows = await deps.db.frame.count({ where: { sessionId: o.sessionId } });
  let remainingObjects = 0;
  for await (const _ of deps.store.list(`${o.sessionId}/`)) remainingObjects++;
  const verification = { remainingRows, remainingObjects };
  await deps.db.auditEvent.create({
    data: {
      teamId: o.teamId,
      action: "session.revoked_purge",
      targetType: "session",
      targetId: o.sessionId,
      data: { ...o.purged, ...verification },
    },
  });
  if (remainingRows + remainingObjects > 0)
    deps.log.error(
      { sessionId: o.sessionId, ...o.purged, ...verification },
      "stream revoked: frames remain after the purge",
    );
  else
    deps.log.warn(
      { sessionId: o.sessionId, ...o.purged, ...verification },
      "stream revoked: its frames were deleted; verified 0 remaining",
    );
  return verification;
}
