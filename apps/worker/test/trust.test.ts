// Hostile Zoom-side input against the worker as a child process (issue 9): zoom-sim's hostile faults and a
// second team's events. Each case runs an honest session beside the hostile one and checks it is untouched.
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  frameCount,
  type Harness,
  sleep,
  startHarness,
  startStream,
  type WorkerProcess,
  waitUntil,
} from "./support/harness.ts";
import { createSecondTeam, deliverAsTeam, intakeResult, startedEventOf } from "./support/teams.ts";

const KEEP_ALL = { kind: "all" };
const FLOOD_LIMIT = 200;
let h: Harness;
let worker: WorkerProcess;

beforeAll(async () => {
  h = await startHarness("trust");
  worker = await h
    .spawnWorker({
      RTMS_PROTOCOL_ERROR_LIMIT: String(FLOOD_LIMIT),
      RTMS_PROTOCOL_ERROR_WINDOW_MS: "5000",
    })
    .ready();
});
afterAll(async () => {
  await h?.close();
});

const describeWorker = () => worker.describe();

async function sessionOf(streamId: string) {
  return h.testDb.db.captureSession.findUniqueOrThrow({ where: { rtmsStreamId: streamId } });
}

async function waitForEnd(streamId: string) {
  await waitUntil(
    async () => ["STOPPED", "FAILED"].includes((await sessionOf(streamId)).state),
    20_000,
    describeWorker,
  );
  return sessionOf(streamId);
}

