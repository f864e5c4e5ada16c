// Hostile faults (issue 9): each one shown on the wire, through the library or the control API (the same
// applyFault), and aimed at one stream while a second, honest stream stays clean.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type LiveMeeting,
  type StreamInfo,
  startZoomSim,
  type ZoomEvent,
  type ZoomSim,
} from "../src/index.ts";
import { parseScenario } from "../src/scenario/index.ts";
import { answerKeepAlives, connectMedia, connectSignaling, type TestSocket } from "./helpers.ts";

type Frame = {
  user_id: number | string;
  user_name: string;
  data: string;
  length: number;
  timestamp: unknown;
};
type Msg = Record<string, unknown>;

interface Live {
  meeting: LiveMeeting;
  info: StreamInfo;
  sig: TestSocket;
  media: TestSocket;
  /** Every signaling message in arrival order (TestSocket.next consumes its queue; this keeps all). */
  sigLog: Msg[];
}

/** What the garbage flood sends, as TestSocket queues it. */
const isGarbage = (m: Msg) =>
  "unparsed" in m || typeof m.msg_type !== "number" || (m.msg_type === 15 && typeof m.content !== "object");

let sim: ZoomSim;
let a: Live;
let b: Live;

async function live(number: string, name: string): Promise<Live> {
  const meeting = sim.createMeeting({ number, participants: [{ name, camera: true }] });
  const info = await meeting.startRtms();
  const { sig } = await connectSignaling(sim, info);
  const sigLog: Msg[] = [];
  sig.ws.on("message", (d) => {
    try {
      sigLog.push(JSON.parse(d.toString()) as Msg);
    } catch {
      sigLog.push({ unparsed: d.toString() });
    }
  });
  answerKeepAlives(sig);
  sig.send({ msg_type: 5, events: [3, 2].map((event_type) => ({ event_type, subscribe: true })) });
  await sig.nextEvent(3);
  const { media } = await connectMedia(sim, info, info.mediaUrls.video!, 2, {
    video: { codec: 5, resolution: 1, fps: 5 },
  });
  answerKeepAlives(media);
  sig.send({ msg_type: 7, rtms_stream_id: info.streamId });
  return { meeting, info, sig, media, sigLog };
}

const frame = async (l: Live, where: (f: Frame) => boolean = () => true) =>
  (await l.media.next((m) => m.msg_type === 15 && where(m.content as Frame), 20_000)).content as Frame;
