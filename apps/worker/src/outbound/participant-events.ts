// participant.covered: once per participant, when their first frame is stored. The row is the truth:
// Participant.firstFrameAt is set (once) when the first kept frame's row is written, so scanning for it
// finds each covered participant however many replicas scan. As for session events, the event id derives
// from (type, participant id), and the (endpointId, eventId) unique key makes the delivery exist once.
import type { Db, Prisma } from "@capture/db";
import { createDeliveries, eventIdFor, withoutDelivery } from "./deliveries.ts";

export async function scanParticipantEvents(
  db: Db,
  opts: { lookbackMs: number; now?: Date; limit?: number },
): Promise<string[]> {
  const since = new Date((opts.now ?? new Date()).getTime() - opts.lookbackMs);
  const endpoints = (
    await db.webhookEndpoint.findMany({
      where: { status: "ACTIVE", validatedAt: { not: null } },
      select: { id: true, teamId: true, events: true, validatedAt: true },
    })
  ).filter((e) => e.events.length === 0 || e.events.includes("participant.covered"));
  if (endpoints.length === 0) return [];
  // Sessions still running or ended within the look-back: their participants are the only candidates,
  // which keeps the participant query on the (sessionId, zoomUserId) index.
  const sessions = await db.captureSession.findMany({
    where: {
      teamId: { in: [...new Set(endpoints.map((e) => e.teamId))] },
      OR: [{ endedAt: null }, { endedAt: { gte: since } }],
    },
    select: { id: true, teamId: true, captureMode: true, meetingId: true },
    take: 1000,
  });
  if (sessions.length === 0) return [];
  const sessionOf = new Map(sessions.map((s) => [s.id, s]));
  const people = await db.participant.findMany({
    where: { sessionId: { in: [...sessionOf.keys()] }, firstFrameAt: { gte: since } },
    select: { id: true, sessionId: true, zoomUserId: true, name: true, firstFrameAt: true, erasedAt: true },
    orderBy: { firstFrameAt: "asc" },
    take: opts.limit ?? 5000,
  });
  const rows: {
    endpointId: string;
    eventId: string;
    eventType: "participant.covered";
    payload: Prisma.InputJsonObject;
  }[] = [];
  for (const p of people) {
    // An erased person is not announced: the tombstone name would say nothing, and they asked to go.
    if (p.erasedAt) continue;
    const s = sessionOf.get(p.sessionId)!;
    const at = p.firstFrameAt!;
    for (const ep of endpoints) {
      if (ep.teamId !== s.teamId || ep.validatedAt! > at) continue;
      const eventId = eventIdFor("participant.covered", p.id);
      const payload = {
        id: eventId,
        type: "participant.covered",
        createdAt: at.toISOString(),
        teamId: s.teamId,
        data: {
          session: { id: s.id, meetingId: s.meetingId, captureMode: s.captureMode },
          participant: { id: p.id, zoomUserId: p.zoomUserId, name: p.name },
          firstFrameAt: at.toISOString(),
          captureMode: s.captureMode,
        },
      } as Prisma.InputJsonObject;
      rows.push({ endpointId: ep.id, eventId, eventType: "participant.covered", payload });
    }
  }
  return createDeliveries(db, await withoutDelivery(db, rows));
}
