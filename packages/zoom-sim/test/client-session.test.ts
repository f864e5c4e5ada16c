// Conformance: our client (RtmsSession from @capture/rtms-core) against the simulator over real sockets.
// One test per behaviour and one per fault, each asserting the recovery: frames resume, the simulator never
// sees two live connections for the stream, and stops end the session without reconnecting.
import { silentLogger } from "@capture/rtms-core/logger";
import { RtmsSession, type RtmsSessionEvents, type RtmsSessionOptions } from "@capture/rtms-core/session";
import { nextSessionEvent, recordingPolicy } from "@capture/rtms-core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type LiveMeeting,
  type StreamInfo,
  startZoomSim,
  type ZoomEvent,
  type ZoomSim,
} from "../src/index.ts";

const STALE_MS = 150;

let sim: ZoomSim;
let meeting: LiveMeeting;
let info: StreamInfo;
const sessions: RtmsSession[] = [];

beforeEach(async () => {
  sim = await startZoomSim({ audio: false, staleSignalingMs: STALE_MS, keepAliveIntervalMs: 100 });
  meeting = sim.createMeeting({ number: "81234567890", participants: [{ name: "Alice", camera: true }] });
  info = await meeting.startRtms();
});

afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  await sim.close();
});

function session(extra: Partial<RtmsSessionOptions> = {}) {
  // Duplicate retries keep Zoom's shape (base x 2^n, 3 times) on a scale that outlasts STALE_MS.
  const policy = recordingPolicy({ delayMs: 20, maxAttempts: 20, duplicateBaseMs: 60 });
  const s = new RtmsSession({
    clientId: sim.options.rtmsApp.clientId,
    clientSecret: sim.options.rtmsApp.clientSecret,
    meetingUuid: info.meetingUuid,
    rtmsStreamId: info.streamId,
    serverUrls: info.serverUrls,
    logger: silentLogger,
    reconnectPolicy: policy,
    allowedHosts: ["127.0.0.1"],
    ...extra,
  });
  sessions.push(s);
  // Every frame, so tests can check that timestamps never repeat across reconnects.
  const frames: RtmsSessionEvents["frame"][0][] = [];
  s.on("frame", (f) => frames.push(f));
  return { s, policy, frames };
}

/** The shared wait, with this suite's longer default (8 s, where rtms-core's own tests use 5 s). */
const next: typeof nextSessionEvent = (s, event, match, timeoutMs = 8_000) =>
  nextSessionEvent(s, event, match, timeoutMs);

/** Resolve once `n` more frames arrived. */
async function moreFrames(s: RtmsSession, n = 2): Promise<void> {
  for (let i = 0; i < n; i++) await next(s, "frame");
}

const stats = () => sim.connectionStats(info.streamId);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectIncreasingPerUser(frames: { userId: string; timestamp: number }[]): void {
  const last = new Map<string, number>();
  for (const f of frames) {
    expect(f.timestamp).toBeGreaterThan(last.get(f.userId) ?? Number.NEGATIVE_INFINITY);
    last.set(f.userId, f.timestamp);
  }
}

