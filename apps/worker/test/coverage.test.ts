// Individual-video coverage, with the worker as a child process against zoom-sim: in EVERYONE mode every
// camera that is on gets frames, silent or not, Zoom Rooms included; in SPEAKER mode only whoever speaks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectFilesMatchRows,
  type Harness,
  sleep,
  startHarness,
  startStream,
  stopAndWait,
  waitUntil,
} from "./support/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness("coverage");
  await h.spawnWorker().ready();
});
afterAll(async () => {
  await h?.close();
});

const describeWorkers = () => h.workers.map((w) => w.describe()).join("\n---\n");

/** Frames kept per participant name, for one session. */
async function framesByName(sessionId: string): Promise<Map<string, number>> {
  const participants = await h.testDb.db.participant.findMany({ where: { sessionId } });
  return new Map(participants.map((p) => [p.name, p.frameCount]));
}

const TEN = Array.from({ length: 10 }, (_, i) => `Person ${i + 1}`);

describe("EVERYONE and SPEAKER modes side by side", () => {
  it("fills all ten galleries in EVERYONE mode and only the two speakers' in SPEAKER mode", {
    timeout: 180_000,
  }, async () => {
    const db = h.testDb.db;
    const team = await db.team.findUniqueOrThrow({ where: { slug: "demo" } });
    // A Zoom Room registered for the EVERYONE meeting: the worker asks it to join, then it must be covered.
    h.sim.addRoom({ id: "zr-board", name: "Board Room" });
    const room = await db.zoomRoom.create({
      data: { teamId: team.id, zoomRoomId: "zr-board", name: "Board Room", status: "Available" },
    });
    const everyoneNumber = "300000001";
    const everyoneMeeting = await db.meeting.create({
      data: { teamId: team.id, meetingNumber: everyoneNumber, name: "Everyone", captureMode: "EVERYONE" },
    });
    await db.meetingRoom.create({ data: { meetingId: everyoneMeeting.id, roomId: room.id } });
    const refusedName = "Refused";
    const everyone = await startStream(h, {
      number: everyoneNumber,
      captureMode: "EVERYONE",
      participants: [
        ...TEN.map((name) => ({ name })),
        { name: "Camera Off", camera: false },
        { name: refusedName },
      ],
    });
    const speaker = await startStream(h, {
      number: "300000002",
      captureMode: "SPEAKER",
      participants: TEN.map((name) => ({ name })),
    });
    // Zoom refuses msg 28 for this one participant (status 45, internal exception): the rotation must
    // skip them and carry on.
    const refused = everyone.live.participants.find((p) => p.name === refusedName)!;
    h.sim.faults.refuseVideoSubscription(refused.userId, 45);

    // Only Person 1 and Person 2 ever speak, in both meetings.
    const p1 = everyone.live.participants[0]!;
    const p2 = everyone.live.participants[1]!;
    const s1 = speaker.live.participants[0]!;
    const s2 = speaker.live.participants[1]!;
    let turn = 0;
    let seen = "";
    const talk = setInterval(() => {
      turn++;
      everyone.live.setActiveSpeaker((turn % 2 ? p1 : p2).userId);
      speaker.live.setActiveSpeaker((turn % 2 ? s1 : s2).userId);
    }, 1_500);
    try {
      await waitUntil(
        async () => {
          const byName = await framesByName(everyone.sessionId);
          seen = JSON.stringify([...byName]);
          // Full galleries: the seed policy's newest 3 of each.
          return [...TEN, "Board Room"].every((name) => (byName.get(name) ?? 0) >= 3);
        },
        90_000,
        () => `frames by name: ${seen}\n${describeWorkers()}`,
      );
      await waitUntil(
        async () => {
          const byName = await framesByName(speaker.sessionId);
          return (byName.get("Person 1") ?? 0) > 0 && (byName.get("Person 2") ?? 0) > 0;
        },
        30_000,
        describeWorkers,
      );

      // A camera that comes on late is the very next subscription: it has no frames, everyone else has.
      const late = everyone.live.participants.find((p) => p.name === "Camera Off")!;
      expect((await framesByName(everyone.sessionId)).get("Camera Off") ?? 0).toBe(0);
      const nextSubscribed = h.sim.waitFor<{ streamId: string; userId: number }>(
        "video-subscribed",
        (e) => e.streamId === everyone.streamId,
        20_000,
      );
      everyone.live.setCamera(late.userId, true);
      expect((await nextSubscribed).userId).toBe(late.userId);
      await waitUntil(
        async () => ((await framesByName(everyone.sessionId)).get("Camera Off") ?? 0) >= 3,
        20_000,
        describeWorkers,
      );
    } finally {
      clearInterval(talk);
    }
    expect(await stopAndWait(h, everyone)).toBe("STOPPED");
    expect(await stopAndWait(h, speaker)).toBe("STOPPED");

    const everyoneFrames = await framesByName(everyone.sessionId);
    expect(everyoneFrames.get(refusedName) ?? 0).toBe(0);
    for (const name of [...TEN, "Board Room", "Camera Off"]) {
      // The seed policy: the newest 3 of each participant, whoever they are.
      expect(everyoneFrames.get(name), name).toBe(3);
    }
    const speakerFrames = await framesByName(speaker.sessionId);
    expect(
      [...speakerFrames]
        .filter(([, n]) => n > 0)
        .map(([name]) => name)
        .sort(),
    ).toEqual(["Person 1", "Person 2"]);
    await expectFilesMatchRows(h, everyone.sessionId);
    await expectFilesMatchRows(h, speaker.sessionId);

    // What the portal reads: camera state, camera-on time and time to first frame per participant.
    const rows = await db.participant.findMany({ where: { sessionId: everyone.sessionId } });
    const byName = new Map(rows.map((p) => [p.name, p]));
    const person1 = byName.get("Person 1")!;
    expect(person1.firstVideoOnAt).not.toBeNull();
    expect(person1.firstFrameAt!.getTime()).toBeGreaterThanOrEqual(person1.firstVideoOnAt!.getTime());
    // The session ended: no camera is still counted as on, and camera-on time was added up.
    expect(rows.filter((p) => p.videoOn)).toEqual([]);
    expect(person1.videoOnMs).toBeGreaterThan(0);
    expect(byName.get("Board Room")!.roomId).toBe(room.id);
    const sessions = await db.captureSession.findMany({
      where: { id: { in: [everyone.sessionId, speaker.sessionId] } },
      orderBy: { createdAt: "asc" },
    });
    expect(sessions.map((s) => s.captureMode)).toEqual(["EVERYONE", "SPEAKER"]);
  });
});

