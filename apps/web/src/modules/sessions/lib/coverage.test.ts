// Coverage: the derivation from participant rows, and the sessions list's aggregates against real Postgres
// agreeing with the session page's snapshot on the same rows.
import type { Db } from "@capture/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCapturedSession,
  createTeamWithUser,
  createTestDatabase,
  type TestDatabase,
} from "../../../../test/fixtures.ts";
import {
  type CoverageFields,
  coverageCell,
  coverageOf,
  describeCoverage,
  formatMs,
  getParticipantCoverage,
  listCoverage,
  participantCoverage,
} from "./coverage.ts";
import { getSessionSnapshot, listSessions } from "./sessions.ts";

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const at = (sec: number) => new Date(T0 + sec * 1000);
const never: CoverageFields = {
  frameCount: 0,
  firstVideoOnAt: null,
  videoOnMs: 0,
  videoOnSince: null,
  firstFrameAt: null,
};

describe("coverage derivation", () => {
  it("adds the running camera stretch to the closed ones", () => {
    const on = { ...never, firstVideoOnAt: at(0), videoOnMs: 5000, videoOnSince: at(20) };
    expect(participantCoverage(on, at(30)).cameraOnMs).toBe(15_000);
    const off = { ...on, videoOnSince: null };
    expect(participantCoverage(off, at(30)).cameraOnMs).toBe(5000);
  });

  it("time to first frame runs from the camera first coming on to the first kept frame", () => {
    const p = { ...never, frameCount: 2, firstVideoOnAt: at(10), firstFrameAt: at(11.5) };
    expect(participantCoverage(p, at(60)).timeToFirstFrameMs).toBe(1500);
    expect(participantCoverage({ ...p, firstFrameAt: null }, at(60)).timeToFirstFrameMs).toBeNull();
    // The frame row can be written a moment before the camera event is: that is "at once", not negative.
    expect(participantCoverage({ ...p, firstFrameAt: at(9.9) }, at(60)).timeToFirstFrameMs).toBe(0);
  });

  it("counts only cameras that were ever on, and marks those among them without frames", () => {
    const rows: CoverageFields[] = [
      { ...never, firstVideoOnAt: at(0), frameCount: 3, firstFrameAt: at(1) },
      { ...never, firstVideoOnAt: at(0), frameCount: 1, firstFrameAt: at(2) },
      { ...never, firstVideoOnAt: at(0), videoOnSince: at(0) },
      { ...never, frameCount: 4 }, // frames but no camera event: not part of the ratio
      never,
    ];
    expect(coverageOf(rows)).toEqual({ covered: 2, cameraOn: 3 });
    expect(rows.map((r) => participantCoverage(r, at(5)).uncovered)).toEqual([
      false,
      false,
      true,
      false,
      false,
    ]);
    expect(describeCoverage({ covered: 2, cameraOn: 3 })).toBe(
      "2 of 3 participants with camera on have frames",
    );
    expect(describeCoverage({ covered: 1, cameraOn: 1 })).toBe(
      "1 of 1 participant with camera on has frames",
    );
    expect(describeCoverage({ covered: 0, cameraOn: 0 })).toBe("No participant has had a camera on yet");
    expect(coverageCell({ covered: 2, cameraOn: 3 })).toBe("2/3");
    expect(coverageCell({ covered: 0, cameraOn: 0 })).toBe("—");
  });

  it("formats durations for the participant rows", () => {
    expect(formatMs(null)).toBe("—");
    expect(formatMs(800)).toBe("0.8s");
    expect(formatMs(65_000)).toBe("1m 05s");
    expect(formatMs(3_720_000)).toBe("1h 02m");
  });
});

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase("coverage");
});
afterAll(() => t?.drop());

/** A session of `covered` camera-on participants with frames, `uncovered` without, `off` never on. */
async function sessionWith(db: Db, teamId: string, covered: number, uncovered: number, off: number) {
  const { session, participant } = await createCapturedSession(db, teamId);
  await db.participant.delete({ where: { id: participant.id } });
  let uid = 1000;
  const rows = [
    ...Array.from({ length: covered }, () => ({
      videoOn: true,
      firstVideoOnAt: at(0),
      videoOnSince: at(0),
      frameCount: 3,
      firstFrameAt: at(1),
    })),
    ...Array.from({ length: uncovered }, () => ({
      videoOn: true,
      firstVideoOnAt: at(0),
      videoOnSince: at(0),
    })),
    ...Array.from({ length: off }, () => ({})),
  ];
  await db.participant.createMany({
    data: rows.map((r) => ({ ...r, sessionId: session.id, zoomUserId: String(uid++), name: `P${uid}` })),
  });
  return session;
}

