import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startZoomSim, type ZoomSim } from "../src/index.ts";
import {
  answerKeepAlives,
  connectMedia,
  connectSignaling,
  delay,
  sendSignalingHandshake,
} from "./helpers.ts";

describe("RTMS signaling server", () => {
  let sim: ZoomSim;
  beforeEach(async () => {
    sim = await startZoomSim({ keepAliveIntervalMs: 60, reconnectWindowMs: 400, staleSignalingMs: 0 });
  });
  afterEach(() => sim.close());

  const start = async () => {
    const meeting = sim.createMeeting({
      number: "81234567890",
      participants: [{ name: "Alice" }, { name: "Bob" }],
    });
    return { meeting, info: await meeting.startRtms() };
  };

  it("accepts a signed handshake and lists all and per-type media URLs", async () => {
    const { info } = await start();
    const { sig, resp } = await connectSignaling(sim, info);
    expect(resp).toMatchObject({ msg_type: 2, status_code: 0, sequence: 1 });
    const urls = (resp.media_server as { server_urls: Record<string, string> }).server_urls;
    expect(Object.keys(urls).sort()).toEqual(["all", "audio", "transcript", "video"]);
    for (const u of Object.values(urls)) expect(u).toMatch(/^ws:\/\//);
    expect(sim.connectionStats(info.streamId).signalingConnections).toBe(1);
    sig.close();
  });

  it("answers a bad signature with status 3 and closes the socket", async () => {
    const { info } = await start();
    const sig = await sendSignalingHandshake(info.serverUrls, {
      meeting_uuid: info.meetingUuid,
      rtms_stream_id: info.streamId,
      signature: "00",
    });
    expect(await sig.nextType(2)).toMatchObject({ status_code: 3, reason: "invalid signature" });
    await sig.waitClosed();
  });

  it("uses the older numbering (15) under that fault, with the same reason text", async () => {
    const { info } = await start();
    sim.faults.setOldStatusNumbering(true);
    const sig = await sendSignalingHandshake(info.serverUrls, {
      meeting_uuid: info.meetingUuid,
      rtms_stream_id: info.streamId,
      signature: "00",
    });
    expect(await sig.nextType(2)).toMatchObject({ status_code: 15, reason: "invalid signature" });
  });

  it("answers an unknown stream with status 2", async () => {
    const { info } = await start();
    const sig = await sendSignalingHandshake(info.serverUrls, {
      meeting_uuid: info.meetingUuid,
      rtms_stream_id: "nope",
      signature: "00",
    });
    expect(await sig.nextType(2)).toMatchObject({ status_code: 2 });
    await sig.waitClosed();
  });

  it("rejects a second signaling connection while the first is registered (status 8, 'duplicate signal request')", async () => {
    const { info } = await start();
    const first = await connectSignaling(sim, info);
    const second = await connectSignaling(sim, info);
    expect(second.resp).toMatchObject({ status_code: 8, reason: "duplicate signal request" });
    await second.sig.waitClosed();
    expect(sim.connectionStats(info.streamId)).toMatchObject({
      signalingConnections: 1,
      signalingRejected: 1,
    });
    first.sig.close();
  });

  it("keeps the old socket registered for staleSignalingMs after it drops", async () => {
    await sim.close();
    sim = await startZoomSim({ staleSignalingMs: 300 });
    const { info } = await start();
    const first = await connectSignaling(sim, info);
    first.sig.close();
    await first.sig.waitClosed();
    expect((await connectSignaling(sim, info)).resp).toMatchObject({ status_code: 8 });
    await delay(350);
    expect((await connectSignaling(sim, info)).resp).toMatchObject({ status_code: 0 });
  });

  it("sends msg 12 with a numeric timestamp on every socket and stays up while they are answered", async () => {
    const { info } = await start();
    const { sig } = await connectSignaling(sim, info);
    const { media } = await connectMedia(
      sim,
      info,
      `${info.serverUrls.replace(/signaling$/, "media/all")}`,
      32,
    );
    for (const s of [sig, media]) answerKeepAlives(s);
    for (let i = 0; i < 5; i++) {
      const ka = await sig.nextType(12);
      expect(typeof ka.timestamp).toBe("number");
    }
    expect(typeof (await media.nextType(12)).timestamp).toBe("number");
    expect(sig.closed).toBeUndefined();
    expect(media.closed).toBeUndefined();
    sig.close();
    media.close();
  });

  it("interrupts both connections after 3 unanswered keep-alives on signaling and ends the stream with 24", async () => {
    const { info } = await start();
    const interrupted = sim.waitFor(
      "zoom-event",
      (e: { event: string }) => e.event === "meeting.rtms_interrupted",
    );
    const stopped = sim.waitFor<{ reason: number }>("stream-stopped");
    const { sig } = await connectSignaling(sim, info);
    const { media } = await connectMedia(sim, info, info.serverUrls.replace(/signaling$/, "media/video"), 2);
    // Media answers its keep-alives; signaling does not.
    answerKeepAlives(media);
    await sig.waitClosed();
    await media.waitClosed();
    expect(sig.messages.filter((m) => m.msg_type === 12)).toHaveLength(3);
    await interrupted;
    expect((await stopped).reason).toBe(24);
  });

  it("interrupts only the media socket after 3 unanswered keep-alives on media (event 7 on signaling)", async () => {
    const { info } = await start();
    const { sig } = await connectSignaling(sim, info);
    answerKeepAlives(sig);
    const { media } = await connectMedia(sim, info, info.serverUrls.replace(/signaling$/, "media/video"), 2);
    await media.waitClosed();
    const ev = await sig.nextEvent(7);
    expect(ev).toBeTruthy();
    expect(sig.closed).toBeUndefined();
    // A new media connection is accepted.
    const again = await connectMedia(sim, info, info.serverUrls.replace(/signaling$/, "media/video"), 2);
    expect(again.resp).toMatchObject({ status_code: 0 });
    sig.close();
    again.media.close();
  });

  it("ends a stream with 19 when signaling drops and nobody reconnects within the window", async () => {
    const { info } = await start();
    const stopped = sim.waitFor<{ reason: number }>("stream-stopped");
    const { sig } = await connectSignaling(sim, info);
    sim.faults.dropSignaling(info.streamId);
    await sig.waitClosed();
    expect((await stopped).reason).toBe(19);
  });

  it("stop: msg 8 (terminated) and msg 9 (stopped, stop_reason) then close, and rtms_stopped", async () => {
    const { meeting, info } = await start();
    const { sig } = await connectSignaling(sim, info);
    meeting.stopRtms(6);
    expect(await sig.nextType(8)).toMatchObject({ state: 4, reason: 6, timestamp: expect.any(Number) });
    expect(await sig.nextType(9)).toMatchObject({ state: 5, stop_reason: 6, timestamp: expect.any(Number) });
    await sig.waitClosed();
    const ev = sim.publishedEvents.at(-1);
    expect(ev).toMatchObject({
      event: "meeting.rtms_stopped",
      payload: { rtms_stream_id: info.streamId, stop_reason: 6 },
    });
  });

  it("stream close 21 -> 22, then stop reason 20", async () => {
    const { info } = await start();
    const { sig } = await connectSignaling(sim, info);
    sig.send({ msg_type: 21, rtms_stream_id: info.streamId });
    expect(await sig.nextType(22)).toMatchObject({ status_code: 0 });
    expect(await sig.nextType(9)).toMatchObject({ state: 5, stop_reason: 20 });
    await sig.waitClosed();
  });

  it("sends subscribed events, ignores unknown types 10-14, and reports state on request", async () => {
    const { meeting, info } = await start();
    const { sig } = await connectSignaling(sim, info);
    sig.send({
      msg_type: 5,
      events: [3, 4, 2, 8, 9, 10, 11, 12, 13, 14].map((event_type) => ({ event_type, subscribe: true })),
    });
    // The current participants arrive on subscription.
    const present = await sig.nextEvent(3);
    expect(
      (present.event as { participants: { user_name: string }[] }).participants.map((p) => p.user_name),
    ).toEqual(["Alice", "Bob"]);
    // ...and so do the cameras already on.
    const on = await sig.nextEvent(8);
    expect((on.event as { participants: unknown[] }).participants).toHaveLength(2);
    const carol = meeting.addParticipant({ name: "Carol", camera: false });
    const join = await sig.nextEvent(3);
    expect(join.event).toMatchObject({ participants: [{ user_id: carol.userId, user_name: "Carol" }] });
    meeting.setCamera("Carol", true);
    expect((await sig.nextEvent(8)).event).toMatchObject({
      participants: [{ user_id: carol.userId }],
    });
    meeting.setActiveSpeaker("Carol");
    const speaker = await sig.nextEvent(2, (event) => event.user_id === carol.userId);
    expect(speaker.event).toMatchObject({ user_name: "Carol" });
    meeting.removeParticipant("Carol");
    expect((await sig.nextEvent(4)).event).toMatchObject({
      participants: [{ user_id: carol.userId }],
    });
    sig.send({ msg_type: 19, rtms_stream_id: info.streamId });
    expect(await sig.nextType(20)).toMatchObject({ state: 1, status_code: 0 });
    sig.send({ msg_type: 10 });
    expect(await sig.nextType(11)).toMatchObject({ state: 2 });
    expect(sig.closed).toBeUndefined();
    sig.close();
  });

  it("answers WebSocket pings and sends JSON in binary frames under that fault", async () => {
    const { info } = await start();
    sim.faults.setBinaryJson(true);
    const { sig, resp } = await connectSignaling(sim, info);
    expect(resp.status_code).toBe(0);
    const binary = await new Promise<boolean>((resolve) =>
      sig.ws.once("message", (_d, isBinary) => resolve(isBinary)),
    );
    expect(binary).toBe(true);
    const pong = new Promise<void>((resolve) => sig.ws.once("pong", () => resolve()));
    sig.ws.ping();
    await pong;
    sig.close();
  });

  it("fails over: old sockets dropped, a new rtms_started with new URLs, old URL refused", async () => {
    const { info } = await start();
    const { sig } = await connectSignaling(sim, info);
    const restarted = sim.waitFor("zoom-event", (e: { event: string }) => e.event === "meeting.rtms_started");
    sim.faults.failover(info.streamId);
    await sig.waitClosed();
    const ev = (await restarted) as unknown as { payload: { server_urls: string } };
    expect(ev.payload.server_urls).not.toBe(info.serverUrls);
    const old = await connectSignaling(sim, info);
    expect(old.resp.status_code).toBe(2);
    const fresh = await connectSignaling(sim, { ...info, serverUrls: ev.payload.server_urls });
    expect(fresh.resp.status_code).toBe(0);
    fresh.sig.close();
  });
});
