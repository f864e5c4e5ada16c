// What every event scanner (session, frame, participant, team events) shares: the event id derived from
// (type, subject), so repeated or concurrent scans name each event the same; the look-up that keeps a scan
// which finds only what earlier scans created from writing anything; and the insert that returns only the
// deliveries this scan created (the (endpointId, eventId) unique key skips a concurrent scan's), which are
// the ones to enqueue.
import { createHash } from "node:crypto";
import type { Db, Prisma } from "@capture/db";
import type { OutboundEventType } from "@capture/jobs";

export const eventIdFor = (type: OutboundEventType, subjectId: string) =>
  `evt_${createHash("sha256").update(`${type}|${subjectId}`).digest("hex").slice(0, 32)}`;

interface DeliveryKey {
  endpointId: string;
  eventId: string;
}

/** The candidates that have no delivery row yet. */
export async function withoutDelivery<T extends DeliveryKey>(db: Db, candidates: T[]): Promise<T[]> {
  if (candidates.length === 0) return [];
  const existing = await db.webhookDelivery.findMany({
    where: {
      endpointId: { in: [...new Set(candidates.map((c) => c.endpointId))] },
      eventId: { in: [...new Set(candidates.map((c) => c.eventId))] },
    },
    select: { endpointId: true, eventId: true },
  });
  const have = new Set(existing.map((d) => `${d.endpointId}|${d.eventId}`));
  return candidates.filter((c) => !have.has(`${c.endpointId}|${c.eventId}`));
}

/** Inserts the deliveries; returns the ids of those this call created. */
export async function createDeliveries(
  db: Db,
  rows: (DeliveryKey & { eventType: OutboundEventType; payload: Prisma.InputJsonObject })[],
): Promise<string[]> {
  if (rows.length === 0) return [];
  const created = await db.webhookDelivery.createManyAndReturn({
    data: rows,
    skipDuplicates: true,
    select: { id: true },
  });
  return created.map((r) => r.id);
}
