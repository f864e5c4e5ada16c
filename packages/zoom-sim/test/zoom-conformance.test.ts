// Conformance for the places where zoom-sim diverged from Zoom's documented behaviour (issue 12, items 1-5),
// with raw sockets so that nothing of our own client can hide a difference, plus the debug log of refusals.
import { Writable } from "node:stream";
import pino from "pino";
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import { type StreamInfo, startZoomSim, type ZoomSim, type ZoomSimOptions } from "../src/index.ts";
import {
  answerKeepAlives,
  connectMedia,
  connectSignaling,
  delay,
  s2sToken,
  sendSignalingHandshake,
} from "./helpers.ts";

let sim: ZoomSim;
afterEach(() => sim.close());

async function open(options: ZoomSimOptions = {}): Promise<StreamInfo> {
  sim = await startZoomSim({ audio: false, keepAliveIntervalMs: 100, staleSignalingMs: 0, ...options });
  const meeting = sim.createMeeting({ number: "81234567890", participants: [{ name: "Alice" }] });
  return meeting.startRtms();
}

const video = { video: { codec: 5, resolution: 1, fps: 5 } };

describe("issue 12 divergences", () => {
  it("1. a dropped signaling socket interrupts that stream's media sockets too; both reconnect cleanly", async () => {
    const info = await open();
    const { sig } = await connectSignaling(sim, info);
    answerKeepAlives(sig);
    const { media } = await connectMedia(sim, info, info.mediaUrls.all!, 32, video);
    answerKeepAlives(media);
    sig.send({ msg_type: 7, rtms_stream_id: info.streamId });
    await media.nextType(15);
    const interrupted = sim.waitFor("stream-interrupted");
    expect(sim.faults.dropSignaling(info.streamId)).toBe(1);
    await sig.waitClosed();
    await media.waitClosed();
    await interrupted;
    expect(sim.connectionStats(info.streamId).open).toEqual({ signaling: 0, media: 0 });
    // Reconnecting: no 15/16 for a media socket the server still held, frames again after msg 7.
    const again = await connectSignaling(sim, info);
    expect(again.resp).toMatchObject({ status_code: 0 });
    answerKeepAlives(again.sig);
    const media2 = await connectMedia(sim, info, info.mediaUrls.all!, 32, video);
    expect(media2.resp).toMatchObject({ status_code: 0 });
    again.sig.send({ msg_type: 7, rtms_stream_id: info.streamId });
    await media2.media.nextType(15);
    expect(sim.connectionStats(info.streamId)).toMatchObject({
      signalingConnections: 2,
      mediaConnections: 2,
      mediaRejected: 0,
      open: { signaling: 1, media: 1 },
      phase: "active",
    });
  });

  it("2. H264 (codec 7) is refused with 27 'invalid video codec', never served as JPEG", async () => {
    const info = await open();
    await connectSignaling(sim, info);
    const h264 = { video: { content_type: 3, codec: 7, resolution: 2, fps: 25 } };
    for (const [url, type] of [
      [info.mediaUrls.all!, 32],
      [info.mediaUrls.video!, 2],
    ] as const) {
      const { media, resp } = await connectMedia(sim, info, url, type, h264);
      expect(resp).toMatchObject({ msg_type: 4, status_code: 27, reason: "invalid video codec" });
      expect(resp.media_params).toBeUndefined();
      await media.waitClosed();
    }
    // The rate rule still comes first (H264 at 5 fps is an fps error), and JPEG is still served.
    const slow = await connectMedia(sim, info, info.mediaUrls.video!, 2, { video: { codec: 7, fps: 5 } });
    expect(slow.resp.status_code).toBe(30);
    expect(sim.connectionStats(info.streamId)).toMatchObject({ mediaConnections: 0, mediaRejected: 3 });
    const jpeg = await connectMedia(sim, info, info.mediaUrls.video!, 2, video);
    expect(jpeg.resp).toMatchObject({ status_code: 0, media_params: { video: { codec: 5 } } });
  });

  it("2b. PNG (codec 6) is served as PNG, what msg 4 accepted", async () => {
    const info = await open();
    const { sig } = await connectSignaling(sim, info);
    answerKeepAlives(sig);
    const png = { video: { content_type: 3, codec: 6, resolution: 1, fps: 2 } };
    const { media, resp } = await connectMedia(sim, info, info.mediaUrls.video!, 2, png);
    expect(resp).toMatchObject({ status_code: 0, media_params: { video: { codec: 6 } } });
    answerKeepAlives(media);
    sig.send({ msg_type: 7, rtms_stream_id: info.streamId });
    const frame = (await media.nextType(15)).content as { data: string; length: number };
    const bytes = Buffer.from(frame.data, "base64");
    expect(bytes.length).toBe(frame.length);
    expect(await sharp(bytes).metadata()).toMatchObject({ format: "png", width: 640, height: 360 });
  });

  it("3. event 1 (FIRST_PACKET_TIMESTAMP) follows the signaling handshake, before any media", async () => {
    const info = await open();
    const { sig } = await connectSignaling(sim, info);
    const first = await sig.nextEvent(1);
    expect(first.event).toMatchObject({ event_type: 1, timestamp: expect.any(Number) });
    expect(sim.connectionStats(info.streamId)).toMatchObject({ mediaConnections: 0, readyAcks: 0 });
    // Once per stream: msg 7 does not send it again.
    answerKeepAlives(sig);
    const { media } = await connectMedia(sim, info, info.mediaUrls.video!, 2, video);
    answerKeepAlives(media);
    sig.send({ msg_type: 7, rtms_stream_id: info.streamId });
    await media.nextType(15);
    await sig.nextType(12); // one keep-alive later, anything sent on msg 7 has arrived
    expect(sig.messages.filter((m) => m.msg_type === 6)).toEqual([]);
  });

  it("4. msg 22 carries rtms_stream_id and timestamp (refusal and success)", async () => {
    const info = await open();
    const { sig } = await connectSignaling(sim, info);
    sig.send({ msg_type: 21, rtms_stream_id: "another-stream" });
    expect(await sig.nextType(22)).toMatchObject({
      status_code: 2,
      reason: "invalid stream id",
      rtms_stream_id: "another-stream",
      timestamp: expect.any(Number),
    });
    sig.send({ msg_type: 21, rtms_stream_id: info.streamId });
    expect(await sig.nextType(22)).toMatchObject({
      status_code: 0,
      rtms_stream_id: info.streamId,
      timestamp: expect.any(Number),
    });
  });

  it("5. a leave for an Offline room that never joined answers 400 code 300; a joined room still leaves", async () => {
    sim = await startZoomSim({ roomJoinDelayMs: 0 });
    sim.createMeeting({ number: "81234567890", passcode: "1" });
    sim.addRoom({ id: "off", name: "Offline Room", status: "Offline" });
    sim.addRoom({ id: "wip", name: "Building", status: "UnderConstruction" });
    sim.addRoom({ id: "on", name: "Board Room" });
    const auth = { authorization: `Bearer ${await s2sToken(sim)}`, "content-type": "application/json" };
    const event = (id: string, body: unknown) =>
      fetch(`${sim.urls.apiBase}/v2/rooms/${id}/events`, {
        method: "PATCH",
        headers: auth,
        body: JSON.stringify(body),
      });
    const leave = { method: "zoomroom.meeting_leave", params: {} };
    for (const id of ["off", "wip"]) {
      const res = await event(id, leave);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 300 });
    }
    // A room that joined and then went offline is in the meeting: its leave is accepted.
    const joined = sim.waitFor("room-joined");
    expect(
      (
        await event("on", {
          method: "zoomroom.meeting_join",
          params: { meeting_number: "81234567890", passcode: "1" },
        })
      ).status,
    ).toBe(202);
    await joined;
    sim.rooms.setStatus("on", "Offline");
    expect((await event("on", leave)).status).toBe(202);
    expect(sim.requireMeeting("81234567890").participants).toEqual([]);
  });
});