describe("RtmsSession against zoom-sim: normal operation", () => {
  it("handshakes, acks, and receives JPEG frames of the active speaker", async () => {
    const { s, frames } = session();
    await s.start();
    await moreFrames(s, 3);
    const alice = meeting.participants[0]!;
    expect(frames[0]).toMatchObject({ mediaType: "video", userId: String(alice.userId), userName: "Alice" });
    const jpeg = Buffer.from(frames[0]!.data, "base64");
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expectIncreasingPerUser(frames);
    expect(stats()).toMatchObject({ signalingConnections: 1, mediaConnections: 1, readyAcks: 1 });
    expect(stats().open).toEqual({ signaling: 1, media: 1 });
  });

  it("answers the simulator's keep-alives on both sockets, so the stream stays up", async () => {
    const { s } = session();
    const sockets = new Set<string>();
    s.on("keepAlive", (k) => sockets.add(k.socket));
    await s.start();
    await pause(450); // 4 keep-alive intervals: 3 unanswered would interrupt the stream
    expect(sockets).toEqual(new Set(["signaling", "media"]));
    expect(stats()).toMatchObject({ signalingConnections: 1, mediaConnections: 1, phase: "active" });
  });

  it("answers stream and session state requests (msg 19/20, 10/11)", async () => {
    const { s } = session();
    await s.start();
    expect(await s.requestStreamState()).toMatchObject({ msg_type: 20, state: 1 });
    expect(await s.requestSessionState()).toMatchObject({ msg_type: 11, state: 2 });
  });

  it("per-type mode: one socket per type, a ready ack after each", async () => {
    const { s } = session({ mediaMode: "per-type", media: { video: {}, transcript: {} } });
    await s.start();
    await moreFrames(s, 1);
    expect(stats()).toMatchObject({ mediaConnections: 2, readyAcks: 2 });
  });

  it("data_opt 4: frames of the subscribed participant only", async () => {
    const bob = meeting.addParticipant({ name: "Bob", camera: true });
    const { s, frames } = session({ media: { video: { dataOpt: 4 } } });
    await s.start();
    await s.subscribeVideo(String(bob.userId));
    await moreFrames(s, 3);
    expect(new Set(frames.map((f) => f.userName))).toEqual(new Set(["Bob"]));
  });

  it("the stream ends (meeting ended): stopped with the reason, no reconnect", async () => {
    const { s, policy } = session();
    await s.start();
    const stopped = next(s, "stopped");
    meeting.stopRtms(6);
    expect((await stopped)[0]).toMatchObject({ reason: 6, terminal: true, abnormal: false, source: "zoom" });
    await pause(100);
    expect(policy.calls).toEqual([]);
    expect(stats().signalingConnections).toBe(1);
  });

  it("close({ closeStream: true }) ends the stream at Zoom with reason 20", async () => {
    const { s } = session();
    await s.start();
    await s.close({ closeStream: true });
    expect(stats().phase).toBe("stopped");
    expect(sim.stream(info.streamId)?.stopReason).toBe(20);
  });

  it("close() without closeStream releases the sockets; the stream waits for a reconnection", async () => {
    const { s } = session();
    await s.start();
    await s.close();
    await pause(50);
    expect(stats().open).toEqual({ signaling: 0, media: 0 });
    expect(stats().phase).toBe("interrupted");
  });
});

