// RtmsSession against a scripted RTMS server on 127.0.0.1: handshakes, keep-alive, every reconnection rule
// of PROTOCOL.md section 5, stop handling, failover and close. Reconnect delays are injected (tens of
// ms), so each test runs in well under a second.
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../src/logger.ts";
import {
  eventUpdate,
  keepAliveReq,
  mediaData,
  rtmsSignature,
  streamStateUpdate,
} from "../src/protocol/index.ts";
import { ManualClock } from "../src/session/clock.ts";
import type { RtmsSessionOptions } from "../src/session/options.ts";
import { RtmsSession } from "../src/session/session.ts";
import { VideoRotation } from "../src/session/video-rotation.ts";
import { nextSessionEvent, recordingPolicy } from "../src/testing.ts";
import {
  type FakeRtmsServer,
  fakeServerPool,
  LOOPBACK_HOSTS,
  TEST_CREDENTIALS,
} from "./support/fake-rtms-server.ts";

const creds = TEST_CREDENTIALS;

const servers = fakeServerPool();
const server = servers.start;
const sessions: RtmsSession[] = [];

function session(srv: FakeRtmsServer, extra: Partial<RtmsSessionOptions> = {}) {
  const policy = recordingPolicy({ delayMs: 10, maxAttempts: 5, duplicateBaseMs: 15 });
  const s = new RtmsSession({
    ...creds,
    serverUrls: srv.signalingUrl,
    logger: silentLogger,
    reconnectPolicy: policy,
    allowedHosts: LOOPBACK_HOSTS,
    ...extra,
  });
  sessions.push(s);
  return { s, policy };
}

const next = nextSessionEvent;

afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  await servers.closeAll();
});

const frame = (ts: number, userId: number | string = 16778240) =>
  mediaData(15, {
    user_id: userId as string,
    user_name: "Ann",
    data: Buffer.from(`jpeg-${ts}`).toString("base64"),
    timestamp: ts,
  });

describe("RtmsSession handshakes", () => {
  it("signs both handshakes, subscribes events, opens one `all` media socket with the seed's params, then acks", async () => {
    const srv = await server();
    const { s } = session(srv);
    const handshakes: string[] = [];
    s.on("handshake", (h) => handshakes.push(h.socket));
    await s.start();
    await srv.waitFor(() => srv.messages("signaling", 7).length === 1, "ready ack");
    const signature = rtmsSignature(creds);
    expect(srv.messages("signaling", 1)[0]).toMatchObject({
      meeting_uuid: "abc/def==",
      rtms_stream_id: "stream-1",
      signature,
    });
    expect(srv.messages("signaling", 5)[0]).toEqual({
      msg_type: 5,
      events: [2, 3, 4, 8, 9].map((event_type) => ({ event_type, subscribe: true })),
    });
    expect(srv.messages("media", 3)[0]).toMatchObject({
      media_type: 32,
      signature,
      media_params: {
        video: { content_type: 3, codec: 5, resolution: 2, data_opt: 3, fps: 5 },
        audio: { codec: 1 },
      },
    });
    expect(srv.messages("signaling", 7)[0]).toEqual({ msg_type: 7, rtms_stream_id: "stream-1" });
    expect(handshakes).toEqual(["signaling", "media"]);
    expect(s.state).toBe("connected");
  });

  it("per-type mode opens one socket per media type and acks after each handshake", async () => {
    const srv = await server();
    const { s } = session(srv, { mediaMode: "per-type" });
    await s.start();
    await srv.waitFor(() => srv.messages("signaling", 7).length === 2, "two ready acks");
    expect(
      srv
        .messages("media", 3)
        .map((m) => (m as { media_type: number }).media_type)
        .sort(),
    ).toEqual([1, 2]);
    expect(srv.live.media.size).toBe(2);
  });

  it("reads answers sent as binary frames", async () => {
    const srv = await server({ binary: true });
    const { s } = session(srv);
    await s.start();
    expect(s.state).toBe("connected");
  });

  it("refuses media options Zoom would refuse before connecting anything", async () => {
    const srv = await server();
    expect(() => session(srv, { media: { video: { codec: 5, fps: 10 } } })).toThrowError(
      expect.objectContaining({ code: "INVALID_MEDIA_PARAMS" }),
    );
    expect(srv.opened.signaling).toBe(0);
  });

  it("stops for good on a refused signature, in either status numbering", async () => {
    for (const answer of [3, { status: 15, reason: "Invalid signature" }]) {
      const srv = await server({ signalingStatus: () => answer });
      const { s } = session(srv);
      const stopped = next(s, "stopped");
      await expect(s.start()).rejects.toMatchObject({ code: "HANDSHAKE_REJECTED" });
      const [info] = await stopped;
      expect(info).toMatchObject({
        source: "handshake",
        terminal: true,
        status: { kind: "invalid_signature" },
      });
      expect(srv.opened.signaling).toBe(1);
    }
  });
});

