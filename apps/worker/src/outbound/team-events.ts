// retry.created and room.join_failed, found in their rows as session events are (see session-events.ts):
// event ids derive from (type, row id), so repeated or concurrent scans create each delivery once.
import type { Db, Prisma } from "@capture/db";
import { createDeliveries, eventIdFor, withoutDelivery } from "./deliveries.ts";

type TeamEventType = "retry.created" | "room.join_failed";

/** Join outcomes that mean the room did not get in (FAILED, RATE_LIMITED, UNCONFIRMED). */
const JOIN_FAILED = ["FAILED", "RATE_LIMITED", "UNCONFIRMED"] as const;

export async function scanTeamEvents(db: Db, opts: { lookbackMs: number; now?: Date }): Promise<string[]> {
  const since = new Date((opts.now ?? new Date()).getTime() - opts.lookbackMs);
  const endpoints = await db.webhookEndpoint.findMany({
    where: { status: "ACTIVE", validatedAt: { not: null } },
    select: { id: true, teamId: true, events: true, validatedAt: true },
  });
  if (endpoints.length === 0) return [];
  const teams = [...new Set(endpoints.map((e) => e.teamId))];
  const [retries, joins] = await Promise.all([
    db.retryItem.findMany({ where: { teamId: { in: teams }, createdAt: { gte: since } }, take: 1000 }),
    db.roomAction.findMany({
      where: {
        teamId: { in: teams },
        kind: "JOIN",
        outcome: { in: [...JOIN_FAILED] },
        updatedAt: { gte: since },
      },
      include: { room: { select: { name: true, zoomRoomId: true } } },
      take: 1000,
    }),
  ]);
  const events: {
    teamId: string;
    type: TeamEventType;
    id: string;
    at: Date;
    data: Prisma.InputJsonObject;
  }[] = [
    ...retries.map((r) => ({
      teamId: r.teamId,
      type: "retry.created" as const,
      id: r.id,
      at: r.createdAt,
      data: { retry: { id: r.id, kind: r.kind, status: r.status, reason: r.reason, attempts: r.attempts } },
    })),
    ...joins.map((a) => ({
      teamId: a.teamId,
      type: "room.join_failed" as const,
      id: a.id,
      at: a.updatedAt,
      data: {
        room: { id: a.roomId, name: a.room.name, zoomRoomId: a.room.zoomRoomId },
        sessionId: a.sessionId,
        outcome: a.outcome,
        attempt: a.attempt,
        httpStatus: a.httpStatus,
        zoomCode: a.zoomCode,
        message: a.message,
      },
    })),
  ];
  const rows = events.flatMap((e) =>
    endpoints
      .filter(
        (ep) =>
          ep.teamId === e.teamId &&
          (ep.events.length === 0 || ep.events.includes(e.type)) &&
          ep.validatedAt! <= e.at,
      )
      .map((ep) => {
        const eventId = eventIdFor(e.type, e.id);
        const payload = {
          id: eventId,
          type: e.type,
          createdAt: e.at.toISOString(),
          teamId: e.teamId,
          data: e.data,
        } as Prisma.InputJsonObject;
        return { endpointId: ep.id, eventId, eventType: e.type, payload };
      }),
  );
  return createDeliveries(db, await withoutDelivery(db, rows));
}