describe("RtmsSession against zoom-sim: faults and recovery", () => {
  it("media dropped: media alone reconnects, msg 7 again, frames resume", async () => {
    const { s, frames } = session();
    await s.start();
    await moreFrames(s, 1);
    const reconnected = next(s, "reconnected");
    sim.faults.dropMedia(info.streamId);
    await reconnected;
    await moreFrames(s, 2);
    expect(stats()).toMatchObject({ signalingConnections: 1, mediaConnections: 2, readyAcks: 2 });
    expect(stats().open).toEqual({ signaling: 1, media: 1 });
    expectIncreasingPerUser(frames);
  });

  it("signaling dropped: media goes with it; both reconnect through the duplicate window, frames resume", async () => {
    const { s, policy, frames } = session();
    await s.start();
    await moreFrames(s, 1);
    const reconnected = next(s, "reconnected");
    sim.faults.dropSignaling(info.streamId);
    await reconnected;
    // The first attempt lands inside the stale-registration window and gets status 8: retried, not fatal.
    expect(stats().signalingRejected).toBeGreaterThanOrEqual(1);
    expect(policy.calls.some((c) => c.cause === "duplicate")).toBe(true);
    await moreFrames(s, 2);
    // Zoom's rule: losing signaling interrupts media too, so media was handshaken again (never refused 15/16).
    expect(stats()).toMatchObject({ signalingConnections: 2, mediaConnections: 2, mediaRejected: 0 });
    expect(stats().open).toEqual({ signaling: 1, media: 1 });
    expectIncreasingPerUser(frames);
  });

  it("the old status numbering (duplicate = 17 + reason text) is retried the same way", async () => {
    sim.faults.setOldStatusNumbering(true);
    const { s, policy } = session();
    await s.start();
    const reconnected = next(s, "reconnected");
    sim.faults.dropSignaling(info.streamId);
    await reconnected;
    expect(policy.calls.some((c) => c.cause === "duplicate")).toBe(true);
    expect(stats().open).toEqual({ signaling: 1, media: 1 });
  });

  it("the old status numbering: a bad signature (15) stops the session for good", async () => {
    sim.faults.setOldStatusNumbering(true);
    const { s } = session({ clientSecret: "wrong-secret" });
    const stopped = next(s, "stopped");
    await expect(s.start()).rejects.toMatchObject({ code: "HANDSHAKE_REJECTED" });
    expect((await stopped)[0]).toMatchObject({
      source: "handshake",
      terminal: true,
      status: { code: 15, kind: "invalid_signature" },
    });
  });

  it("the server stops answering (deaf): it interrupts us; we reconnect once it listens again", async () => {
    const { s } = session();
    await s.start();
    const reconnecting = next(s, "reconnecting");
    sim.faults.setKeepAlive("deaf");
    await reconnecting;
    sim.faults.setKeepAlive("normal");
    await next(s, "reconnected");
    await moreFrames(s, 2);
    expect(stats().open).toEqual({ signaling: 1, media: 1 });
  });

  it("the server goes silent (no keep-alives, no frames): our watchdog declares the sockets dead", async () => {
    meeting.setCamera(meeting.participants[0]!.userId, false);
    sim.faults.setKeepAlive("silent");
    const { s } = session({ keepAliveTimeoutMs: 300 });
    await s.start();
    const [r] = await next(s, "reconnecting");
    expect(r.cause).toBe("keepalive_timeout");
    sim.faults.setKeepAlive("normal");
    await next(s, "reconnected");
    expect(stats().open.signaling).toBe(1);
  });

  it("JSON in binary frames: everything still parses", async () => {
    sim.faults.setBinaryJson(true);
    const { s } = session();
    const errors: unknown[] = [];
    s.on("protocolError", (e) => errors.push(e));
    await s.start();
    await moreFrames(s, 2);
    expect(errors).toEqual([]);
  });

  it("a duplicate rtms_started (same server) changes nothing", async () => {
    const { s } = session();
    await s.start();
    const event = sim.waitFor<ZoomEvent>("zoom-event", (e) => e.event === "meeting.rtms_started");
    sim.faults.duplicateRtmsStarted(info.streamId);
    const started = await event;
    expect(await s.failover((started.payload as { server_urls: string }).server_urls)).toBe(false);
    await moreFrames(s, 2);
    expect(stats()).toMatchObject({ signalingConnections: 1, mediaConnections: 1 });
  });

  it("failover: a new rtms_started with new URLs; everything moves, never two live connections", async () => {
    const { s, frames } = session();
    await s.start();
    await moreFrames(s, 1);
    let maxOpen = 0;
    const watch = setInterval(() => {
      const o = stats().open;
      maxOpen = Math.max(maxOpen, o.signaling, o.media);
    }, 5);
    const event = sim.waitFor<ZoomEvent>("zoom-event", (e) => e.event === "meeting.rtms_started");
    sim.faults.failover(info.streamId);
    const newUrl = ((await event).payload as { server_urls: string }).server_urls;
    expect(newUrl).not.toBe(info.serverUrls);
    const reconnected = next(s, "reconnected", (r) => r.cause === "failover");
    expect(await s.failover(newUrl)).toBe(true);
    await reconnected;
    await moreFrames(s, 2);
    clearInterval(watch);
    expect(maxOpen).toBe(1);
    expect(s.signalingUrl).toBe(newUrl);
    expect(stats().open).toEqual({ signaling: 1, media: 1 });
    expectIncreasingPerUser(frames);
  });

  it("rtms_interrupted: signaling then media reconnect, through the duplicate window", async () => {
    const { s } = session();
    await s.start();
    const event = sim.waitFor<ZoomEvent>("zoom-event", (e) => e.event === "meeting.rtms_interrupted");
    sim.faults.rtmsInterrupted(info.streamId);
    await event;
    await s.interrupted();
    await moreFrames(s, 2);
    expect(stats()).toMatchObject({ signalingConnections: 2, mediaConnections: 2, readyAcks: 2 });
    expect(stats().open).toEqual({ signaling: 1, media: 1 });
  });
});
