// Room joins against zoom-sim's Rooms API: a 429 burst with Retry-After ends in a confirmed join, an
// offline room ends as a RetryItem, "retry now" from the portal resolves it, and rooms.sync refreshes rows.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, startStream, waitUntil } from "./support/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness("rooms");
  await h.spawnWorker().ready();
});
afterAll(async () => {
  await h?.close();
});

const describeWorkers = () => h.workers.map((w) => w.describe()).join("\n---\n");

describe("room actions", () => {
  it("survives a 429 burst, records an offline room for retry, and resolves it on retry now", async () => {
    const db = h.testDb.db;
    const team = await db.team.findUniqueOrThrow({ where: { slug: "demo" } });
    const meeting = await db.meeting.create({
      data: { teamId: team.id, meetingNumber: "400000001", name: "Rooms" },
    });
    const rooms: Record<string, string> = {};
    for (const [id, name, status] of [
      ["zr-alpha", "Alpha Room", "Available"],
      ["zr-down", "Down Room", "Offline"],
    ] as const) {
      h.sim.addRoom({ id, name, status });
      const room = await db.zoomRoom.create({ data: { teamId: team.id, zoomRoomId: id, name } });
      await db.meetingRoom.create({ data: { meetingId: meeting.id, roomId: room.id } });
      rooms[name] = room.id;
    }
    // The next 4 REST calls answer 429 with Retry-After: 1.
    h.sim.faults.rateLimit(4, { retryAfterSec: 1 });
    const { sessionId } = await startStream(h, { number: "400000001", participants: [{ name: "Heidi" }] });

    await waitUntil(
      async () =>
        (await db.roomAction.count({
          where: { roomId: rooms["Alpha Room"], kind: "JOIN", outcome: "CONFIRMED" },
        })) === 1 && (await db.retryItem.count()) === 1,
      30_000,
      describeWorkers,
    );
    const alpha = await db.roomAction.findMany({
      where: { roomId: rooms["Alpha Room"], kind: "JOIN" },
      orderBy: { createdAt: "asc" },
    });
    const outcomes = alpha.map((a) => a.outcome);
    expect(outcomes.at(-1)).toBe("CONFIRMED");
    expect(outcomes.slice(0, -1).every((o) => o === "RATE_LIMITED")).toBe(true);
    expect(outcomes.length).toBeGreaterThan(1);
    // Retry-After was honoured: the next attempt came no sooner than Zoom asked.
    for (let i = 1; i < alpha.length; i++) {
      expect(alpha[i]!.createdAt.getTime() - alpha[i - 1]!.updatedAt.getTime()).toBeGreaterThanOrEqual(900);
    }
    expect(alpha.filter((a) => a.outcome === "RATE_LIMITED").every((a) => a.httpStatus === 429)).toBe(true);

    const item = await db.retryItem.findFirstOrThrow();
    expect(item).toMatchObject({ kind: "ROOM_JOIN", status: "OPEN", teamId: team.id });
    expect(item.reason).toMatch(/offline/i);
    expect(item.payload).toEqual({
      kind: "room.join",
      teamId: team.id,
      roomId: rooms["Down Room"],
      meetingId: meeting.id,
      sessionId,
    });
    const down = await db.roomAction.findMany({ where: { roomId: rooms["Down Room"] } });
    expect(down.at(-1)).toMatchObject({ outcome: "FAILED", httpStatus: 400, zoomCode: 300 });

    // The room comes online; the portal's "retry now" re-enqueues the payload with the item's id.
    h.sim.rooms.setStatus("zr-down", "Available");
    await h.queues.addRoomsJob({
      ...(item.payload as { kind: "room.join"; teamId: string; roomId: string; meetingId: string }),
      retryItemId: item.id,
    });
    await waitUntil(
      async () => (await db.retryItem.findUniqueOrThrow({ where: { id: item.id } })).status === "RESOLVED",
      20_000,
      describeWorkers,
    );
    expect(
      await db.roomAction.count({
        where: { roomId: rooms["Down Room"], kind: "JOIN", outcome: "CONFIRMED" },
      }),
    ).toBe(1);
  });

  it("refreshes the team's rooms from the Rooms API on rooms.sync", async () => {
    const db = h.testDb.db;
    const team = await db.team.findUniqueOrThrow({ where: { slug: "demo" } });
    h.sim.addRoom({ id: "zr-new", name: "New Room", status: "UnderConstruction" });
    await h.queues.addRoomsJob({ kind: "rooms.sync", teamId: team.id });
    await waitUntil(
      async () => (await db.zoomRoom.count({ where: { zoomRoomId: "zr-new" } })) === 1,
      15_000,
      describeWorkers,
    );
    const rows = await db.zoomRoom.findMany({ orderBy: { zoomRoomId: "asc" } });
    expect(rows.map((r) => [r.zoomRoomId, r.status])).toEqual(
      h.sim.rooms
        .list()
        .map((r) => [r.id, r.status])
        .sort((a, b) => a[0]!.localeCompare(b[0]!)),
    );
    expect(rows.every((r) => r.lastSyncedAt !== null)).toBe(true);
  });
});
