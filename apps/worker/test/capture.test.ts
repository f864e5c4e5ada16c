// The worker as a child process against zoom-sim: a scripted meeting (3 people, 2 Zoom Rooms) must end as
// exactly the files and rows the seed policy says, with rooms joining after the media handshake and
// leaving after the meeting's delay.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, listFiles, startHarness, type WorkerProcess, waitUntil } from "./support/harness.ts";

const MEETING_NUMBER = "123456789";
let h: Harness;
let worker: WorkerProcess;

beforeAll(async () => {
  h = await startHarness("capture");
  worker = await h
    .spawnWorker({ ZOOM_MEETING_NUMBER: MEETING_NUMBER, ZOOM_MEETING_PASSCODE: "s3cret" })
    .ready();
});
afterAll(async () => {
  await h?.close();
});

describe("a scripted meeting", () => {
  it("keeps each participant's newest 3 frames, and rooms join after media and leave after the delay", async () => {
    const { sim, testDb } = h;
    const db = testDb.db;
    const team = await db.team.findUniqueOrThrow({ where: { slug: "demo" }, include: { meetings: true } });
    const meeting = team.meetings[0]!;
    await db.meeting.update({ where: { id: meeting.id }, data: { roomLeaveDelaySec: 2 } });
    for (const [id, name] of [
      ["zr-board", "Board Room"],
      ["zr-huddle", "Huddle Room"],
    ] as const) {
      sim.addRoom({ id, name });
      const room = await db.zoomRoom.create({
        data: { teamId: team.id, zoomRoomId: id, name, status: "Available" },
      });
      await db.meetingRoom.create({ data: { meetingId: meeting.id, roomId: room.id } });
    }
    const live = sim.createMeeting({
      number: MEETING_NUMBER,
      passcode: "s3cret",
      participants: [{ name: "Alice" }, { name: "Bob" }, { name: "Carol" }],
    });
    let mediaReadyAt = 0;
    sim.once("media-connected", () => {
      mediaReadyAt = Date.now();
    });
    const [alice, bob, carol] = live.participants;
    live.setActiveSpeaker(alice!.userId);
    const info = await live.startRtms({ waitForConsumer: true });

    // Each speaker talks long enough for warm-up (3) + more than 3 kept frames at 5 fps.
    await waitUntil(
      () => mediaReadyAt > 0,
      20_000,
      () => worker.describe(),
    );
    await sleep(2000);
    live.setActiveSpeaker(bob!.userId);
    await sleep(2000);
    live.setActiveSpeaker(carol!.userId);
    await sleep(2000);
    // Both rooms must have joined, been confirmed, and been asked to leave.
    await waitUntil(
      async () => (await db.roomAction.count({ where: { kind: "LEAVE", outcome: "CONFIRMED" } })) === 2,
      20_000,
      () => worker.describe(),
    );
    live.stopRtms(6);
    await waitUntil(
      async () =>
        (await db.captureSession.findFirst({ where: { rtmsStreamId: info.streamId } }))?.state === "STOPPED",
      15_000,
      () => worker.describe(),
    );

    const sessions = await db.captureSession.findMany();
    expect(sessions).toHaveLength(1);
    const session = sessions[0]!;
    expect(session).toMatchObject({ stopReason: 6, meetingId: meeting.id, state: "STOPPED" });

    const frames = await db.frame.findMany({
      include: { participant: true },
      orderBy: { zoomTimestamp: "asc" },
    });
    const byName = new Map<string, number[]>();
    for (const f of frames)
      byName.set(f.participant.name, [...(byName.get(f.participant.name) ?? []), Number(f.zoomTimestamp)]);
    expect([...byName.keys()].sort()).toEqual(["Alice", "Bob", "Carol"]);
    for (const timestamps of byName.values()) {
      expect(timestamps).toHaveLength(3);
      // The newest three of one speaking turn: consecutive frames.
      expect(timestamps[2]! - timestamps[0]!).toBeLessThanOrEqual(2 * 250);
    }
    // Exactly the kept frames are on disk (evicted ones deleted), in one folder for the session.
    expect(await listFiles(h.framesDir)).toEqual(frames.map((f) => f.storageKey).sort());
    for (const f of frames) {
      expect(f.storageKey).toBe(
        `${session.id}/${f.participant.name}_${f.participant.zoomUserId}/${f.zoomTimestamp}.jpg`,
      );
      expect(f.bytes).toBeGreaterThan(1000);
    }
    const participants = await db.participant.findMany({ orderBy: { name: "asc" } });
    expect(participants.map((p) => [p.name, p.roomId !== null])).toEqual([
      ["Alice", false],
      ["Board Room", true],
      ["Bob", false],
      ["Carol", false],
      ["Huddle Room", true],
    ]);
    expect(participants.filter((p) => !p.roomId).map((p) => p.frameCount)).toEqual([3, 3, 3]);

    const actions = await db.roomAction.findMany({ orderBy: { createdAt: "asc" } });
    const joins = actions.filter((a) => a.kind === "JOIN");
    const leaves = actions.filter((a) => a.kind === "LEAVE");
    expect(joins.map((a) => a.outcome)).toEqual(["CONFIRMED", "CONFIRMED"]);
    expect(leaves.map((a) => a.outcome)).toEqual(["CONFIRMED", "CONFIRMED"]);
    for (const join of joins) {
      expect(join.createdAt.getTime()).toBeGreaterThanOrEqual(mediaReadyAt - 50);
      const leave = leaves.find((l) => l.roomId === join.roomId)!;
      expect(leave.createdAt.getTime() - join.updatedAt.getTime()).toBeGreaterThanOrEqual(2000 - 50);
    }
    const events = await db.sessionEvent.groupBy({ by: ["type"], _count: true });
    const counts = Object.fromEntries(events.map((e) => [e.type, e._count]));
    expect(counts.PARTICIPANT_JOIN).toBeGreaterThanOrEqual(2);
    expect(counts.PARTICIPANT_LEAVE).toBeGreaterThanOrEqual(2);
    expect(counts.ACTIVE_SPEAKER).toBeGreaterThanOrEqual(3);
    expect(counts.STOPPED).toBe(1);
    // Nothing secret reached the logs.
    const logText = worker.lines.map((l) => JSON.stringify(l)).join("\n");
    for (const secret of ["s3cret", sim.options.rtmsApp.clientSecret, sim.options.s2s.clientSecret]) {
      expect(logText).not.toContain(secret);
    }
  });
});

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
