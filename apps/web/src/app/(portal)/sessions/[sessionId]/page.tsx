import Link from "next/link";
import { FramesExpiredNotice } from "~/modules/privacy/components/frames-expired-notice.tsx";
import { LiveSession } from "~/modules/sessions/components/live-session.tsx";
import { getSessionSnapshot } from "~/modules/sessions/lib/sessions.ts";
import { requireMember } from "~/server/context.ts";
import { fmtDate, orNotFound } from "~/server/pages.ts";
import { db } from "~/server/services.ts";

export default async function SessionPage(props: { params: Promise<{ sessionId: string }> }) {
  const member = await requireMember();
  const { sessionId } = await props.params;
  const snapshot = await orNotFound(getSessionSnapshot(db(), member.teamId, sessionId));
  return (
    <>
      <p className="small">
        <Link href="/sessions">← Sessions</Link>
      </p>
      <h1>{snapshot.meetingName ?? "Unregistered meeting"}</h1>
      <p className="muted small">
        Started {fmtDate(snapshot.startedAt)} · stream <span className="mono">{snapshot.rtmsStreamId}</span> ·
        meeting <span className="mono">{snapshot.meetingUuid}</span>
      </p>
      <FramesExpiredNotice teamId={member.teamId} sessionId={sessionId} />
      <LiveSession initial={snapshot} />
    </>
  );
}