describe("rotation through faults", () => {
  it("resumes the rotation after a media drop, with no duplicate rows", { timeout: 120_000 }, async () => {
    const names = ["Ana", "Ben", "Cai", "Dee", "Eli", "Fay"];
    const { live, streamId, sessionId } = await startStream(h, {
      number: "300000003",
      captureMode: "EVERYONE",
      participants: names.map((name) => ({ name })),
    });
    const covered = async (frames: number) =>
      [...(await framesByName(sessionId))].filter(([name, n]) => names.includes(name) && n >= frames).length;
    await waitUntil(async () => (await covered(1)) >= 2, 30_000, describeWorkers);
    const reconnected = h.sim.waitFor<{ streamId: string }>(
      "media-connected",
      (e) => e.streamId === streamId,
    );
    h.sim.faults.dropMedia(streamId);
    await reconnected;
    // Every gallery full (the seed policy's newest 3): a turn cut short by the drop is made up later.
    await waitUntil(async () => (await covered(3)) === names.length, 60_000, describeWorkers);
    await sleep(500);
    expect(await stopAndWait(h, { streamId, live })).toBe("STOPPED");
    const byName = await framesByName(sessionId);
    for (const name of names) expect(byName.get(name), name).toBe(3);
    const stored = await expectFilesMatchRows(h, sessionId);
    expect(stored).toBe(names.length * 3);
    const session = await h.testDb.db.captureSession.findUniqueOrThrow({ where: { id: sessionId } });
    expect(session.reconnectCount).toBeGreaterThanOrEqual(1);
  });
});
