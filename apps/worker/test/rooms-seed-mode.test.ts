// The seed sample's room behaviour (Team.roomJoinMode = ALL_AVAILABLE) on a team that has never synced its
// rooms: the first stream syncs them from the Rooms API, asks every Available room (not the Offline one)
// to join, and recognises the rooms when they appear, so each join is CONFIRMED, not left unconfirmed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, type WorkerProcess, waitUntil } from "./support/harness.ts";

const MEETING_NUMBER = "987654321";
let h: Harness;
let worker: WorkerProcess;

beforeAll(async () => {
  h = await startHarness("seedrooms");
  worker = await h.spawnWorker({ ZOOM_MEETING_NUMBER: MEETING_NUMBER, ZOOM_MEETING_PASSCODE: "pw" }).ready();
});
afterAll(async () => {
  await h?.close();
});

describe("every Available room joins (seed behaviour)", () => {
  it("syncs the rooms on the first stream and confirms each join", async () => {
    const { sim, testDb } = h;
    const db = testDb.db;
    const team = await db.team.update({ where: { slug: "demo" }, data: { roomJoinMode: "ALL_AVAILABLE" } });
    expect(await db.zoomRoom.count({ where: { teamId: team.id } })).toBe(0);
    sim.addRoom({ id: "zr-a", name: "Room A" });
    sim.addRoom({ id: "zr-b", name: "Room B" });
    sim.addRoom({ id: "zr-off", name: "Room Offline", status: "Offline" });

    const live = sim.createMeeting({
      number: MEETING_NUMBER,
      passcode: "pw",
      participants: [{ name: "Dana" }],
    });
    live.setActiveSpeaker(live.participants[0]!.userId);
    const info = await live.startRtms({ waitForConsumer: true });

    await waitUntil(
      async () => (await db.roomAction.count({ where: { kind: "JOIN", outcome: "CONFIRMED" } })) === 2,
      30_000,
      () => worker.describe(),
    );
    const rooms = await db.zoomRoom.findMany({ where: { teamId: team.id }, orderBy: { zoomRoomId: "asc" } });
    expect(rooms.map((r) => [r.zoomRoomId, r.status])).toEqual([
      ["zr-a", "Available"],
      ["zr-b", "Available"],
      ["zr-off", "Offline"],
    ]);
    const offline = rooms.find((r) => r.zoomRoomId === "zr-off")!;
    expect(await db.roomAction.count({ where: { roomId: offline.id } })).toBe(0);
    expect(await db.roomAction.count({ where: { outcome: "UNCONFIRMED" } })).toBe(0);

    const session = await db.captureSession.findUniqueOrThrow({ where: { rtmsStreamId: info.streamId } });
    const roomParticipants = await db.participant.findMany({
      where: { sessionId: session.id, roomId: { not: null } },
      orderBy: { name: "asc" },
    });
    expect(roomParticipants.map((p) => p.name)).toEqual(["Room A", "Room B"]);
    live.stopRtms(6);
  });
});
