// Team storage quota with the worker as a child process, zoom-sim streams, Postgres and the local store:
// capture past a team's quota drops frames with the `quota` reason (metric and the session's count) for
// that team only, while another team keeps capturing; Team.storedBytes equals the bytes of the rows (and
// of the files) after writes, newest-N supersede deletes, portal deletes and a revoked purge, which is
// verified and audited.
import { stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectFilesMatchRows,
  type Harness,
  listFiles,
  startHarness,
  startStream,
  stopAndWait,
  type WorkerProcess,
  waitUntil,
} from "./support/harness.ts";
import { createSecondTeam, deliverAsTeam, startedEventOf } from "./support/teams.ts";

const QUOTA = 150_000;

let h: Harness;
let worker: WorkerProcess;

beforeAll(async () => {
  h = await startHarness("quota");
  // Keep-newest speakers rewrite their frames every second here (not every 10 s), so the stores see
  // writes and supersede deletes throughout each test.
  worker = await h.spawnWorker({ QUOTA_REFRESH_MS: "200", FRAME_REFRESH_MS: "1000" }).ready();
});
afterAll(async () => {
  await h?.close();
});

const describeWorker = () => worker.describe();

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${worker.healthPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(" ").pop()) : 0;
}

async function teamBytes(teamId: string) {
  const db = h.testDb.db;
  const team = await db.team.findUniqueOrThrow({ where: { id: teamId } });
  const rows = await db.frame.aggregate({ where: { session: { teamId } }, _sum: { bytes: true } });
  return { stored: Number(team.storedBytes), rows: rows._sum.bytes ?? 0 };
}

/** Bytes of the files under a session's folder. */
async function fileBytes(sessionId: string): Promise<number> {
  let total = 0;
  for (const f of (await listFiles(h.framesDir)).filter((x) => x.startsWith(`${sessionId}/`)))
    total += (await stat(path.join(h.framesDir, f))).size;
  return total;
}

describe("team storage quota", () => {
  it("stops capture for the team at its quota only; another team keeps capturing", async () => {
    const db = h.testDb.db;
    const demo = await db.team.update({ where: { slug: "demo" }, data: { quotaBytes: BigInt(QUOTA) } });
    const other = await createSecondTeam(h, "quota-other");

    // The limited team keeps every frame, so it reaches its quota within seconds.
    const limited = await startStream(h, {
      number: "700000001",
      participants: [{ name: "Quinn" }],
      framePolicy: { kind: "all" },
    });
    // The other team runs the seed policy (newest 3): its store sees writes and supersede deletes.
    await db.meeting.create({ data: { teamId: other.id, meetingNumber: "700000002", name: "Other" } });
    const otherLive = h.sim.createMeeting({
      number: "700000002",
      participants: [{ name: "Olga" }, { name: "Omar" }],
    });
    const otherInfo = await otherLive.startRtms();
    await deliverAsTeam(h, other.id, startedEventOf(h, otherInfo.streamId));
    let otherSessionId = "";
    await waitUntil(
      async () => {
        const s = await db.captureSession.findUnique({ where: { rtmsStreamId: otherInfo.streamId } });
        otherSessionId = s?.id ?? "";
        return s?.state === "ACTIVE";
      },
      20_000,
      describeWorker,
    );

    // The limited team's session counts frames it could not store.
    await waitUntil(
      async () =>
        (await db.captureSession.findUniqueOrThrow({ where: { id: limited.sessionId } }))
          .quotaDroppedFrames >= 10,
      30_000,
      describeWorker,
    );
    // Meanwhile the other team's frames keep being stored: newer frames replace its newest 3 (the kept
    // counts are net of those deletes, so the newest stored timestamp is what moves).
    const newestOther = async () =>
      (await db.frame.aggregate({ where: { sessionId: otherSessionId }, _max: { zoomTimestamp: true } }))._max
        .zoomTimestamp ?? 0n;
    const before = await newestOther();
    await waitUntil(async () => (await newestOther()) > before, 20_000, describeWorker);

    expect(await stopAndWait(h, limited)).toBe("STOPPED");
    otherLive.stopRtms(6);
    await waitUntil(
      async () =>
        (await db.captureSession.findUniqueOrThrow({ where: { id: otherSessionId } })).state === "STOPPED",
      15_000,
      describeWorker,
    );

    const limitedSession = await db.captureSession.findUniqueOrThrow({ where: { id: limited.sessionId } });
    const otherSession = await db.captureSession.findUniqueOrThrow({ where: { id: otherSessionId } });
    // Every quota drop is in the metric and on the session row, the same number.
    expect(await metric("capture_frames_dropped_total", 'reason="quota"')).toBe(
      limitedSession.quotaDroppedFrames,
    );
    expect(otherSession.quotaDroppedFrames).toBe(0);
    expect(limitedSession.lowDiskDroppedFrames).toBe(0);

    // The quota holds exactly, and storedBytes is the rows' and the files' bytes, for both teams.
    const a = await teamBytes(demo.id);
    expect(a.stored).toBe(a.rows);
    expect(a.stored).toBeLessThanOrEqual(QUOTA);
    expect(a.stored).toBeGreaterThan(QUOTA / 2);
    expect(await fileBytes(limited.sessionId)).toBe(a.stored);
    // A frame refused by the database after its file was written leaves no file behind.
    await expectFilesMatchRows(h, limited.sessionId);
    const b = await teamBytes(other.id);
    expect(b.stored).toBe(b.rows);
    expect(b.stored).toBeGreaterThan(0);
    expect(await fileBytes(otherSessionId)).toBe(b.stored);
    expect(await expectFilesMatchRows(h, otherSessionId)).toBe(6); // newest 3 of each participant

    // A portal delete (the gallery's "delete all" of one participant) takes its bytes off.
    const olga = await db.participant.findFirstOrThrow({
      where: { sessionId: otherSessionId, name: "Olga" },
    });
    await db.frame.deleteMany({ where: { participantId: olga.id } });
    const c = await teamBytes(other.id);
    expect(c.stored).toBe(c.rows);
    expect(c.stored).toBeLessThan(b.stored);
  });
});

