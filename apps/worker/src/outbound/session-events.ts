// session.started and session.ended, found in the database rather than raised by the capture runner: a
// session's row is the truth once written (endedAt is set only after its last frames are in, so the
// counts and coverage in session.ended are final), and any worker replica may find them. Event ids are
// derived from (type, session), so scans by several replicas, or one scan repeated, create each
// delivery once (the (endpointId, eventId) unique key) and enqueue only what they created.
import type { Db, Prisma } from "@capture/db";
import type { OutboundEventType } from "@capture/jobs";
import { createDeliveries, eventIdFor, withoutDelivery } from "./deliveries.ts";

interface Candidate {
  endpointId: string;
  eventId: string;
  type: OutboundEventType;
  sessionId: string;
  at: Date;
}

/**
 * Creates the deliveries due for sessions that started or ended within `lookbackMs` (only for endpoints
 * that were validated by then and subscribe to the type). Returns the new delivery ids, to enqueue.
 */
export async function scanSessionEvents(
  db: Db,
  opts: { lookbackMs: number; now?: Date; limit?: number },
): Promise<string[]> {
  const now = opts.now ?? new Date();
  const endpoints = await db.webhookEndpoint.findMany({
    where: { status: "ACTIVE", validatedAt: { not: null } },
    select: { id: true, teamId: true, events: true, validatedAt: true },
  });
  if (endpoints.length === 0) return [];
  const since = new Date(now.getTime() - opts.lookbackMs);
  const sessions = await db.captureSession.findMany({
    where: {
      teamId: { in: [...new Set(endpoints.map((e) => e.teamId))] },
      OR: [{ startedAt: { gte: since } }, { endedAt: { gte: since } }],
    },
    include: { meeting: { select: { name: true } } },
    orderBy: { startedAt: "asc" },
    take: opts.limit ?? 1000,
  });
  const candidates: Candidate[] = [];
  for (const s of sessions) {
    for (const ep of endpoints) {
      if (ep.teamId !== s.teamId) continue;
      const wants = (t: string) => ep.events.length === 0 || ep.events.includes(t);
      const push = (type: OutboundEventType, at: Date) => {
        if (wants(type) && ep.validatedAt! <= at && at >= since) {
          candidates.push({ endpointId: ep.id, eventId: eventIdFor(type, s.id), type, sessionId: s.id, at });
        }
      };
      push("session.started", s.startedAt);
      if (s.endedAt) push("session.ended", s.endedAt);
    }
  }
  const missing = await withoutDelivery(db, candidates);
  if (missing.length === 0) return [];

  const byId = new Map(sessions.map((s) => [s.id, s]));
  const endedIds = [...new Set(missing.filter((c) => c.type === "session.ended").map((c) => c.sessionId))];
  const totals = await sessionTotals(db, endedIds);
  const rows = missing.map((c) => {
    const s = byId.get(c.sessionId)!;
    const session: Record<string, Prisma.InputJsonValue | null> = {
      id: s.id,
      meetingId: s.meetingId,
      meetingName: s.meeting?.name ?? null,
      meetingUuid: s.meetingUuid,
      rtmsStreamId: s.rtmsStreamId,
      captureMode: s.captureMode,
      startedAt: s.startedAt.toISOString(),
    };
    if (c.type === "session.ended") {
      const t = totals.get(s.id) ?? { participants: 0, frames: 0, covered: 0, cameraOn: 0 };
      Object.assign(session, {
        state: s.state,
        endedAt: s.endedAt!.toISOString(),
        durationSec: Math.max(0, Math.round((s.endedAt!.getTime() - s.startedAt.getTime()) / 1000)),
        stopReason: s.stopReason,
        stopReasonText: s.stopReasonText,
        counts: { participants: t.participants, frames: t.frames },
        // Coverage as the portal defines it: camera was on and frames are kept, over camera was on.
        coverage: {
          covered: t.covered,
          cameraOn: t.cameraOn,
          ratio: t.cameraOn === 0 ? null : t.covered / t.cameraOn,
        },
      });
    }
    const payload = {
      id: c.eventId,
      type: c.type,
      createdAt: c.at.toISOString(),
      teamId: s.teamId,
      data: { session },
    } as Prisma.InputJsonObject;
    return { endpointId: c.endpointId, eventId: c.eventId, eventType: c.type, payload };
  });
  return createDeliveries(db, rows);
}

async function sessionTotals(db: Db, sessionIds: string[]) {
  const out = new Map<string, { participants: number; frames: number; covered: number; cameraOn: number }>();
  if (sessionIds.length === 0) return out;
  const [all, covered] = await Promise.all([
    db.participant.groupBy({
      by: ["sessionId"],
      where: { sessionId: { in: sessionIds } },
      _count: { _all: true, firstVideoOnAt: true },
      _sum: { frameCount: true },
    }),
    db.participant.groupBy({
      by: ["sessionId"],
      where: { sessionId: { in: sessionIds }, firstVideoOnAt: { not: null }, frameCount: { gt: 0 } },
      _count: { _all: true },
    }),
  ]);
  for (const g of all) {
    out.set(g.sessionId, {
      participants: g._count._all,
      frames: g._sum.frameCount ?? 0,
      cameraOn: g._count.firstVideoOnAt,
      covered: 0,
    });
  }
  for (const g of covered) {
    const t = out.get(g.sessionId);
    if (t) t.covered = g._count._all;
  }
  return out;
}