describe("coverage in the database", () => {
  it("the sessions list counts what the session page derives, for every session of the page", async () => {
    const { team } = await createTeamWithUser(t.db, "OWNER", "c1");
    const shapes = [
      [3, 1, 2],
      [0, 0, 4],
      [5, 0, 0],
      [0, 2, 1],
    ] as const;
    const sessions: { id: string }[] = [];
    for (const [c, u, o] of shapes) sessions.push(await sessionWith(t.db, team.id, c, u, o));
    const { rows } = await listSessions(t.db, team.id);
    for (const [i, s] of sessions.entries()) {
      const [c, u, o] = shapes[i]!;
      const row = rows.find((r) => r.id === s.id)!;
      const snap = await getSessionSnapshot(t.db, team.id, s.id);
      expect(row.coverage).toEqual({ covered: c, cameraOn: c + u });
      expect(snap.coverage).toEqual(row.coverage);
      expect(row.participants).toBe(c + u + o);
      expect(row.frames).toBe(c * 3);
      expect(snap.participants.filter((p) => participantCoverage(p, Date.now()).uncovered)).toHaveLength(u);
    }
    expect(coverageCell(rows.find((r) => r.id === sessions[1]!.id)!.coverage)).toBe("—");

    // The page costs the same number of queries whatever it holds: no query per session.
    let ops = 0;
    const counted = t.db.$extends({
      query: {
        $allOperations: ({ args, query }) => {
          ops++;
          return query(args);
        },
      },
    }) as unknown as Db;
    await listSessions(counted, team.id);
    const small = ops;
    for (let i = 0; i < 6; i++) await sessionWith(t.db, team.id, 2, 1, 1);
    ops = 0;
    expect((await listSessions(counted, team.id)).rows).toHaveLength(10);
    expect(ops).toBe(small);
    expect(small).toBeLessThanOrEqual(3);
  });

  it("a participant whose frames were all deleted counts as uncovered again", async () => {
    const { team } = await createTeamWithUser(t.db, "OWNER", "c2");
    const s = await sessionWith(t.db, team.id, 2, 0, 0);
    const one = await t.db.participant.findFirstOrThrow({ where: { sessionId: s.id } });
    await t.db.participant.update({ where: { id: one.id }, data: { frameCount: 0 } });
    expect((await listCoverage(t.db, [s.id])).get(s.id)).toMatchObject({ covered: 1, cameraOn: 2 });
    expect((await getSessionSnapshot(t.db, team.id, s.id)).coverage).toEqual({ covered: 1, cameraOn: 2 });
  });

  it("an empty page asks nothing and a session without participants reads as zeros", async () => {
    expect((await listCoverage(t.db, [])).size).toBe(0);
    const { team } = await createTeamWithUser(t.db, "OWNER", "c3");
    const s = await sessionWith(t.db, team.id, 0, 0, 0);
    expect((await listCoverage(t.db, [s.id])).get(s.id)).toEqual({
      participants: 0,
      frames: 0,
      covered: 0,
      cameraOn: 0,
    });
  });

  it("the snapshot carries the session's capture mode and the camera columns", async () => {
    const { team } = await createTeamWithUser(t.db, "OWNER", "c4");
    const s = await sessionWith(t.db, team.id, 1, 1, 0);
    await t.db.captureSession.update({ where: { id: s.id }, data: { captureMode: "EVERYONE" } });
    const snap = await getSessionSnapshot(t.db, team.id, s.id);
    expect(snap.captureMode).toBe("EVERYONE");
    const covered = snap.participants.find((p) => p.frameCount > 0)!;
    expect(covered).toMatchObject({ videoOn: true, firstVideoOnAt: T0, firstFrameAt: T0 + 1000 });
    expect(participantCoverage(covered, T0 + 10_000)).toMatchObject({
      cameraOnMs: 10_000,
      timeToFirstFrameMs: 1000,
      uncovered: false,
    });
  });

  it("one participant's camera figures, stopped at the session's end, and only for its own team", async () => {
    const { team } = await createTeamWithUser(t.db, "OWNER", "c5");
    const { team: other } = await createTeamWithUser(t.db, "OWNER", "c6");
    const s = await sessionWith(t.db, team.id, 0, 1, 0);
    await t.db.captureSession.update({ where: { id: s.id }, data: { state: "STOPPED", endedAt: at(42) } });
    const p = await t.db.participant.findFirstOrThrow({ where: { sessionId: s.id } });
    expect(await getParticipantCoverage(t.db, team.id, p.id, at(999))).toEqual({
      videoOn: true,
      cameraEverOn: true,
      uncovered: true,
      cameraOnMs: 42_000,
      timeToFirstFrameMs: null,
    });
    expect(await getParticipantCoverage(t.db, other.id, p.id)).toBeNull();
  });
});
