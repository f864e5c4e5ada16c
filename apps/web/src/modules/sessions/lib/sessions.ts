// Capture sessions of a team: the list, one session's detail, and the data behind its timeline chart.
// Every read is scoped by teamId; another team's session id reads as missing.
import type { CaptureMode, Db, SessionEventType, SessionState } from "@capture/db";
import { stopReasonText } from "@capture/rtms-core/protocol";
import { AppError } from "~/server/errors.ts";
import { type CreatedCursor, olderThan } from "~/server/keyset.ts";
import { type Coverage, coverageOf, listCoverage } from "./coverage.ts";

export const SESSION_PAGE_SIZE = 50;

export interface SessionRow {
  id: string;
  meetingName: string | null;
  meetingUuid: string;
  state: SessionState;
  startedAt: Date;
  endedAt: Date | null;
  durationSec: number;
  participants: number;
  frames: number;
  reconnects: number;
  stopReason: string | null;
  captureMode: CaptureMode;
  coverage: Coverage;
}

function durationSec(startedAt: Date, endedAt: Date | null, now: Date): number {
  return Math.max(0, Math.round(((endedAt ?? now).getTime() - startedAt.getTime()) / 1000));
}

export function describeStopReason(code: number | null, text: string | null): string | null {
  if (text) return text;
  if (code === null) return null;
  return `${stopReasonText(code)} (${code})`;
}

/**
 * Newest first; keyset on (createdAt, id) so later pages cost the same as the first. Counts and coverage
 * come from listCoverage's aggregates: a fixed number of queries per page, whatever it holds.
 */