const control = async (body: unknown) => {
  const res = await fetch(`${sim.urls.controlBase}/faults`, { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Msg };
};
const bytesOf = (f: Frame) => Buffer.from(f.data, "base64");
const JPEG = Buffer.from([0xff, 0xd8]);

beforeEach(async () => {
  sim = await startZoomSim({ audio: false, keepAliveIntervalMs: 100, staleSignalingMs: 0 });
  a = await live("81234567890", "Alice");
  b = await live("81234567891", "Bob");
});
afterEach(() => sim.close());

describe("hostile faults", () => {
  it("nul-ids: frames and msg 6 events of the targeted stream carry NUL in user_id and user_name", async () => {
    sim.faults.nulIds(true, a.info.streamId);
    const bad = await frame(a);
    expect(bad.user_id).toBe(`${a.meeting.participants[0]!.userId}\u0000`);
    expect(bad.user_name).toBe("Alice\u0000");
    a.meeting.addParticipant({ name: "Carol" });
    const join = (await a.sig.nextEvent(3, (e) => JSON.stringify(e).includes("Carol"))).event as {
      participants: { user_id: unknown; user_name: string }[];
    };
    expect(join.participants[0]).toMatchObject({
      user_name: "Carol\u0000",
      user_id: `${a.meeting.find("Carol")!.userId}\u0000`,
    });
    // The other stream is honest: integer ids, clean names.
    const clean = await frame(b);
    expect(clean).toMatchObject({ user_id: b.meeting.participants[0]!.userId, user_name: "Bob" });
    b.meeting.addParticipant({ name: "Dan" });
    expect((await b.sig.nextEvent(3, (e) => JSON.stringify(e).includes("Dan"))).event).toMatchObject({
      participants: [{ user_name: "Dan", user_id: expect.any(Number) }],
    });
  });

  it("non-image-frames (control API): random bytes, an HTML page, a PNG declaring 16000x16000, then images again", async () => {
    const id = a.info.streamId;
    expect((await control({ type: "non-image-frames", kind: "random", streamId: id })).status).toBe(200);
    const random = await frame(a, (f) => !bytesOf(f).subarray(0, 2).equals(JPEG));
    expect(bytesOf(random).length).toBe(random.length);
    await control({ type: "non-image-frames", kind: "html", streamId: id });
    const html = await frame(a, (f) => bytesOf(f).toString("latin1").startsWith("<!doctype html>"));
    expect(bytesOf(html).toString()).toContain("not an image");
    await control({ type: "non-image-frames", kind: "png-bomb", streamId: id });
    const png = bytesOf(await frame(a, (f) => bytesOf(f)[0] === 0x89));
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([16_000, 16_000]);
    expect(png.length).toBeLessThan(100);
    await control({ type: "non-image-frames", kind: "normal", streamId: id });
    await frame(a, (f) => bytesOf(f).subarray(0, 2).equals(JPEG));
    expect(bytesOf(await frame(b)).subarray(0, 2)).toEqual(JPEG);
  });

  it("oversized-frames: an 11 MB frame that starts and ends like a JPEG", async () => {
    sim.faults.oversizedFrames(11 * 1024 * 1024, a.info.streamId);
    const big = await frame(a, (f) => f.length > 1024 * 1024);
    const data = bytesOf(big);
    expect(big.length).toBe(11 * 1024 * 1024);
    expect(data.length).toBe(big.length);
    expect(data.subarray(0, 2)).toEqual(JPEG);
    expect(data.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    sim.faults.oversizedFrames(0, a.info.streamId);
    await frame(a, (f) => f.length < 1024 * 1024);
  });

  it("garbage-flood (control API) on signaling, then on media: unparseable messages until stopped", async () => {
    const id = a.info.streamId;
    const flooded = await control({
      type: "garbage-flood",
      socket: "signaling",
      perSecond: 2000,
      streamId: id,
    });
    expect(flooded.body).toEqual({ affected: 1 });
    for (let i = 0; i < 200; i++) await a.sig.next(isGarbage);
    await control({ type: "garbage-flood", socket: "signaling", perSecond: 0, streamId: id });
    // A keep-alive stamped after the stop was sent after the last garbage: nothing unparseable follows it.
    const since = Date.now();
    const barrier = (m: Msg) => m.msg_type === 12 && (m.timestamp as number) >= since;
    await a.sig.next(barrier);
    await a.sig.nextType(12);
    expect(a.sigLog.slice(a.sigLog.findIndex(barrier)).filter(isGarbage)).toEqual([]);
    expect(a.sigLog.filter(isGarbage).length).toBeGreaterThanOrEqual(200);
    expect(a.sig.closed).toBeUndefined();

    expect(sim.faults.garbageFlood("media", 1000, id)).toBe(1);
    for (let i = 0; i < 50; i++) await a.media.next(isGarbage);
    expect(sim.connectionStats(id).garbageSent).toBeGreaterThanOrEqual(250);
    expect(b.media.messages.filter(isGarbage)).toEqual([]);
    expect(b.sigLog.filter(isGarbage)).toEqual([]);
  });

  it("bad-timestamps: negative, then non-numeric, in frames and in msg 6 events", async () => {
    const id = a.info.streamId;
    sim.faults.badTimestamps("negative", id);
    expect((await frame(a, (f) => (f.timestamp as number) < 0)).timestamp).toBeLessThan(0);
    a.meeting.addParticipant({ name: "Eve" });
    a.meeting.setActiveSpeaker("Eve");
    const speaker = await a.sig.nextEvent(2, (e) => String(e.user_name) === "Eve");
    expect((speaker.event as { timestamp: number }).timestamp).toBeLessThan(0);
    await control({ type: "bad-timestamps", kind: "non-numeric", streamId: id });
    expect(typeof (await frame(a, (f) => typeof f.timestamp === "string")).timestamp).toBe("string");
    expect(typeof (await frame(b)).timestamp).toBe("number");
  });

  it("endless-stream: meeting end, msg 21 and a control-route stop leave it streaming; off again, it stops", async () => {
    const id = a.info.streamId;
    expect((await control({ type: "endless-stream", streamId: id })).status).toBe(200);
    a.meeting.stopRtms(6);
    await fetch(`${sim.urls.controlBase}/streams/${id}/stop`, { method: "POST", body: "{}" });
    a.sig.send({ msg_type: 21, rtms_stream_id: id });
    expect(await a.sig.nextType(22)).toMatchObject({ status_code: 0 });
    const last = await frame(a);
    const later = await frame(a, (f) => (f.timestamp as number) > (last.timestamp as number));
    expect(later).toBeTruthy();
    expect(sim.connectionStats(id).phase).toBe("active");
    sim.faults.endless(false, id);
    const stopped = sim.waitFor<{ streamId: string; reason: number }>(
      "stream-stopped",
      (e) => e.streamId === id,
    );
    a.meeting.stopRtms(6);
    expect((await stopped).reason).toBe(6);
    expect(await a.sig.nextType(9)).toMatchObject({ state: 5, stop_reason: 6 });
  });

  it("foreign-server-urls: an rtms_started naming another host/port, and msg 2 naming another media server", async () => {
    const id = a.info.streamId;
    const elsewhere = "ws://127.0.0.2:9/rtms/evil/signaling";
    const event = sim.waitFor<ZoomEvent>("zoom-event", (e) => e.event === "meeting.rtms_started");
    expect((await control({ type: "foreign-server-urls", url: elsewhere, streamId: id })).body).toEqual({
      affected: 1,
    });
    expect((await event).payload).toMatchObject({ rtms_stream_id: id, server_urls: elsewhere });
    expect((await control({ type: "foreign-server-urls", streamId: id })).status).toBe(400); // rtms_started needs a url

    const media = "wss://media.example.net:8443/all";
    await control({ type: "foreign-server-urls", where: "media_urls", url: media, streamId: id });
    const interrupted = sim.waitFor("stream-interrupted", (e) => e.streamId === id);
    a.sig.close();
    await interrupted;
    const again = await connectSignaling(sim, a.info);
    const urls = (again.resp.media_server as { server_urls: Record<string, string> }).server_urls;
    expect(urls).toEqual({ audio: media, video: media, transcript: media, all: media });
    again.sig.close();
  });

  it("clear() turns every hostile fault off; /_sim/state lists them while on; scenarios accept them", async () => {
    sim.faults.nulIds(true);
    sim.faults.badTimestamps("negative", a.info.streamId);
    const state = (await (await fetch(`${sim.urls.controlBase}/state`)).json()) as {
      faults: { hostile: Record<string, Msg> };
    };
    expect(state.faults.hostile).toEqual({
      "*": { nulIds: true },
      [a.info.streamId]: { badTimestamps: "negative" },
    });
    expect(sim.faults.hostileFor(b.info.streamId)).toEqual({ nulIds: true });
    sim.faults.clear();
    expect(sim.faults.hostile).toEqual({});
    expect(bytesOf(await frame(a)).subarray(0, 2)).toEqual(JPEG);
    const scenario = parseScenario(
      {
        meeting: { number: "81234567899" },
        timeline: [
          { at: "1s", fault: { type: "nul-ids" } },
          { at: "2s", fault: { type: "garbage-flood", socket: "media" } },
          { at: "3s", fault: { type: "drop-media" } },
        ],
      },
      "test",
    );
    expect(scenario.timeline.map((s) => s.fault?.type)).toEqual(["nul-ids", "garbage-flood", "drop-media"]);
  });
});
