// Session list, snapshot and the live SSE stream against real Postgres: the stream sends a snapshot when
// something changes, nothing when nothing does, and ends after the session stops.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCapturedSession,
  createTeamWithUser,
  createTestDatabase,
  type TestDatabase,
} from "../../../../test/fixtures.ts";
import { sessionEventStream } from "./live.ts";
import { getSessionSnapshot, listSessions, SESSION_PAGE_SIZE } from "./sessions.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase("sessions");
});
afterAll(() => t?.drop());

async function readEvents(
  stream: ReadableStream<Uint8Array>,
  until: (events: { event: string; data: unknown }[]) => boolean,
) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const events: { event: string; data: unknown }[] = [];
  let buffer = "";
  while (!until(events)) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut = buffer.indexOf("\n\n");
    while (cut >= 0) {
      const chunk = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(chunk)?.[1];
      const data = /^data: (.*)$/m.exec(chunk)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
      cut = buffer.indexOf("\n\n");
    }
  }
  await reader.cancel();
  return events;
}

describe("sessions", () => {
  it("lists a team's sessions newest first with counts, paging by keyset", async () => {
    const { team } = await createTeamWithUser(t.db, "OWNER", "s1");
    for (let i = 0; i < SESSION_PAGE_SIZE + 2; i++)
      await createCapturedSession(t.db, team.id, { frames: i === 0 ? 4 : 0 });
    const first = await listSessions(t.db, team.id);
    expect(first.rows).toHaveLength(SESSION_PAGE_SIZE);
    expect(first.next).not.toBeNull();
    const second = await listSessions(t.db, team.id, { before: first.next! });
    expect(second.rows).toHaveLength(2);
    expect(second.next).toBeNull();
    const all = [...first.rows, ...second.rows];
    expect(new Set(all.map((r) => r.id)).size).toBe(SESSION_PAGE_SIZE + 2);
    expect(all.find((r) => r.frames === 4)).toMatchObject({
      participants: 1,
      state: "ACTIVE",
      reconnects: 0,
    });
  });

  it("describes stop reasons by Zoom's table when no text was stored", async () => {
    const { team } = await createTeamWithUser(t.db, "OWNER", "s2");
    const { session } = await createCapturedSession(t.db, team.id);
    await t.db.captureSession.update({
      where: { id: session.id },
      data: { state: "STOPPED", stopReason: 6, endedAt: new Date() },
    });
    const snap = await getSessionSnapshot(t.db, team.id, session.id);
    expect(snap.stopReason).toMatch(/meeting ended.*\(6\)/i);
  });

  it("streams snapshots live and ends when the session stops", async () => {
    const { team } = await createTeamWithUser(t.db, "OWNER", "s3");
    const { session, participant } = await createCapturedSession(t.db, team.id);
    const stream = sessionEventStream(t.db, team.id, session.id, { intervalMs: 20 });
    const events = readEvents(stream, (evs) => evs.some((e) => e.event === "end"));
    await new Promise((r) => setTimeout(r, 100));
    await t.db.participant.update({
      where: { id: participant.id },
      data: { frameCount: 7, lastSeenAt: new Date() },
    });
    await t.db.sessionEvent.create({
      data: { sessionId: session.id, type: "ACTIVE_SPEAKER", zoomUserId: participant.zoomUserId },
    });
    await new Promise((r) => setTimeout(r, 100));
    await t.db.captureSession.update({
      where: { id: session.id },
      data: { state: "STOPPED", stopReason: 6 },
    });
    const got = await events;
    const snapshots = got
      .filter((e) => e.event === "snapshot")
      .map(
        (e) =>
          e.data as { state: string; participants: { frameCount: number }[]; events: { label: string }[] },
      );
    // First snapshot at once, one per change, none while nothing changed (the poll ran ~10 times).
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    expect(snapshots.length).toBeLessThanOrEqual(4);
    expect(snapshots[0]!.participants[0]!.frameCount).toBe(0);
    expect(snapshots.at(-1)).toMatchObject({ state: "STOPPED" });
    expect(snapshots.at(-1)!.events.at(-1)!.label).toBe("Ada Lovelace speaking");
    expect(got.at(-1)).toEqual({ event: "end", data: { state: "STOPPED" } });
  });

  it("streams coverage: a camera coming on, then its first frame, each send a snapshot", async () => {
    const { team } = await createTeamWithUser(t.db, "OWNER", "s6");
    const { session, participant } = await createCapturedSession(t.db, team.id);
    const stream = sessionEventStream(t.db, team.id, session.id, { intervalMs: 20 });
    type Snap = { coverage: { covered: number; cameraOn: number }; participants: { videoOn: boolean }[] };
    const events = readEvents(stream, (evs) =>
      evs.some((e) => e.event === "snapshot" && (e.data as Snap).coverage.covered === 1),
    );
    await new Promise((r) => setTimeout(r, 80));
    const on = new Date();
    await t.db.participant.update({
      where: { id: participant.id },
      data: { videoOn: true, firstVideoOnAt: on, videoOnSince: on },
    });
    await new Promise((r) => setTimeout(r, 80));
    await t.db.participant.update({
      where: { id: participant.id },
      data: { frameCount: 1, firstFrameAt: new Date(on.getTime() + 700) },
    });
    const coverages = (await events)
      .filter((e) => e.event === "snapshot")
      .map((e) => (e.data as Snap).coverage);
    expect(coverages[0]).toEqual({ covered: 0, cameraOn: 0 });
    expect(coverages).toContainEqual({ covered: 0, cameraOn: 1 });
    expect(coverages.at(-1)).toEqual({ covered: 1, cameraOn: 1 });
  });

  it("another team's session id yields an error event, not data", async () => {
    const { team } = await createTeamWithUser(t.db, "OWNER", "s4");
    const { team: other } = await createTeamWithUser(t.db, "OWNER", "s5");
    const { session } = await createCapturedSession(t.db, team.id);
    const got = await readEvents(
      sessionEventStream(t.db, other.id, session.id, { intervalMs: 20 }),
      () => false,
    );
    expect(got).toEqual([{ event: "error", data: { code: "NOT_FOUND" } }]);
  });
});