describe("RtmsSession media and events", () => {
  it("emits frames with metadata and the payload decoded only on demand, and typed participant events", async () => {
    const srv = await server();
    const { s } = session(srv);
    await s.start();
    const gotFrame = next(s, "frame");
    const join = next(s, "participantJoin");
    srv.send("media", frame(1000), { binary: true });
    srv.send(
      "signaling",
      eventUpdate({ event_type: 3, timestamp: 5, participants: [{ user_id: "7", user_name: "Bo" }] }),
    );
    const [f] = await gotFrame;
    expect(f).toMatchObject({ mediaType: "video", userId: "16778240", userName: "Ann", timestamp: 1000 });
    expect(f.base64Length).toBe(Buffer.from("jpeg-1000").toString("base64").length);
    expect(f.data).toBe(Buffer.from("jpeg-1000").toString("base64"));
    expect(f.decode().toString()).toBe("jpeg-1000");
    expect((await join)[0]).toEqual({ participants: [{ userId: "7", userName: "Bo" }], timestamp: 5 });
  });

  it("answers keep-alives on both sockets, echoing the timestamp", async () => {
    const srv = await server();
    const { s } = session(srv);
    await s.start();
    const sockets = new Set<string>();
    const both = new Promise<void>((r) =>
      s.on("keepAlive", (k) => {
        sockets.add(k.socket);
        if (sockets.size === 2) r();
      }),
    );
    srv.send("signaling", keepAliveReq(111));
    srv.send("media", keepAliveReq(222));
    await both;
    await srv.waitFor(
      () => srv.messages("media", 13).length === 1 && srv.messages("signaling", 13).length === 1,
    );
    expect(srv.messages("signaling", 13)[0]).toEqual({ msg_type: 13, timestamp: 111 });
    expect(srv.messages("media", 13)[0]).toEqual({ msg_type: 13, timestamp: 222 });
  });

  it("answers msg 12 without a timestamp (Zoom's mock server) three times on both sockets and keeps the connection", async () => {
    const srv = await server({ dropAfterMissedKeepAlives: 3 });
    const { s } = session(srv);
    await s.start();
    const errors: string[] = [];
    s.on("protocolError", (e) => errors.push(`${e.socket}:${e.error.code}`));
    const reconnects: string[] = [];
    s.on("reconnecting", (r) => reconnects.push(r.cause));
    for (let i = 1; i <= 3; i++) {
      srv.keepAlive("signaling");
      srv.keepAlive("media");
      await srv.waitFor(
        () => srv.messages("signaling", 13).length === i && srv.messages("media", 13).length === i,
        `keep-alive answer ${i}`,
      );
    }
    // A fourth, well-formed one: a socket that had missed three would be dropped here instead.
    srv.keepAlive("signaling", 444);
    await srv.waitFor(() => srv.messages("signaling", 13).length === 4, "fourth answer");
    expect(srv.messages("signaling", 13)[3]).toEqual({ msg_type: 13, timestamp: 444 });
    for (const m of srv.messages("signaling", 13).slice(0, 3))
      expect(m).toEqual({ msg_type: 13, timestamp: expect.any(Number) });
    expect(errors.sort()).toEqual([
      ...Array(3).fill("media:MALFORMED_KEEP_ALIVE"),
      ...Array(3).fill("signaling:MALFORMED_KEEP_ALIVE"),
    ]);
    const f = next(s, "frame");
    srv.send("media", frame(3000));
    await f;
    expect(reconnects).toEqual([]);
    expect(srv.opened).toEqual({ signaling: 1, media: 1 });
    expect(srv.live.signaling.size + srv.live.media.size).toBe(2);
    expect(s.state).toBe("connected");
  });

  it("passes unknown event types and V2's event_code on in `event`, without a protocol error", async () => {
    const srv = await server();
    const { s } = session(srv);
    await s.start();
    const errors: string[] = [];
    s.on("protocolError", (e) => errors.push(e.error.code));
    const events: unknown[] = [];
    s.on("event", (e) => events.push(e));
    const speaker = next(s, "activeSpeaker");
    srv.send("signaling", JSON.stringify({ msg_type: 6, event: { event_type: 42, extra: true } }));
    srv.send("signaling", JSON.stringify({ msg_type: 6, event: { event_code: "rtms.v2.something" } }));
    srv.send(
      "signaling",
      JSON.stringify({
        msg_type: 6,
        event: { event_type: 2, event_code: 1002, user_id: 9, user_name: "Ann" },
      }),
    );
    expect((await speaker)[0]).toEqual({ userId: "9", userName: "Ann" });
    expect(events).toEqual([
      { event_type: 42 },
      { event_code: "rtms.v2.something" },
      { event_type: 2, event_code: 1002, user_id: "9", user_name: "Ann" },
    ]);
    expect(errors).toEqual([]);
    expect(s.state).toBe("connected");
  });

  it("reports garbage as protocol errors and keeps streaming", async () => {
    const srv = await server();
    const { s } = session(srv);
    await s.start();
    const err = next(s, "protocolError");
    srv.send("media", "\u0000garbage");
    expect((await err)[0]).toMatchObject({ socket: "media", error: { code: "MALFORMED_JSON" } });
    const f = next(s, "frame");
    srv.send("media", frame(2000));
    await f;
    expect(s.state).toBe("connected");
  });
});

