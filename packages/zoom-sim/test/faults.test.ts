import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type LiveMeeting,
  type StreamInfo,
  startZoomSim,
  type ZoomEvent,
  type ZoomSim,
} from "../src/index.ts";
import { answerKeepAlives, connectMedia, connectSignaling, delay, s2sToken } from "./helpers.ts";

type Frame = { user_id: number; user_name: string };

describe("faults and rooms inside a stream", () => {
  let sim: ZoomSim;
  let meeting: LiveMeeting;
  let info: StreamInfo;
  beforeEach(async () => {
    sim = await startZoomSim({ audio: false, keepAliveIntervalMs: 50, roomJoinDelayMs: 0 });
    meeting = sim.createMeeting({
      number: "81234567890",
      passcode: "123456",
      participants: [{ name: "Alice" }],
    });
    info = await meeting.startRtms();
  });
  afterEach(() => sim.close());

  it("a room joined through the Rooms API appears as a participant (join event) and its frames carry its name", async () => {
    sim.addRoom({ id: "zr-1", name: "Board Room" });
    const { sig } = await connectSignaling(sim, info);
    answerKeepAlives(sig);
    sig.send({
      msg_type: 5,
      events: [
        { event_type: 3, subscribe: true },
        { event_type: 4, subscribe: true },
      ],
    });
    await sig.nextEvent(3); // Alice, present already
    const { media } = await connectMedia(sim, info, info.mediaUrls.video!, 2, {
      video: { codec: 5, resolution: 1, fps: 5 },
    });
    answerKeepAlives(media);
    sig.send({ msg_type: 7, rtms_stream_id: info.streamId });
    const token = await s2sToken(sim);
    const res = await fetch(`${sim.urls.apiBase}/v2/rooms/zr-1/events`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        method: "zoomroom.meeting_join",
        params: { meeting_number: "81234567890", passcode: "123456" },
      }),
    });
    expect(res.status).toBe(202);
    const join = await sig.nextEvent(3);
    const roomUser = (join.event as { participants: { user_id: number; user_name: string }[] })
      .participants[0]!;
    expect(roomUser.user_name).toBe("Board Room");
    meeting.setActiveSpeaker("Board Room");
    const frame = (
      await media.next((m) => m.msg_type === 15 && (m.content as Frame).user_name === "Board Room")
    ).content as Frame;
    expect(frame.user_id).toBe(roomUser.user_id);
    await fetch(`${sim.urls.apiBase}/v2/rooms/zr-1/events`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ method: "zoomroom.meeting_leave", params: {} }),
    });
    const leave = await sig.nextEvent(4);
    expect(leave.event).toMatchObject({ participants: [{ user_id: roomUser.user_id }] });
    sig.close();
    media.close();
  });

  it("keep-alive 'silent' sends no msg 12 and never interrupts; 'deaf' ignores answers and interrupts", async () => {
    sim.faults.setKeepAlive("silent");
    const { sig } = await connectSignaling(sim, info);
    await delay(300);
    expect(sig.messages.filter((m) => m.msg_type === 12)).toEqual([]);
    expect(sig.closed).toBeUndefined();
    const interrupted = sim.waitFor<{ cause: string }>("stream-interrupted");
    sim.faults.setKeepAlive("deaf");
    answerKeepAlives(sig);
    await sig.waitClosed();
    expect((await interrupted).cause).toBe("keepalive");
    expect(sim.stream(info.streamId)?.phase).toBe("interrupted");
  });

  it("duplicate rtms_started and rtms_interrupted are published for the stream", async () => {
    const events: ZoomEvent[] = [];
    sim.on("zoom-event", (e: ZoomEvent) => events.push(e));
    sim.faults.duplicateRtmsStarted(info.streamId);
    sim.faults.rtmsInterrupted(info.streamId);
    expect(events.map((e) => e.event)).toEqual(["meeting.rtms_started", "meeting.rtms_interrupted"]);
    expect(events[0]!.payload).toMatchObject({ rtms_stream_id: info.streamId, server_urls: info.serverUrls });
    expect(events[1]!.payload).toMatchObject({
      rtms_stream_id: info.streamId,
      meeting_uuid: info.meetingUuid,
    });
  });

  it("pause and resume: session 3/4 and stream 5/6 updates, no frames while paused", async () => {
    const { sig } = await connectSignaling(sim, info);
    answerKeepAlives(sig);
    const { media } = await connectMedia(sim, info, info.mediaUrls.video!, 2, {
      video: { codec: 5, resolution: 1, fps: 5 },
    });
    answerKeepAlives(media);
    sig.send({ msg_type: 7, rtms_stream_id: info.streamId });
    await media.nextType(15);
    meeting.stream!.pause();
    expect(await sig.nextType(9)).toMatchObject({ state: 3 });
    expect(await sig.nextType(8)).toMatchObject({ state: 5 });
    await delay(250);
    const during = media.messages.filter((m) => m.msg_type === 15).length;
    await delay(500);
    expect(media.messages.filter((m) => m.msg_type === 15).length).toBe(during);
    meeting.stream!.resume();
    expect(await sig.nextType(9)).toMatchObject({ state: 4 });
    expect(await sig.nextType(8)).toMatchObject({ state: 6 });
    await media.nextType(15);
    sig.close();
    media.close();
  });
});
