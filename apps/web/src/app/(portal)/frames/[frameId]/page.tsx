import Link from "next/link";
import { ActionForm } from "~/components/action-form.tsx";
import { deleteFrameAction } from "~/modules/gallery/actions.ts";
import { frameNeighbours, getFrame } from "~/modules/gallery/lib/frames.ts";
import { canEdit } from "~/modules/teams/lib/membership.ts";
import { requireMember } from "~/server/context.ts";
import { fmtDate, orNotFound } from "~/server/pages.ts";
import { db } from "~/server/services.ts";

export default async function FrameViewerPage(props: { params: Promise<{ frameId: string }> }) {
  const member = await requireMember();
  const { frameId } = await props.params;
  const frame = await orNotFound(getFrame(db(), member.teamId, frameId));
  const { newerId, olderId } = await frameNeighbours(db(), frame);
  const gallery = `/sessions/${frame.sessionId}/participants/${frame.participantId}`;
  return (
    <div className="viewer">
      <p className="small">
        <Link href={gallery}>← {frame.participant.name}</Link>
      </p>
      <div className="row">
        {newerId ? <Link href={`/frames/${newerId}`}>← Newer</Link> : <span className="muted">← Newer</span>}
        {olderId ? <Link href={`/frames/${olderId}`}>Older →</Link> : <span className="muted">Older →</span>}
        <span className="spacer" />
        <span className="muted small">
          Zoom timestamp <span className="mono">{frame.zoomTimestamp.toString()}</span> · stored{" "}
          {fmtDate(frame.createdAt)} ·{" "}
          {frame.width && frame.height ? `${frame.width}×${frame.height} · ` : ""}
          {Math.round(frame.bytes / 1024)} KB
        </span>
      </div>
      {/* biome-ignore lint/performance/noImgElement: served by the authorised frame route */}
      <img
        src={`/api/frames/${frame.id}`}
        alt={`${frame.participant.name} at ${frame.zoomTimestamp}`}
        data-testid="full-frame"
      />
      {canEdit(member) ? (
        <ActionForm
          action={deleteFrameAction.bind(null, frame.id)}
          submitLabel="Delete this frame"
          submitClassName="danger"
          confirm="Delete this frame? This cannot be undone."
        />
      ) : null}
    </div>
  );
}