describe("RtmsSession reconnection rules", () => {
  it("media socket dropped: reconnects media only, then sends msg 7 again, and frames resume", async () => {
    const srv = await server();
    const { s } = session(srv);
    await s.start();
    const reconnected = next(s, "reconnected");
    srv.drop("media");
    expect((await reconnected)[0]).toMatchObject({ cause: "media_dropped" });
    await srv.waitFor(() => srv.messages("signaling", 7).length === 2, "second ready ack");
    expect(srv.opened).toEqual({ signaling: 1, media: 2 });
    expect(srv.maxLive).toEqual({ signaling: 1, media: 1 });
    const f = next(s, "frame");
    srv.send("media", frame(3000));
    expect((await f)[0].timestamp).toBe(3000);
  });

  it("event 7 (media connection interrupted): closes and reconnects media only", async () => {
    const srv = await server();
    const { s } = session(srv);
    await s.start();
    const reconnected = next(s, "reconnected");
    srv.send("signaling", eventUpdate({ event_type: 7, timestamp: 1 }));
    expect((await reconnected)[0].cause).toBe("media_interrupted");
    await srv.waitFor(() => srv.messages("signaling", 7).length === 2);
    expect(srv.opened).toEqual({ signaling: 1, media: 2 });
    expect(srv.maxLive.media).toBe(1);
  });

  it("msg 8 state 2 reason 14: reconnects media only", async () => {
    const srv = await server();
    const { s } = session(srv);
    await s.start();
    const reconnected = next(s, "reconnected");
    srv.send("signaling", streamStateUpdate(2, 14));
    expect((await reconnected)[0].cause).toBe("media_interrupted");
    expect(srv.opened).toEqual({ signaling: 1, media: 2 });
  });

  it("signaling dropped without a stop: reconnects signaling only and subscribes again", async () => {
    const srv = await server();
    const { s } = session(srv);
    await s.start();
    const reconnected = next(s, "reconnected");
    srv.drop("signaling");
    expect((await reconnected)[0].cause).toBe("signaling_dropped");
    expect(srv.opened).toEqual({ signaling: 2, media: 1 });
    await srv.waitFor(() => srv.messages("signaling", 5).length === 2, "second subscription");
    // The surviving media socket is acknowledged again on the new signaling socket.
    await srv.waitFor(() => srv.received.some((r) => r.conn === 2 && r.msg.msg_type === 7), "ack again");
  });

  it("no traffic for the keep-alive window: the socket is declared dead and reconnected", async () => {
    const srv = await server();
    const { s } = session(srv, { keepAliveTimeoutMs: 250 });
    await s.start();
    // The server says nothing on either socket: both watchdogs fire.
    const [info] = await next(s, "reconnecting");
    expect(info.cause).toBe("keepalive_timeout");
    await next(s, "reconnected");
    expect(srv.opened.signaling + srv.opened.media).toBeGreaterThan(2);
  });

  it("a duplicate answer right after a reconnect is retried with the duplicate schedule (both numberings)", async () => {
    for (const dup of [8, { status: 17, reason: "duplicate signal request" }]) {
      const srv = await server({ signalingStatus: (n) => (n === 2 || n === 3 ? dup : 0) });
      const { s, policy } = session(srv);
      await s.start();
      const reconnected = next(s, "reconnected");
      srv.drop("signaling");
      await reconnected;
      const dupCalls = policy.calls.filter((c) => c.cause === "duplicate").map((c) => c.attempt);
      expect(dupCalls).toEqual([1, 2]);
      expect(srv.opened.signaling).toBe(4);
      expect(s.state).toBe("connected");
    }
  });

  it("gives up after 3 duplicate retries", async () => {
    const srv = await server({ signalingStatus: (n) => (n === 1 ? 0 : 8) });
    const { s } = session(srv);
    await s.start();
    const stopped = next(s, "stopped");
    srv.drop("signaling");
    expect((await stopped)[0]).toMatchObject({ source: "gave_up", terminal: false });
    expect(srv.opened.signaling).toBe(5); // first + 1 reconnect + 3 retries
  });

  it("gives up when the policy says so (server gone)", async () => {
    const srv = await server();
    const { s, policy } = session(srv);
    await s.start();
    const stopped = next(s, "stopped");
    await srv.close();
    const [info] = await stopped;
    expect(info.source).toBe("gave_up");
    expect(policy.calls.at(-1)?.attempt).toBe(6);
  });

  it("failover: closes everything, then connects to the new server; never two live connections", async () => {
    const first = await server();
    let firstLiveAtSecondConnect = -1;
    const second = await server({
      onConnect: () => {
        firstLiveAtSecondConnect = Math.max(
          firstLiveAtSecondConnect,
          first.live.signaling.size + first.live.media.size,
        );
      },
    });
    const { s } = session(first);
    await s.start();
    const reconnected = next(s, "reconnected");
    await s.failover(second.signalingUrl);
    expect((await reconnected)[0].cause).toBe("failover");
    expect(firstLiveAtSecondConnect).toBe(0);
    expect(second.maxLive).toEqual({ signaling: 1, media: 1 });
    expect(second.opened).toEqual({ signaling: 1, media: 1 });
    await second.waitFor(() => second.messages("signaling", 7).length === 1);
    expect(s.signalingUrl).toBe(second.signalingUrl);
    const f = next(s, "frame");
    second.send("media", frame(4000));
    expect((await f)[0].timestamp).toBe(4000);
    // A frame from the old server can no longer arrive: its sockets are gone.
    expect(first.live.signaling.size + first.live.media.size).toBe(0);
  });

  it("failover while a reconnect is pending cancels it", async () => {
    const first = await server();
    const second = await server();
    const { s } = session(first, { reconnectPolicy: { nextDelayMs: () => 200 } });
    await s.start();
    const pending = next(s, "reconnecting");
    first.drop("media");
    await pending;
    await s.failover(second.signalingUrl);
    await new Promise((r) => setTimeout(r, 300));
    expect(first.opened.media).toBe(1);
    expect(second.opened).toEqual({ signaling: 1, media: 1 });
  });

  it("a redelivered rtms_started (same URL, connected) is not a failover", async () => {
    const srv = await server();
    const { s, policy } = session(srv);
    await s.start();
    expect(await s.failover(srv.signalingUrl)).toBe(false);
    expect(srv.opened).toEqual({ signaling: 1, media: 1 });
    expect(policy.calls).toEqual([]);
  });

  it("rtms_interrupted: reconnects signaling, then media", async () => {
    const srv = await server();
    const { s } = session(srv);
    await s.start();
    await s.interrupted();
    expect(srv.opened).toEqual({ signaling: 2, media: 2 });
    const second = srv.received.filter((r) => r.conn === 2 && (r.msg.msg_type === 1 || r.msg.msg_type === 3));
    expect(second.map((r) => r.msg.msg_type)).toEqual([1, 3]);
    await srv.waitFor(() => srv.messages("signaling", 7).length === 2);
  });
});