/** Samples the honest session's Frame rows while `during` runs: they must grow in every sample window. */
async function keepsWriting(sessionId: string, during: () => Promise<void>, windows = 6, windowMs = 700) {
  const counts = [await frameCount(h, sessionId)];
  const hostile = during();
  for (let i = 0; i < windows; i++) {
    await sleep(windowMs);
    counts.push(await frameCount(h, sessionId));
  }
  await hostile;
  for (let i = 1; i < counts.length; i++)
    expect(counts[i]!, `rows over time: ${counts}`).toBeGreaterThan(counts[i - 1]!);
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${worker.healthPort}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

describe("NUL bytes in Zoom's ids", () => {
  it("a NUL user_id in frames and msg 6 events leaves an honest session writing rows throughout", async () => {
    const honest = await startStream(h, {
      number: "300000001",
      participants: [{ name: "Honest" }],
      framePolicy: KEEP_ALL,
    });
    const hostile = await startStream(h, {
      number: "300000002",
      participants: [{ name: "Hostile" }],
      framePolicy: KEEP_ALL,
    });
    await waitUntil(async () => (await frameCount(h, honest.sessionId)) > 0, 10_000, describeWorker);

    await keepsWriting(honest.sessionId, async () => {
      h.sim.faults.nulIds(true, hostile.streamId);
      // msg 6 events carrying NUL ids: a join, a camera going off and on, a new speaker.
      const late = hostile.live.addParticipant({ name: "Late" });
      hostile.live.setCamera(late.userId, false);
      hostile.live.setCamera(late.userId, true);
      hostile.live.setActiveSpeaker(late.userId);
      await sleep(2500);
    });

    const refusedFrames = await metric("capture_zoom_input_refused_total", {
      kind: "frame",
      reason: "user_id_control_char",
    });
    const refusedEvents = await metric("capture_zoom_input_refused_total", {
      kind: "event",
      reason: "user_id_control_char",
    });
    expect(refusedFrames).toBeGreaterThan(0);
    expect(refusedEvents).toBeGreaterThan(0);
    // Nothing was quarantined either: the boundary kept every NUL out of the database.
    expect(await metric("capture_rows_quarantined_total")).toBe(0);
    const participants = await h.testDb.db.participant.findMany({ where: { sessionId: hostile.sessionId } });
    expect(participants.every((p) => !p.zoomUserId.includes("\u0000") && !p.name.includes("\u0000"))).toBe(
      true,
    );
    // Logged as a sample, not once per frame.
    const refusalLines = worker.lines.filter((l) => l.msg === "Zoom input refused at the boundary");
    expect(refusalLines.length).toBeLessThanOrEqual(
      5 * 2 + Math.ceil((refusedFrames + refusedEvents) / 1000),
    );

    h.sim.faults.nulIds(false, hostile.streamId);
    // The hostile session itself survives too: honest frames after the fault are written again.
    const before = await frameCount(h, hostile.sessionId);
    await waitUntil(async () => (await frameCount(h, hostile.sessionId)) > before, 10_000, describeWorker);
    honest.live.stopRtms(6);
    hostile.live.stopRtms(6);
    await waitForEnd(honest.streamId);
    await waitForEnd(hostile.streamId);
  });
});

describe("bad timestamps", () => {
  it("negative or non-numeric timestamps drop those frames quietly; an honest session keeps writing", async () => {
    const honest = await startStream(h, {
      number: "300000007",
      participants: [{ name: "OnTime" }],
      framePolicy: KEEP_ALL,
    });
    const odd = await startStream(h, {
      number: "300000008",
      participants: [{ name: "Skewed" }],
      framePolicy: KEEP_ALL,
    });
    const linesBefore = worker.lines.length;
    const oddBefore = await frameCount(h, odd.sessionId);
    await keepsWriting(
      honest.sessionId,
      async () => {
        h.sim.faults.badTimestamps("negative", odd.streamId);
        await sleep(1500);
        h.sim.faults.badTimestamps("non-numeric", odd.streamId);
        await sleep(1500);
      },
      4,
    );
    const oddDuring = await frameCount(h, odd.sessionId);
    h.sim.faults.badTimestamps("normal", odd.streamId);
    expect(
      await metric("capture_zoom_input_refused_total", { kind: "frame", reason: "bad_timestamp" }),
    ).toBeGreaterThan(0);
    // No stack trace per frame: a handful of sampled lines at most.
    const during = worker.lines.slice(linesBefore);
    expect(during.filter((l) => l.msg === "session event listener threw")).toHaveLength(0);
    expect(during.length).toBeLessThan(40);
    // Only frames from before the fault (some were still on their way) reached the database.
    expect(oddDuring - oddBefore).toBeLessThan(5);
    expect((await sessionOf(odd.streamId)).state).toBe("ACTIVE");
    await waitUntil(async () => (await frameCount(h, odd.sessionId)) > oddDuring, 10_000, describeWorker);
    honest.live.stopRtms(6);
    odd.live.stopRtms(6);
    await waitForEnd(honest.streamId);
    await waitForEnd(odd.streamId);
  });
});

describe("streams belong to a team", () => {
  it("another team's rtms_started or rtms_stopped for the stream changes nothing on it", async () => {
    const owner = await startStream(h, {
      number: "300000003",
      participants: [{ name: "Owner" }],
      framePolicy: KEEP_ALL,
    });
    const intruder = await createSecondTeam(h, "intruder");
    // The intruder even registers the same meeting number, so nothing but ownership stops it.
    await h.testDb.db.meeting.create({
      data: { teamId: intruder.id, meetingNumber: "300000003", name: "same number" },
    });
    const started = startedEventOf(h, owner.streamId);
    const payload = started.payload as Record<string, unknown>;

    await keepsWriting(owner.sessionId, async () => {
      const moved = await deliverAsTeam(h, intruder.id, {
        event: "meeting.rtms_started",
        event_ts: started.event_ts + 1000,
        payload: { ...payload, server_urls: `${String(payload.server_urls)}?moved=1` },
      });
      expect(await intakeResult(h, moved.id)).toMatchObject({ action: "refused-foreign-stream" });
      const stopped = await deliverAsTeam(h, intruder.id, {
        event: "meeting.rtms_stopped",
        event_ts: started.event_ts + 2000,
        payload: { meeting_uuid: payload.meeting_uuid, rtms_stream_id: owner.streamId, stop_reason: 6 },
      });
      expect(await intakeResult(h, stopped.id)).toMatchObject({ action: "refused-foreign-stream" });
    });

    const demo = await h.testDb.db.team.findUniqueOrThrow({ where: { slug: "demo" } });
    const session = await sessionOf(owner.streamId);
    expect(session).toMatchObject({ state: "ACTIVE", teamId: demo.id });
    expect(session.serverUrls).toBe(payload.server_urls);
    expect(
      await h.testDb.db.sessionEvent.count({ where: { sessionId: owner.sessionId, type: "FAILOVER" } }),
    ).toBe(0);
    const stats = h.sim.connectionStats(owner.streamId);
    expect(stats.signalingConnections).toBe(1);
    expect(stats.open).toEqual({ signaling: 1, media: 1 });
    expect(await h.testDb.db.captureSession.count({ where: { teamId: intruder.id } })).toBe(0);
    const audits = await h.testDb.db.auditEvent.findMany({ where: { targetId: owner.streamId } });
    expect(audits.filter((a) => a.teamId === intruder.id)).toHaveLength(2);
    expect(audits.filter((a) => a.teamId === session.teamId)).toHaveLength(2);
    expect(await metric("capture_cross_team_events_refused_total")).toBe(2);

    owner.live.stopRtms(6);
    expect((await waitForEnd(owner.streamId)).state).toBe("STOPPED");
  });
});

describe("where the worker may connect", () => {
  let listener: Server;
  const connections: Socket[] = [];

  afterAll(async () => {
    for (const c of connections) c.destroy();
    await new Promise((r) => listener?.close(r));
  });

  it("never dials server_urls outside the allow-list, and the session says why", async () => {
    // Another loopback host: the allow-list (RTMS_ALLOWED_HOSTS=127.0.0.1) matches hosts, not ports.
    listener = createServer((socket) => connections.push(socket));
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.2", resolve));
    const { port } = listener.address() as { port: number };
    const { live, streamId } = await startStream(h, {
      number: "300000004",
      participants: [{ name: "Moved" }],
    });

    expect(h.sim.faults.foreignServerUrls(`ws://127.0.0.2:${port}/rtms/elsewhere/signaling`, streamId)).toBe(
      1,
    );
    const session = await waitForEnd(streamId);
    expect(session.state).toBe("FAILED");
    expect(session.stopReasonText).toMatch(/URL_NOT_ALLOWED/);
    await sleep(500);
    expect(connections).toHaveLength(0);
    live.stopRtms(6);
  });

  it("never dials media URLs from msg 2 outside the allow-list either", async () => {
    const { port } = listener.address() as { port: number };
    const { live, streamId } = await startStream(h, {
      number: "300000009",
      participants: [{ name: "Media" }],
    });
    h.sim.faults.foreignMediaUrls(`ws://127.0.0.2:${port}/rtms/elsewhere/media/video`, streamId);
    // A signaling reconnect makes the server answer a new msg 2, now listing the foreign media URL.
    expect(h.sim.faults.dropSignaling(streamId)).toBe(1);
    const session = await waitForEnd(streamId);
    expect(session.state).toBe("FAILED");
    expect(session.stopReasonText).toMatch(/URL_NOT_ALLOWED/);
    await sleep(500);
    expect(connections).toHaveLength(0);
    h.sim.faults.foreignMediaUrls(undefined, streamId);
    live.stopRtms(6);
  });
});

describe("a server that sends garbage", () => {
  it("is disconnected after the limit, with a bounded number of log lines, and the session says why", async () => {
    const honest = await startStream(h, {
      number: "300000005",
      participants: [{ name: "Calm" }],
      framePolicy: KEEP_ALL,
    });
    const { live, streamId } = await startStream(h, {
      number: "300000006",
      participants: [{ name: "Loud" }],
    });
    const linesBefore = worker.lines.length;
    await keepsWriting(
      honest.sessionId,
      async () => {
        h.sim.faults.garbageFlood("signaling", 1000, streamId);
        const session = await waitForEnd(streamId);
        h.sim.faults.garbageFlood("signaling", 0, streamId);
        expect(session.state).toBe("FAILED");
        expect(session.stopReasonText).toMatch(/^PROTOCOL_FLOOD/);
      },
      4,
    );
    const sent = h.sim.connectionStats(streamId).garbageSent;
    expect(sent).toBeGreaterThan(FLOOD_LIMIT);
    expect(h.sim.connectionStats(streamId).open.signaling).toBe(0);
    // Every bad message counted; only a sample logged (first 5, then one per 1000).
    expect(await metric("capture_protocol_errors_total", { socket: "signaling" })).toBeGreaterThan(
      FLOOD_LIMIT,
    );
    const during = worker.lines.slice(linesBefore);
    const badLines = during.filter((l) => l.msg === "bad message on signaling socket");
    expect(badLines.length).toBeGreaterThan(0);
    expect(badLines.length).toBeLessThanOrEqual(5 + Math.ceil(sent / 1000));
    expect(during.length).toBeLessThan(60);
    live.stopRtms(6);
    honest.live.stopRtms(6);
    await waitForEnd(honest.streamId);
  });
});