export async function listSessions(
  db: Db,
  teamId: string,
  opts: { before?: CreatedCursor; now?: Date } = {},
): Promise<{ rows: SessionRow[]; next: CreatedCursor | null }> {
  const now = opts.now ?? new Date();
  const before = opts.before;
  const sessions = await db.captureSession.findMany({
    where: {
      teamId,
      ...olderThan(before),
    },
    include: { meeting: { select: { name: true } } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: SESSION_PAGE_SIZE + 1,
  });
  const page = sessions.slice(0, SESSION_PAGE_SIZE);
  const last = page.at(-1);
  const totals = await listCoverage(
    db,
    page.map((s) => s.id),
  );
  return {
    rows: page.map((s) => {
      const t = totals.get(s.id)!;
      return {
        id: s.id,
        meetingName: s.meeting?.name ?? null,
        meetingUuid: s.meetingUuid,
        state: s.state,
        startedAt: s.startedAt,
        endedAt: s.endedAt,
        durationSec: durationSec(s.startedAt, s.endedAt, now),
        participants: t.participants,
        frames: t.frames,
        reconnects: s.reconnectCount,
        stopReason: describeStopReason(s.stopReason, s.stopReasonText),
        captureMode: s.captureMode,
        coverage: { covered: t.covered, cameraOn: t.cameraOn },
      };
    }),
    next: sessions.length > SESSION_PAGE_SIZE && last ? { createdAt: last.createdAt, id: last.id } : null,
  };
}

export interface TimelineEvent {
  at: number;
  type: SessionEventType;
  zoomUserId: string | null;
  label: string;
}

export interface SessionSnapshot {
  id: string;
  state: SessionState;
  meetingId: string | null;
  meetingName: string | null;
  meetingUuid: string;
  rtmsStreamId: string;
  startedAt: number;
  endedAt: number | null;
  durationSec: number;
  reconnects: number;
  stopReason: string | null;
  /** The mode the session ran with (a later edit of the meeting does not rewrite it). */
  captureMode: CaptureMode;
  /** Frames capture did not store because of a storage limit (issue 13: team quota, worker low disk). */
  notStored: { quota: number; lowDisk: number };
  /** Epoch ms when retention removed every frame of this ended session; null while frames are kept. */
  framesExpiredAt: number | null;
  coverage: Coverage;
  /** Epoch ms; the camera columns are what coverage.ts's participantCoverage reads. */
  participants: {
    id: string;
    zoomUserId: string;
    name: string;
    isRoom: boolean;
    frameCount: number;
    firstSeenAt: number;
    lastSeenAt: number;
    videoOn: boolean;
    firstVideoOnAt: number | null;
    videoOnMs: number;
    videoOnSince: number | null;
    firstFrameAt: number | null;
  }[];
  events: TimelineEvent[];
  roomActions: {
    id: string;
    roomName: string;
    kind: string;
    outcome: string;
    attempt: number;
    message: string | null;
    at: number;
  }[];
  /** Changes whenever anything shown changes: the live stream sends a snapshot only when it differs. */
  version: string;
}

/** At most this many events are charted; a long meeting's older events are summarised by the counts. */
export const TIMELINE_EVENT_LIMIT = 2000;

function eventLabel(type: SessionEventType, data: unknown, name: string | undefined): string {
  const who = name ?? "";
  switch (type) {
    case "PARTICIPANT_JOIN":
      return `${who} joined`;
    case "PARTICIPANT_LEAVE":
      return `${who} left`;
    case "ACTIVE_SPEAKER":
      return `${who} speaking`;
    case "VIDEO_ON":
      return `${who} camera on`;
    case "VIDEO_OFF":
      return `${who} camera off`;
    default: {
      const detail = data && typeof data === "object" ? JSON.stringify(data).slice(0, 120) : "";
      return `${type.toLowerCase().replaceAll("_", " ")}${who ? ` (${who})` : ""}${detail ? ` ${detail}` : ""}`;
    }
  }
}

export async function getSessionSnapshot(
  db: Db,
  teamId: string,
  id: string,
  now = new Date(),
): Promise<SessionSnapshot> {
  const s = await db.captureSession.findFirst({
    where: { id, teamId },
    include: {
      meeting: { select: { name: true } },
      participants: { orderBy: { firstSeenAt: "asc" } },
      events: { orderBy: { at: "desc" }, take: TIMELINE_EVENT_LIMIT },
      roomActions: { include: { room: { select: { name: true } } }, orderBy: { createdAt: "asc" } },
    },
  });
  if (!s) throw new AppError("NOT_FOUND", "No such session");
  const names = new Map(s.participants.map((p) => [p.zoomUserId, p.name]));
  const events = s.events.reverse().map((e) => ({
    at: e.at.getTime(),
    type: e.type,
    zoomUserId: e.zoomUserId,
    label: eventLabel(e.type, e.data, e.zoomUserId ? names.get(e.zoomUserId) : undefined),
  }));
  const participants = s.participants.map((p) => ({
    id: p.id,
    zoomUserId: p.zoomUserId,
    name: p.name,
    isRoom: p.roomId !== null,
    frameCount: p.frameCount,
    firstSeenAt: p.firstSeenAt.getTime(),
    lastSeenAt: p.lastSeenAt.getTime(),
    videoOn: p.videoOn,
    firstVideoOnAt: p.firstVideoOnAt?.getTime() ?? null,
    videoOnMs: p.videoOnMs,
    videoOnSince: p.videoOnSince?.getTime() ?? null,
    firstFrameAt: p.firstFrameAt?.getTime() ?? null,
  }));
  const roomActions = s.roomActions.map((a) => ({
    id: a.id,
    roomName: a.room.name,
    kind: a.kind,
    outcome: a.outcome,
    attempt: a.attempt,
    message: a.message,
    at: a.updatedAt.getTime(),
  }));
  const version = [
    s.updatedAt.getTime(),
    s.state,
    participants
      .map(
        (p) => `${p.id}:${p.frameCount}:${p.lastSeenAt}:${p.videoOnMs}:${p.videoOnSince}:${p.firstFrameAt}`,
      )
      .join(","),
    events.length,
    events.at(-1)?.at ?? 0,
    roomActions.map((a) => `${a.id}:${a.outcome}:${a.at}`).join(","),
    // Counted by raw SQL that does not touch updatedAt.
    `${s.quotaDroppedFrames}:${s.lowDiskDroppedFrames}`,
  ].join("|");
  return {
    id: s.id,
    state: s.state,
    meetingId: s.meetingId,
    meetingName: s.meeting?.name ?? null,
    meetingUuid: s.meetingUuid,
    rtmsStreamId: s.rtmsStreamId,
    startedAt: s.startedAt.getTime(),
    endedAt: s.endedAt?.getTime() ?? null,
    durationSec: durationSec(s.startedAt, s.endedAt, now),
    reconnects: s.reconnectCount,
    stopReason: describeStopReason(s.stopReason, s.stopReasonText),
    captureMode: s.captureMode,
    notStored: { quota: s.quotaDroppedFrames, lowDisk: s.lowDiskDroppedFrames },
    framesExpiredAt: s.framesExpiredAt?.getTime() ?? null,
    coverage: coverageOf(participants),
    participants,
    events,
    roomActions,
    version,
  };
}

export const LIVE_STATES: ReadonlySet<SessionState> = new Set([
  "PENDING",
  "CONNECTING",
  "ACTIVE",
  "RECONNECTING",
  "PAUSED",
]);