describe("RtmsSession stop and close", () => {
  it("stream state 4: stopped with the reason, no reconnect when the sockets then close", async () => {
    const srv = await server();
    const { s, policy } = session(srv);
    await s.start();
    const stopped = next(s, "stopped");
    srv.send("signaling", streamStateUpdate(4, 6));
    expect((await stopped)[0]).toMatchObject({
      reason: 6,
      reasonText: "meeting ended",
      terminal: true,
      abnormal: false,
      source: "zoom",
    });
    srv.drop("signaling");
    srv.drop("media");
    await new Promise((r) => setTimeout(r, 50));
    expect(policy.calls).toEqual([]);
    expect(s.state).toBe("closed");
  });

  it("session state 5 with an abnormal stop reason: stopped, abnormal", async () => {
    const srv = await server();
    const { s } = session(srv);
    await s.start();
    const stopped = next(s, "stopped");
    srv.send("signaling", { msg_type: 9, state: 5, reason: 24 } as never);
    expect((await stopped)[0]).toMatchObject({ reason: 24, abnormal: true, terminal: true });
  });

  it("stream terminating (state 3) then sockets closing: a stop, not drops to repair", async () => {
    const srv = await server();
    const { s, policy } = session(srv);
    await s.start();
    const stopped = next(s, "stopped");
    srv.send("signaling", streamStateUpdate(3, 1));
    await new Promise((r) => setTimeout(r, 20));
    srv.drop("media");
    srv.drop("signaling");
    expect((await stopped)[0]).toMatchObject({ reason: 1, source: "zoom" });
    expect(policy.calls).toEqual([]);
  });

  it("markStopped (rtms_stopped from a webhook) ends the session", async () => {
    const srv = await server();
    const { s } = session(srv);
    await s.start();
    const stopped = next(s, "stopped");
    s.markStopped(13);
    expect((await stopped)[0]).toMatchObject({ reason: 13, abnormal: true, source: "zoom" });
    await srv.waitFor(() => srv.live.signaling.size === 0 && srv.live.media.size === 0, "sockets released");
  });

  it("close({ closeStream: true }) sends msg 21 and waits for msg 22", async () => {
    const srv = await server();
    const { s } = session(srv);
    await s.start();
    const stopped = next(s, "stopped");
    await s.close({ closeStream: true });
    expect(srv.messages("signaling", 21)).toEqual([{ msg_type: 21, rtms_stream_id: "stream-1" }]);
    expect((await stopped)[0]).toMatchObject({ reason: 20, source: "closed", terminal: true });
    await srv.waitFor(() => srv.live.signaling.size === 0 && srv.live.media.size === 0, "sockets released");
  });

  it("close() without closeStream releases the sockets and tells Zoom nothing", async () => {
    const srv = await server();
    const { s } = session(srv);
    await s.start();
    const stopped = next(s, "stopped");
    await s.close();
    expect((await stopped)[0]).toMatchObject({ reason: null, source: "closed", terminal: false });
    expect(srv.messages("signaling", 21)).toEqual([]);
    await srv.waitFor(() => srv.live.signaling.size === 0 && srv.live.media.size === 0, "sockets released");
  });
});

