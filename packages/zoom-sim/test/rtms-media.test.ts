import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type LiveMeeting, type StreamInfo, startZoomSim, type ZoomSim } from "../src/index.ts";
import {
  connectMedia,
  connectSignaling,
  delay,
  type TestSocket,
  TWO_CAMERAS_AND_ONE_OFF,
} from "./helpers.ts";

type Frame = { user_id: number; user_name: string; data: string; length: number; timestamp: number };

describe("RTMS media server", () => {
  let sim: ZoomSim;
  let meeting: LiveMeeting;
  let info: StreamInfo;
  let sig: TestSocket;
  const url = (kind: string) => info.serverUrls.replace(/signaling$/, `media/${kind}`);

  beforeEach(async () => {
    sim = await startZoomSim({ audio: false });
    meeting = sim.createMeeting({
      number: "81234567890",
      participants: TWO_CAMERAS_AND_ONE_OFF,
    });
    info = await meeting.startRtms();
    sig = (await connectSignaling(sim, info)).sig;
  });
  afterEach(() => sim.close());

  const reject = async (mediaType: number, params: unknown) =>
    (await connectMedia(sim, info, url("all"), mediaType, params)).resp;

  it("rejects media params that break Zoom's rules with the matching status code", async () => {
    const video = (v: Record<string, unknown>) => ({
      video: { content_type: 3, codec: 5, resolution: 2, fps: 5, ...v },
    });
    expect((await reject(32, video({ fps: 10 }))).status_code).toBe(30); // JPG above 5 fps
    expect((await reject(32, video({ fps: "5" }))).status_code).toBe(30); // badly typed, still the fps rule
    expect((await reject(32, video({ codec: 7, fps: 5 }))).status_code).toBe(30); // H264 only above 5 fps
    expect((await reject(32, video({ codec: 99 }))).status_code).toBe(27);
    expect((await reject(32, video({ content_type: 2 }))).status_code).toBe(26);
    expect((await reject(32, video({ resolution: 9 }))).status_code).toBe(28);
    expect((await reject(32, video({ data_opt: 7 }))).status_code).toBe(29);
    expect((await reject(32, { audio: { send_rate: 30 } })).status_code).toBe(24);
    expect((await reject(32, { deskshare: { codec: 5, fps: 2 } })).status_code).toBe(35);
    expect((await reject(32, "nope")).status_code).toBe(17);
    expect((await reject(0, undefined)).status_code).toBe(14);
    expect((await reject(4, undefined)).status_code).toBe(11);
    expect(sim.connectionStats(info.streamId).mediaConnections).toBe(0);
  });

  it("rejects overlapping connections: 15 next to 'all', 16 for the same type", async () => {
    const all = await connectMedia(sim, info, url("all"), 32);
    expect(all.resp).toMatchObject({ status_code: 0 });
    expect((await connectMedia(sim, info, url("video"), 2)).resp.status_code).toBe(15);
    all.media.close();
    await all.media.waitClosed();
    await delay(20);
    const video = await connectMedia(sim, info, url("video"), 2);
    expect(video.resp.status_code).toBe(0);
    expect((await connectMedia(sim, info, url("video"), 2)).resp.status_code).toBe(16);
    expect((await connectMedia(sim, info, url("all"), 32)).resp.status_code).toBe(15);
    expect((await connectMedia(sim, info, url("audio"), 1)).resp.status_code).toBe(0);
  });

  it("accepts omitted sequence and data_opt, and answers the accepted params with defaults", async () => {
    const { resp } = await connectMedia(sim, info, url("video"), 2, { video: { codec: 5, fps: 5 } });
    expect(resp).toMatchObject({
      status_code: 0,
      payload_encryption: false,
      media_params: { video: { content_type: 3, codec: 5, resolution: 2, data_opt: 3, fps: 5 } },
    });
  });

  it("sends nothing but keep-alives before msg 7, then the active speaker's frames", async () => {
    const { media } = await connectMedia(sim, info, url("all"), 32, {
      video: { codec: 5, resolution: 1, fps: 5 },
    });
    await delay(500);
    expect(media.messages.filter((m) => m.msg_type !== 12)).toEqual([]);
    const ready = sim.waitFor("media-ready");
    sig.send({ msg_type: 7, rtms_stream_id: info.streamId });
    await ready;
    const first = await sig.nextEvent(1);
    expect(first).toBeTruthy();
    const frame = (await media.nextType(15)).content as Frame;
    const alice = meeting.find("Alice")!;
    expect(frame).toMatchObject({ user_id: alice.userId, user_name: "Alice" });
    const jpeg = Buffer.from(frame.data, "base64");
    expect(frame.length).toBe(jpeg.length);
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    media.close();
  });

  it("data_opt 3: frames follow the active speaker, none while that camera is off, timestamps step by 1000/fps", async () => {
    const { media } = await connectMedia(sim, info, url("video"), 2, {
      video: { codec: 5, resolution: 1, fps: 5, data_opt: 3 },
    });
    sig.send({ msg_type: 7, rtms_stream_id: info.streamId });
    const alice = meeting.find("Alice")!;
    const bob = meeting.find("Bob")!;
    await media.nextType(15);
    meeting.setActiveSpeaker("Bob");
    await media.next((m) => m.msg_type === 15 && (m.content as Frame).user_id === bob.userId);
    await delay(500);
    meeting.setActiveSpeaker("Carol"); // camera off: nothing at all
    await delay(100);
    const before = media.messages.filter((m) => m.msg_type === 15).length;
    await delay(600);
    expect(media.messages.filter((m) => m.msg_type === 15).length).toBe(before);
    meeting.setCamera("Carol", true);
    const carol = meeting.find("Carol")!;
    const carolFrame = (
      await media.next((m) => m.msg_type === 15 && (m.content as Frame).user_id === carol.userId)
    ).content as Frame;
    expect(carolFrame.user_name).toBe("Carol");

    const frames = media.messages.filter((m) => m.msg_type === 15).map((m) => m.content as Frame);
    for (const who of [alice.userId, bob.userId]) {
      const ts = frames.filter((f) => f.user_id === who).map((f) => f.timestamp);
      for (let i = 1; i < ts.length; i++) {
        expect(ts[i]!).toBeGreaterThan(ts[i - 1]!);
        expect((ts[i]! - ts[i - 1]!) % 200).toBe(0);
      }
    }
    const bobTs = frames.filter((f) => f.user_id === bob.userId).map((f) => f.timestamp);
    expect(bobTs.length).toBeGreaterThan(1);
    expect(bobTs[1]! - bobTs[0]!).toBe(200);
    media.close();
  });

  it("data_opt 4: nothing until msg 28, then only the subscribed participant; 44 when already subscribed", async () => {
    const { media } = await connectMedia(sim, info, url("video"), 2, {
      video: { codec: 5, resolution: 1, fps: 5, data_opt: 4 },
    });
    sig.send({ msg_type: 7, rtms_stream_id: info.streamId });
    await sim.waitFor("media-ready");
    await delay(500);
    expect(media.messages.filter((m) => m.msg_type === 15)).toEqual([]);
    const bob = meeting.find("Bob")!;
    const alice = meeting.find("Alice")!;
    sig.send({ msg_type: 28, user_id: bob.userId, subscribe: true, timestamp: Date.now() });
    expect(await sig.nextType(29)).toMatchObject({ status_code: 0 });
    const f = (await media.nextType(15)).content as Frame;
    expect(f).toMatchObject({ user_id: bob.userId, user_name: "Bob" });
    sig.send({ msg_type: 28, user_id: bob.userId, subscribe: true, timestamp: Date.now() });
    expect(await sig.nextType(29)).toMatchObject({ status_code: 44 });
    sig.send({ msg_type: 28, user_id: String(alice.userId), subscribe: true, timestamp: Date.now() });
    expect(await sig.nextType(29)).toMatchObject({ status_code: 0 });
    await media.next((m) => m.msg_type === 15 && (m.content as Frame).user_id === alice.userId);
    await delay(300);
    const after = media.messages.filter((m) => m.msg_type === 15).map((m) => (m.content as Frame).user_id);
    expect(new Set(after)).toEqual(new Set([alice.userId]));
    media.close();
  });

  it("drops media under the fault and tells signaling (event 7); a reconnect gets frames again after msg 7", async () => {
    const first = await connectMedia(sim, info, url("all"), 32, {
      video: { codec: 5, resolution: 1, fps: 5 },
    });
    sig.send({ msg_type: 7, rtms_stream_id: info.streamId });
    const f1 = (await first.media.nextType(15)).content as Frame;
    expect(sim.faults.dropMedia(info.streamId)).toBe(1);
    await first.media.waitClosed();
    await sig.nextEvent(7);
    const second = await connectMedia(sim, info, url("all"), 32, {
      video: { codec: 5, resolution: 1, fps: 5 },
    });
    sig.send({ msg_type: 7, rtms_stream_id: info.streamId });
    const f2 = (await second.media.nextType(15)).content as Frame;
    // Timestamps never repeat across reconnects.
    expect(f2.timestamp).toBeGreaterThan(f1.timestamp);
    expect(sim.connectionStats(info.streamId)).toMatchObject({ mediaConnections: 2, readyAcks: 2 });
    second.media.close();
  });

  it("sends silent audio (msg 14, user_id 0) when audio is enabled and requested", async () => {
    await sim.close();
    sim = await startZoomSim({ audio: true });
    meeting = sim.createMeeting({ number: "81234567890", participants: [{ name: "Alice" }] });
    info = await meeting.startRtms();
    sig = (await connectSignaling(sim, info)).sig;
    const { media } = await connectMedia(sim, info, url("audio"), 1, { audio: { send_rate: 100 } });
    sig.send({ msg_type: 7, rtms_stream_id: info.streamId });
    const audio = (await media.nextType(14)).content as Frame;
    expect(audio.user_id).toBe(0);
    expect(Buffer.from(audio.data, "base64").length).toBe(audio.length);
    expect(media.messages.filter((m) => m.msg_type === 15)).toEqual([]);
    media.close();
  });
});
