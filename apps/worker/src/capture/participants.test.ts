// SessionParticipants against a real Postgres through the real FrameWriter: names, room recognition and
// camera-on time as the portal will read them.
import { createTestDatabase, type TestDatabase } from "@capture/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../logger.ts";
import { Metrics } from "../metrics.ts";
import { FrameWriter } from "./frame-writer.ts";
import { SessionParticipants } from "./participants.ts";
import { RoomMatcher } from "./room-matcher.ts";

let testDb: TestDatabase;
let writer: FrameWriter;
let teamId: string;
const log = createLogger("silent");

beforeAll(async () => {
  testDb = await createTestDatabase("participants");
  teamId = (await testDb.db.team.create({ data: { slug: "p", name: "p" } })).id;
  writer = new FrameWriter({
    db: testDb.db,
    log,
    metrics: new Metrics({ defaultMetrics: false }),
    budgetBytes: 1 << 20,
    flushIntervalMs: 5,
    onFrameDropped: () => {},
  });
});
afterAll(async () => {
  await writer?.close();
  await testDb?.drop();
});

async function session(n: number) {
  return testDb.db.captureSession.create({
    data: { teamId, rtmsStreamId: `p-${n}`, meetingUuid: "m", serverUrls: "ws://127.0.0.1:1" },
  });
}

describe("SessionParticipants", () => {
  it("adds up camera-on time over stretches and closes open ones at the end", async () => {
    const { id } = await session(1);
    let now = Date.parse("2026-12-01T10:00:00Z");
    const people = new SessionParticipants({
      sessionId: id,
      writer,
      rooms: new RoomMatcher(),
      log,
      now: () => now,
    });
    people.touch({ userId: "1", userName: "Ann\u0000" });
    people.videoOn({ userId: "1" });
    now += 5_000;
    people.videoOff({ userId: "1" });
    now += 10_000;
    people.videoOn({ userId: "1" });
    people.videoOn({ userId: "1" }); // a repeated event changes nothing
    now += 2_000;
    expect(people.camerasOn).toEqual(["1"]);
    people.closeAllCameras();
    await writer.drain();
    const p = await testDb.db.participant.findFirstOrThrow({ where: { sessionId: id } });
    expect(p).toMatchObject({ name: "Ann", videoOn: false, videoOnMs: 7_000, videoOnSince: null });
    expect(p.firstVideoOnAt?.toISOString()).toBe("2026-12-01T10:00:00.000Z");
  });

  it("recognises a team's Zoom Room by name, also when the rooms load after it was seen", async () => {
    const { id } = await session(2);
    const rooms = new RoomMatcher();
    const people = new SessionParticipants({ sessionId: id, writer, rooms, log });
    people.touch({ userId: "9", userName: " board room " });
    const room = await testDb.db.zoomRoom.create({ data: { teamId, zoomRoomId: "zr", name: "Board Room" } });
    await rooms.load(testDb.db, teamId);
    people.rematchRooms();
    expect(people.isRoom("9")).toBe(true);
    await writer.drain();
    const p = await testDb.db.participant.findFirstOrThrow({ where: { sessionId: id } });
    expect(p.roomId).toBe(room.id);
  });

  it("restores names and camera state of a resumed session", async () => {
    const { id } = await session(3);
    const first = new SessionParticipants({ sessionId: id, writer, rooms: new RoomMatcher(), log });
    first.touch({ userId: "1", userName: "First Name" });
    first.videoOn({ userId: "1" });
    await writer.drain();
    const resumed = new SessionParticipants({ sessionId: id, writer, rooms: new RoomMatcher(), log });
    resumed.restore(await testDb.db.participant.findMany({ where: { sessionId: id } }));
    // A rename by Zoom does not move the folder.
    expect(resumed.nameFor({ userId: "1", userName: "Renamed" })).toBe("First Name");
    expect(resumed.camerasOn).toEqual(["1"]);
  });
});
