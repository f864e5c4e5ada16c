// On a session's page: says when retention removed its frames (its times, participants and counts stay).
import { fmtDate } from "~/server/pages.ts";
import { db } from "~/server/services.ts";

export async function FramesExpiredNotice({ teamId, sessionId }: { teamId: string; sessionId: string }) {
  const s = await db().captureSession.findFirst({
    where: { id: sessionId, teamId },
    select: { framesExpiredAt: true },
  });
  if (!s?.framesExpiredAt) return null;
  return (
    <p className="notice" data-testid="frames-expired">
      Frames expired {fmtDate(s.framesExpiredAt)}: the team's retention removed them. Times, participants and
      counts are kept.
    </p>
  );
}