describe("keep-newest at the quota", () => {
  it("a participant keeps its newest 3 when the quota refuses the frames meant to replace them", async () => {
    const db = h.testDb.db;
    const demo = await db.team.update({ where: { slug: "demo" }, data: { quotaBytes: null } });
    const started = await startStream(h, { number: "700000004", participants: [{ name: "Nell" }] });
    const rows = () => db.frame.findMany({ where: { sessionId: started.sessionId } });
    await waitUntil(async () => (await rows()).length >= 3, 20_000, describeWorker);
    // Room for about one more frame: the next flush of three held frames stores one and is refused two.
    const now = await rows();
    const frameBytes = now.reduce((n, f) => n + f.bytes, 0) / now.length;
    const stored = Number((await db.team.findUniqueOrThrow({ where: { id: demo.id } })).storedBytes);
    await db.team.update({
      where: { id: demo.id },
      data: { quotaBytes: BigInt(Math.round(stored + 1.5 * frameBytes)) },
    });
    await waitUntil(
      async () =>
        (await db.captureSession.findUniqueOrThrow({ where: { id: started.sessionId } }))
          .quotaDroppedFrames >= 6,
      30_000,
      describeWorker,
    );
    expect(await stopAndWait(h, started)).toBe("STOPPED");
    // Without sparing the displaced frames, the refused writes would have cost two stored frames.
    expect(await expectFilesMatchRows(h, started.sessionId)).toBe(3);
    const a = await teamBytes(demo.id);
    expect(a.stored).toBe(a.rows);
    await db.team.update({ where: { id: demo.id }, data: { quotaBytes: null } });
  });
});

describe("stop reason 8 (revoked)", () => {
  it("purges the session, verifies 0 remaining in the store and the rows, and audits the counts", async () => {
    const db = h.testDb.db;
    const demo = await db.team.update({ where: { slug: "demo" }, data: { quotaBytes: null } });
    const started = await startStream(h, { number: "700000003", participants: [{ name: "Rita" }] });
    await waitUntil(
      async () => (await db.frame.count({ where: { sessionId: started.sessionId } })) >= 3,
      20_000,
    );
    // One statement, one snapshot: frames keep arriving until the stop, and every one of them is purged,
    // so the team's figure must end at what it was here less this session's bytes here.
    const [before] = await db.$queryRaw<{ stored: bigint; session: bigint }[]>`
      SELECT t."storedBytes" AS stored,
        (SELECT COALESCE(sum(f.bytes), 0) FROM "Frame" f WHERE f."sessionId" = ${started.sessionId})::bigint AS session
      FROM "Team" t WHERE t.id = ${demo.id}`;
    expect(await stopAndWait(h, started, 8)).toBe("STOPPED");
    const audit = await db.auditEvent.findFirstOrThrow({
      where: { teamId: demo.id, action: "session.revoked_purge", targetId: started.sessionId },
    });
    const data = audit.data as Record<string, number>;
    expect(data).toMatchObject({ remainingRows: 0, remainingObjects: 0 });
    expect(data.frames).toBeGreaterThanOrEqual(3);
    // Not objects >= frames: a frame the policy evicted just before the purge has lost its file already,
    // and its row goes with the purge's (counted in frames, not in objects).
    expect(data.objects).toBeGreaterThanOrEqual(3);
    expect(await db.frame.count({ where: { sessionId: started.sessionId } })).toBe(0);
    expect((await listFiles(h.framesDir)).filter((f) => f.startsWith(`${started.sessionId}/`))).toEqual([]);
    const after = await teamBytes(demo.id);
    expect(after.stored).toBe(after.rows);
    expect(after.stored).toBe(Number(before!.stored) - Number(before!.session));
    expect(data.bytes).toBeGreaterThanOrEqual(Number(before!.session)); // and whatever came after
  });
});
