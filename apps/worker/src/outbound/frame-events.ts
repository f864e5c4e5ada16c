// frame.stored: the frames a participant kept, batched per participant and per window of windowMs (by the
// time their rows were written), announced once the window has closed. Each frame comes with a
// short-lived signed download URL, never the bytes. As for session events, ids derive from (participant,
// window), so repeated or concurrent scans create each delivery once. The URLs are signed when the
// delivery is created: a retry hours later may carry expired ones (receivers can then use the API).
import type { Db, Keyring, Prisma } from "@capture/db";
import { signedFrameUrl } from "@capture/jobs";
import { createDeliveries, eventIdFor, withoutDelivery } from "./deliveries.ts";

export interface FrameEventOptions {
  baseUrl: string;
  keyring: Keyring;
  lookbackMs: number;
  windowMs?: number;
  /** Rows written this close to the window's end may still be arriving: wait this long after it. */
  settleMs?: number;
  urlTtlSec?: number;
  now?: Date;
}

export async function scanFrameEvents(db: Db, opts: FrameEventOptions): Promise<string[]> {
  const now = (opts.now ?? new Date()).getTime();
  const windowMs = opts.windowMs ?? 10_000;
  const settled = Math.floor((now - (opts.settleMs ?? 2_000)) / windowMs) * windowMs;
  const since = new Date(Math.floor((now - opts.lookbackMs) / windowMs) * windowMs);
  const endpoints = (
    await db.webhookEndpoint.findMany({
      where: { status: "ACTIVE", validatedAt: { not: null } },
      select: { id: true, teamId: true, events: true, validatedAt: true },
    })
  ).filter((e) => e.events.length === 0 || e.events.includes("frame.stored"));
  if (endpoints.length === 0 || settled <= since.getTime()) return [];
  const sessions = await db.captureSession.findMany({
    where: {
      teamId: { in: [...new Set(endpoints.map((e) => e.teamId))] },
      OR: [{ endedAt: null }, { endedAt: { gte: since } }],
    },
    select: { id: true, teamId: true },
    take: 1000,
  });
  if (sessions.length === 0) return [];
  const teamOf = new Map(sessions.map((s) => [s.id, s.teamId]));
  const frames = await db.frame.findMany({
    where: { sessionId: { in: [...teamOf.keys()] }, createdAt: { gte: since, lt: new Date(settled) } },
    select: {
      id: true,
      sessionId: true,
      participantId: true,
      zoomTimestamp: true,
      bytes: true,
      contentType: true,
      createdAt: true,
    },
    orderBy: [{ participantId: "asc" }, { zoomTimestamp: "asc" }],
    take: 50_000,
  });
  const groups = new Map<string, typeof frames>();
  for (const f of frames) {
    const key = `${f.participantId}|${Math.floor(f.createdAt.getTime() / windowMs)}`;
    const list = groups.get(key) ?? [];
    list.push(f);
    groups.set(key, list);
  }
  const candidates: { endpointId: string; eventId: string; key: string; frames: typeof frames }[] = [];
  for (const [key, list] of groups) {
    const teamId = teamOf.get(list[0]!.sessionId);
    for (const ep of endpoints) {
      if (ep.teamId !== teamId) continue;
      // Frames stored after the endpoint was validated, also in the window it was validated in (a
      // window-level cut would lose the frames of the first seconds after "Validate").
      const mine = list.filter((f) => f.createdAt >= ep.validatedAt!);
      if (mine.length > 0) {
        candidates.push({ endpointId: ep.id, eventId: eventIdFor("frame.stored", key), key, frames: mine });
      }
    }
  }
  const missing = await withoutDelivery(db, candidates);
  if (missing.length === 0) return [];
  const participantIds = [...new Set(missing.map((c) => c.key.split("|")[0]!))];
  const people = new Map(
    (
      await db.participant.findMany({
        where: { id: { in: participantIds } },
        select: { id: true, zoomUserId: true, name: true },
      })
    ).map((p) => [p.id, p]),
  );
  const expiresSec = Math.floor(now / 1000) + (opts.urlTtlSec ?? 3600);
  const rows = missing.map((c) => {
    const list = c.frames;
    const windowStart = Number(c.key.split("|")[1]) * windowMs;
    const first = list[0]!;
    const payload = {
      id: c.eventId,
      type: "frame.stored",
      createdAt: new Date(now).toISOString(),
      teamId: teamOf.get(first.sessionId)!,
      data: {
        session: { id: first.sessionId },
        participant: people.get(first.participantId) ?? { id: first.participantId },
        window: {
          from: new Date(windowStart).toISOString(),
          to: new Date(windowStart + windowMs).toISOString(),
        },
        frames: list.map((f) => ({
          id: f.id,
          zoomTimestamp: f.zoomTimestamp.toString(),
          bytes: f.bytes,
          contentType: f.contentType,
          url: signedFrameUrl(opts.baseUrl, opts.keyring, f.id, expiresSec),
          urlExpiresAt: new Date(expiresSec * 1000).toISOString(),
        })),
      },
    } as Prisma.InputJsonObject;
    return { endpointId: c.endpointId, eventId: c.eventId, eventType: "frame.stored" as const, payload };
  });
  return createDeliveries(db, rows);
}
