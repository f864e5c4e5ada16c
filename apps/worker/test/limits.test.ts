// Limits with the worker as a child process (issue 9): one team at its concurrent-session cap does not
// starve another team of the worker's capture slots, and a session ends at its maximum length.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, startStream, type WorkerProcess, waitUntil } from "./support/harness.ts";
import { createSecondTeam, deliverAsTeam, startedEventOf } from "./support/teams.ts";

let h: Harness;
let worker: WorkerProcess;

beforeAll(async () => {
  h = await startHarness("limits");
  // Two capture slots, one session per team: without the cap the first team's second stream would
  // take the second slot and the other team's stream would wait.
  worker = await h
    .spawnWorker({ WORKER_CONCURRENCY: "2", TEAM_MAX_SESSIONS: "1", TEAM_CAP_RETRY_MS: "300" })
    .ready();
});
afterAll(async () => {
  await h?.close();
});

const describeWorker = () => worker.describe();

async function stateOf(streamId: string) {
  return (await h.testDb.db.captureSession.findUnique({ where: { rtmsStreamId: streamId } }))?.state;
}

describe("per-team cap", () => {
  it("lets a second team's stream start while the first team is at its cap", async () => {
    const first = await startStream(h, { number: "500000001", participants: [{ name: "A1" }] });

    // The first team's second stream: queued, but deferred while the team is at its cap.
    const demo = await h.testDb.db.team.findUniqueOrThrow({ where: { slug: "demo" } });
    await h.testDb.db.meeting.create({ data: { teamId: demo.id, meetingNumber: "500000002", name: "A2" } });
    const secondLive = h.sim.createMeeting({ number: "500000002", participants: [{ name: "A2" }] });
    const second = await secondLive.startRtms({ waitForConsumer: true });
    await worker.waitForLog(
      (l) =>
        l.msg === "team at its concurrent-session cap: capture deferred" &&
        l.rtmsStreamId === second.streamId,
    );

    // Another team's stream. Its rtms_started reaches the worker as the portal's webhook route enqueues it
    // (the demo team's event WebSocket also sees it, but the demo team has no such meeting and ignores it).
    const other = await createSecondTeam(h, "other");
    await h.testDb.db.meeting.create({ data: { teamId: other.id, meetingNumber: "500000003", name: "B1" } });
    const otherLive = h.sim.createMeeting({ number: "500000003", participants: [{ name: "B1" }] });
    const otherInfo = await otherLive.startRtms();
    await deliverAsTeam(h, other.id, startedEventOf(h, otherInfo.streamId));
    await waitUntil(async () => (await stateOf(otherInfo.streamId)) === "ACTIVE", 20_000, describeWorker);

    // At that moment the first team still runs exactly one session; its second stream still waits.
    expect(await stateOf(first.streamId)).toBe("ACTIVE");
    expect(await stateOf(second.streamId)).toBeUndefined();
    const otherSession = await h.testDb.db.captureSession.findUniqueOrThrow({
      where: { rtmsStreamId: otherInfo.streamId },
    });
    expect(otherSession.teamId).toBe(other.id);

    // When the first team's session ends, its waiting stream gets the slot.
    first.live.stopRtms(6);
    await waitUntil(async () => (await stateOf(second.streamId)) === "ACTIVE", 20_000, describeWorker);
    secondLive.stopRtms(6);
    otherLive.stopRtms(6);
    await waitUntil(
      async () =>
        (await stateOf(second.streamId)) === "STOPPED" && (await stateOf(otherInfo.streamId)) === "STOPPED",
      20_000,
      describeWorker,
    );
  });
});

describe("maximum session length", () => {
  let h2: Harness;
  let w2: WorkerProcess;
  beforeAll(async () => {
    h2 = await startHarness("maxlen");
    // 0.002 h = 7.2 s.
    w2 = await h2.spawnWorker({ MAX_SESSION_HOURS: "0.002" }).ready();
  });
  afterAll(async () => {
    await h2?.close();
  });

  it("closes a stream that never ends, says why, and tells the session's rooms to leave", async () => {
    const db = h2.testDb.db;
    const team = await db.team.findUniqueOrThrow({ where: { slug: "demo" } });
    const meeting = await db.meeting.create({
      // A leave delay far beyond the test: only the session's end can send the room away.
      data: { teamId: team.id, meetingNumber: "500000010", name: "Endless", roomLeaveDelaySec: 3600 },
    });
    h2.sim.addRoom({ id: "zr-endless", name: "Endless Room" });
    const room = await db.zoomRoom.create({
      data: { teamId: team.id, zoomRoomId: "zr-endless", name: "Endless Room", status: "Available" },
    });
    await db.meetingRoom.create({ data: { meetingId: meeting.id, roomId: room.id } });
    const left = h2.sim.waitFor("room-left", (e) => e.roomId === "zr-endless", 30_000);

    const { streamId } = await startStream(h2, { number: "500000010", participants: [{ name: "Forever" }] });
    h2.sim.faults.endless(true, streamId);
    await waitUntil(
      async () => (await db.roomAction.count({ where: { kind: "JOIN", outcome: "CONFIRMED" } })) === 1,
      15_000,
      () => w2.describe(),
    );
    await waitUntil(
      async () =>
        (await db.captureSession.findUnique({ where: { rtmsStreamId: streamId } }))?.state === "STOPPED",
      20_000,
      () => w2.describe(),
    );
    const session = await db.captureSession.findUniqueOrThrow({ where: { rtmsStreamId: streamId } });
    expect(session.stopReasonText).toMatch(/^MAX_SESSION_LENGTH/);
    await left;
    const leaves = await db.roomAction.findMany({ where: { kind: "LEAVE" } });
    expect(leaves.map((a) => a.outcome)).toEqual(["ACCEPTED"]);
    h2.sim.faults.endless(false, streamId);
  });
});
