import Link from "next/link";
import { notFound } from "next/navigation";
import { ActionForm } from "~/components/action-form.tsx";
import { recordAccess } from "~/modules/audit/lib/access.ts";
import { deleteParticipantFramesAction } from "~/modules/gallery/actions.ts";
import { listFramesPage, parseCursor } from "~/modules/gallery/lib/frames.ts";
import { formatMs, getParticipantCoverage } from "~/modules/sessions/lib/coverage.ts";
import { canEdit } from "~/modules/teams/lib/membership.ts";
import { requestAddress, requireMember } from "~/server/context.ts";
import { orNotFound } from "~/server/pages.ts";
import { db } from "~/server/services.ts";

export default async function GalleryPage(props: {
  params: Promise<{ sessionId: string; participantId: string }>;
  searchParams: Promise<{ before?: string }>;
}) {
  const member = await requireMember();
  const { sessionId, participantId } = await props.params;
  const { before } = await props.searchParams;
  const page = await orNotFound(
    listFramesPage(db(), member.teamId, participantId, { before: parseCursor(before) }),
  );
  if (page.session.id !== sessionId) notFound();
  const p = page.participant;
  // One event per gallery page (its thumbnails are not audited one by one).
  await recordAccess(
    db(),
    member,
    {
      action: "gallery.view",
      targetType: "participant",
      targetId: p.id,
      data: { sessionId, frames: page.frames.length },
    },
    await requestAddress(),
  );
  const camera = await getParticipantCoverage(db(), member.teamId, p.id);
  return (
    <>
      <p className="small">
        <Link href={`/sessions/${sessionId}`}>← {page.session.meetingName ?? "Session"}</Link>
      </p>
      <div className="row">
        <h1 data-testid="gallery-title">
          {p.name} {p.isRoom ? <span className="badge">Zoom Room</span> : null}
        </h1>
        <span className="spacer" />
        <span className="muted" data-testid="gallery-count">
          {p.frameCount} frames
        </span>
        {p.frameCount > 0 ? (
          <a className="button secondary" href={`/api/participants/${p.id}/zip`} data-testid="zip-download">
            Download zip
          </a>
        ) : null}
      </div>
      <p className="muted small" data-testid="participant-camera">
        Zoom user id <span className="mono">{p.zoomUserId}</span>
        {camera?.cameraEverOn ? (
          <>
            {" "}
            · camera {camera.videoOn ? "on" : "off"}, on for {formatMs(camera.cameraOnMs)} · time to first
            frame {formatMs(camera.timeToFirstFrameMs)}{" "}
            {camera.uncovered ? <span className="badge uncovered">no frames yet</span> : null}
          </>
        ) : (
          " · camera never on"
        )}
      </p>
      {page.frames.length === 0 ? (
        <p className="muted">No frames kept for this participant{before ? " before this point" : ""}.</p>
      ) : (
        <div className="gallery" data-testid="gallery">
          {page.frames.map((f) => (
            <figure key={f.id}>
              <Link href={`/frames/${f.id}`}>
                {/* biome-ignore lint/performance/noImgElement: frames come from an authorised route, not next/image */}
                <img
                  src={`/api/frames/${f.id}?size=thumb`}
                  alt={`${p.name} at ${f.zoomTimestamp}`}
                  loading="lazy"
                  decoding="async"
                />
              </Link>
              <figcaption>
                <span className="mono">{f.zoomTimestamp}</span>
                <span>{Math.round(f.bytes / 1024)} KB</span>
              </figcaption>
            </figure>
          ))}
        </div>
      )}
      <p className="row">
        {before ? <Link href={`/sessions/${sessionId}/participants/${p.id}`}>⇤ Newest</Link> : null}
        {page.nextCursor ? (
          <Link
            href={`/sessions/${sessionId}/participants/${p.id}?before=${page.nextCursor}`}
            data-testid="older"
          >
            Older frames →
          </Link>
        ) : null}
      </p>
      {canEdit(member) && p.frameCount > 0 ? (
        <>
          <h2>Delete</h2>
          <ActionForm
            action={deleteParticipantFramesAction.bind(null, p.id)}
            submitLabel={`Delete all ${p.frameCount} frames of ${p.name}`}
            submitClassName="danger"
            confirm={`Delete all frames of ${p.name}? This cannot be undone.`}
          />
        </>
      ) : null}
    </>
  );
}