describe("RtmsSession individual video (data_opt 4)", () => {
  it("subscribes one participant with msg 28 and re-subscribes after a media reconnect", async () => {
    const srv = await server();
    const { s } = session(srv, { media: { video: { dataOpt: 4 } } });
    await s.start();
    const resp = await s.subscribeVideo("16778240");
    expect(resp.status_code).toBe(0);
    expect(srv.messages("signaling", 28)[0]).toMatchObject({ user_id: "16778240", subscribe: true });
    srv.drop("media");
    await srv.waitFor(() => srv.messages("signaling", 28).length === 2, "re-subscription");
  });

  it("refuses subscribeVideo outside data_opt 4", async () => {
    const srv = await server();
    const { s } = session(srv);
    await s.start();
    await expect(s.subscribeVideo("1")).rejects.toMatchObject({ code: "INVALID_STATE" });
  });

  it("VideoRotation cycles through the participants with video on", async () => {
    const srv = await server();
    const { s } = session(srv, { media: { video: { dataOpt: 4 } } });
    await s.start();
    const clock = new ManualClock();
    // The dwell starts when msg 29 confirms the turn: wait for that, not only for msg 28 to arrive.
    let confirmFirst: () => void = () => {};
    const firstConfirmed = new Promise<void>((resolve) => (confirmFirst = resolve));
    const rotation = new VideoRotation(s, {
      intervalMs: 10_000,
      clock,
      onEvent: (e) => e.type === "subscribed" && confirmFirst(),
    });
    rotation.start();
    srv.send("signaling", eventUpdate({ event_type: 8, participants: [{ user_id: "1" }, { user_id: "2" }] }));
    const subscribed = () =>
      srv.messages("signaling", 28).map((m) => String((m as { user_id: number }).user_id));
    await firstConfirmed;
    clock.advance(10_000);
    await srv.waitFor(() => subscribed().length === 2, "second subscription");
    srv.send("signaling", eventUpdate({ event_type: 9, participants: [{ user_id: "2" }] }));
    await srv.waitFor(() => subscribed().length === 3, "after video off");
    expect(subscribed()).toEqual(["1", "2", "1"]);
    expect(rotation.participants).toEqual(["1"]);
    rotation.stop();
  });
});
