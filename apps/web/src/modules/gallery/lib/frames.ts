// Frames of one participant, always reached through the team: participant -> session -> teamId.
// Keyset pagination on (participantId, zoomTimestamp), which the Frame index covers, so page 150 of a
// 10,000-frame gallery costs what page 1 does.
import type { Db } from "@capture/db";
import { AppError } from "~/server/errors.ts";

export const GALLERY_PAGE_SIZE = 60;

export interface GalleryFrame {
  id: string;
  zoomTimestamp: string;
  bytes: number;
  width: number | null;
  height: number | null;
}

export interface GalleryPage {
  participant: { id: string; name: string; zoomUserId: string; frameCount: number; isRoom: boolean };
  session: { id: string; state: string; meetingName: string | null };
  frames: GalleryFrame[];
  /** zoomTimestamp of the last frame shown; pass as `before` for the next (older) page. */
  nextCursor: string | null;
}

export const parseCursor = (raw: string | null | undefined): bigint | undefined =>
  raw && /^\d{1,20}$/.test(raw) ? BigInt(raw) : undefined;

export async function getParticipant(db: Db, teamId: string, participantId: string) {
  const p = await db.participant.findFirst({
    where: { id: participantId, session: { teamId } },
    include: { session: { select: { id: true, state: true, meeting: { select: { name: true } } } } },
  });
  if (!p) throw new AppError("NOT_FOUND", "No such participant");
  return p;
}

/** Newest first. */
export async function listFramesPage(
  db: Db,
  teamId: string,
  participantId: string,
  opts: { before?: bigint; limit?: number } = {},
): Promise<GalleryPage> {
  const limit = Math.min(Math.max(opts.limit ?? GALLERY_PAGE_SIZE, 1), 500);
  const p = await getParticipant(db, teamId, participantId);
  const rows = await db.frame.findMany({
    where: { participantId, ...(opts.before === undefined ? {} : { zoomTimestamp: { lt: opts.before } }) },
    select: { id: true, zoomTimestamp: true, bytes: true, width: true, height: true },
    orderBy: { zoomTimestamp: "desc" },
    take: limit + 1,
  });
  const frames = rows.slice(0, limit).map((f) => ({ ...f, zoomTimestamp: f.zoomTimestamp.toString() }));
  return {
    participant: {
      id: p.id,
      name: p.name,
      zoomUserId: p.zoomUserId,
      frameCount: p.frameCount,
      isRoom: p.roomId !== null,
    },
    session: { id: p.session.id, state: p.session.state, meetingName: p.session.meeting?.name ?? null },
    frames,
    nextCursor: rows.length > limit ? (frames.at(-1)?.zoomTimestamp ?? null) : null,
  };
}

/** A frame of this team, or NOT_FOUND (also for another team's frame id). */
export async function getFrame(db: Db, teamId: string, frameId: string) {
  const frame = await db.frame.findFirst({
    where: { id: frameId, session: { teamId } },
    include: { participant: { select: { id: true, name: true, zoomUserId: true } } },
  });
  if (!frame) throw new AppError("NOT_FOUND", "No such frame");
  return frame;
}

/** The neighbours of a frame in its participant's gallery (newest first), for the viewer's prev/next. */
export async function frameNeighbours(db: Db, frame: { participantId: string; zoomTimestamp: bigint }) {
  const [newer, older] = await Promise.all([
    db.frame.findFirst({
      where: { participantId: frame.participantId, zoomTimestamp: { gt: frame.zoomTimestamp } },
      orderBy: { zoomTimestamp: "asc" },
      select: { id: true },
    }),
    db.frame.findFirst({
      where: { participantId: frame.participantId, zoomTimestamp: { lt: frame.zoomTimestamp } },
      orderBy: { zoomTimestamp: "desc" },
      select: { id: true },
    }),
  ]);
  return { newerId: newer?.id ?? null, olderId: older?.id ?? null };
}

/** File names inside exports: the frame's Zoom timestamp, never anything taken from user names. */
export const exportName = (zoomTimestamp: bigint | string, contentType: string) =>
  `${zoomTimestamp}.${contentType === "image/png" ? "png" : "jpg"}`;
