// Coverage of a capture session: of the participants whose camera was ever on, how many have frames.
// One definition for every place that shows it: the session page and its live stream derive it from the
// participant rows (coverageOf), the sessions list counts it in the database (listCoverage) with the same
// filters. Pure except listCoverage; the client component imports this file for the running camera clock.
import type { Db, Prisma } from "@capture/db";

/** The columns coverage reads (all on Participant, written by the worker). */
export interface CoverageFields {
  frameCount: number;
  firstVideoOnAt: Date | number | null;
  videoOnMs: number;
  videoOnSince: Date | number | null;
  firstFrameAt: Date | number | null;
}

export interface Coverage {
  /** N: camera was ever on and at least one frame is kept. */
  covered: number;
  /** M: camera was ever on. */
  cameraOn: number;
}

export interface ParticipantCoverage {
  /** The camera was on at some point: this participant counts in M. */
  cameraEverOn: boolean;
  /** Counts in M and has no kept frame: what the page marks. */
  uncovered: boolean;
  /** Camera-on time so far: the closed stretches plus the current one. */
  cameraOnMs: number;
  /** From the camera first coming on to the first kept frame; null until both happened. */
  timeToFirstFrameMs: number | null;
}

const ms = (d: Date | number | null): number | null =>
  d === null ? null : typeof d === "number" ? d : d.getTime();

/** Prisma filters matching cameraEverOn and covered; listCoverage counts with these. */
export const CAMERA_EVER_ON = { firstVideoOnAt: { not: null } } satisfies Prisma.ParticipantWhereInput;
export const COVERED = { ...CAMERA_EVER_ON, frameCount: { gt: 0 } } satisfies Prisma.ParticipantWhereInput;

export function participantCoverage(p: CoverageFields, now: Date | number): ParticipantCoverage {
  const firstOn = ms(p.firstVideoOnAt);
  const since = ms(p.videoOnSince);
  const firstFrame = ms(p.firstFrameAt);
  const cameraEverOn = firstOn !== null;
  return {
    cameraEverOn,
    uncovered: cameraEverOn && p.frameCount === 0,
    cameraOnMs: p.videoOnMs + (since === null ? 0 : Math.max(0, ms(now)! - since)),
    // A frame row written a moment before the camera event (the two arrive on different sockets) reads as 0.
    timeToFirstFrameMs: firstOn === null || firstFrame === null ? null : Math.max(0, firstFrame - firstOn),
  };
}

export function coverageOf(participants: readonly CoverageFields[]): Coverage {
  let covered = 0;
  let cameraOn = 0;
  for (const p of participants) {
    if (p.firstVideoOnAt === null) continue;
    cameraOn++;
    if (p.frameCount > 0) covered++;
  }
  return { covered, cameraOn };
}

/** "3 of 4 participants with camera on have frames", or why there is no ratio yet. */
export function describeCoverage(c: Coverage): string {
  if (c.cameraOn === 0) return "No participant has had a camera on yet";
  const noun = c.cameraOn === 1 ? "participant" : "participants";
  return `${c.covered} of ${c.cameraOn} ${noun} with camera on ${c.cameraOn === 1 ? "has" : "have"} frames`;
}

/** The sessions list's column: "3/4", or "—" when no camera was on. */
export const coverageCell = (c: Coverage) => (c.cameraOn === 0 ? "—" : `${c.covered}/${c.cameraOn}`);

/** "1m 05s", "12.4s", "0.8s": camera time and time to first frame. */
export function formatMs(value: number | null): string {
  if (value === null) return "—";
  if (value < 60_000) return `${(value / 1000).toFixed(1)}s`;
  const totalSec = Math.floor(value / 1000);
  const h = Math.floor(totalSec / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = String(totalSec % 60).padStart(2, "0");
  return h > 0 ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}m ${s}s`;
}

export interface SessionTotals extends Coverage {
  participants: number;
  frames: number;
}

/**
 * Participants, frames and coverage of many sessions at once (the sessions list): two aggregate queries
 * whatever the number of sessions or participants, never one per session.
 */
export async function listCoverage(
  db: Db,
  sessionIds: readonly string[],
): Promise<Map<string, SessionTotals>> {
  const totals = new Map<string, SessionTotals>(
    sessionIds.map((id) => [id, { participants: 0, frames: 0, covered: 0, cameraOn: 0 }]),
  );
  if (sessionIds.length === 0) return totals;
  const ids = [...sessionIds];
  const [all, covered] = await Promise.all([
    db.participant.groupBy({
      by: ["sessionId"],
      where: { sessionId: { in: ids } },
      _count: { _all: true, firstVideoOnAt: true },
      _sum: { frameCount: true },
    }),
    db.participant.groupBy({
      by: ["sessionId"],
      where: { sessionId: { in: ids }, ...COVERED },
      _count: { _all: true },
    }),
  ]);
  for (const g of all) {
    const t = totals.get(g.sessionId);
    if (!t) continue;
    t.participants = g._count._all;
    // _count of a nullable column counts its non-null values: CAMERA_EVER_ON.
    t.cameraOn = g._count.firstVideoOnAt;
    t.frames = g._sum.frameCount ?? 0;
  }
  for (const g of covered) {
    const t = totals.get(g.sessionId);
    if (t) t.covered = g._count._all;
  }
  return totals;
}

/** One participant's camera columns (the participant page), through the team like every read. */
export async function getParticipantCoverage(
  db: Db,
  teamId: string,
  participantId: string,
  now: Date = new Date(),
): Promise<(ParticipantCoverage & { videoOn: boolean }) | null> {
  const p = await db.participant.findFirst({
    where: { id: participantId, session: { teamId } },
    select: {
      frameCount: true,
      videoOn: true,
      firstVideoOnAt: true,
      videoOnMs: true,
      videoOnSince: true,
      firstFrameAt: true,
      session: { select: { endedAt: true } },
    },
  });
  if (!p) return null;
  // An ended session's clock stops at its end, as on the session page.
  return { videoOn: p.videoOn, ...participantCoverage(p, p.session.endedAt ?? now) };
}