describe("refusals are logged at debug with code, reason and socket", () => {
  it("handshake refusals by the stream and by the server, and msg 28 refusals", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const info = await open({ logger: pino({ level: "debug" }, sink) });
    const bad = await sendSignalingHandshake(info.serverUrls, {
      meeting_uuid: info.meetingUuid,
      rtms_stream_id: info.streamId,
      signature: "00",
    });
    await bad.waitClosed();
    const unknown = await sendSignalingHandshake(info.serverUrls, {
      meeting_uuid: info.meetingUuid,
      rtms_stream_id: "nope",
      signature: "00",
    });
    await unknown.waitClosed();
    const { sig } = await connectSignaling(sim, info);
    const h264 = await connectMedia(sim, info, info.mediaUrls.video!, 2, { video: { codec: 7, fps: 25 } });
    await h264.media.waitClosed();
    sig.send({ msg_type: 28, user_id: 12345, subscribe: true });
    await sig.nextType(29);
    await delay(50); // pino's stream writes are asynchronous
    const refusals = lines.filter((l) => l.level === 20 && /refused/.test(String(l.msg)));
    const seen = refusals.map((l) => [l.statusCode, l.reason, (l.socket as { endpoint: string }).endpoint]);
    expect(seen).toEqual([
      [3, "invalid signature", "signaling"],
      [2, "invalid stream id", "signaling"],
      [27, "invalid video codec", "media/video"],
      [4, "unknown user_id", "signaling"],
    ]);
    for (const l of refusals) expect((l.socket as { peer: string }).peer).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});
