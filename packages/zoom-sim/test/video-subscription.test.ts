// Conformance: data_opt 4 (individual video) as the README describes it. "No frames" is proved with a barrier:
// a media keep-alive stamped after the change was sent after every frame sent before it (one socket keeps
// order), so any msg 15 that comes after that keep-alive was sent after the change.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type LiveMeeting, type StreamInfo, startZoomSim, type ZoomSim } from "../src/index.ts";
import {
  answerKeepAlives,
  connectMedia,
  connectSignaling,
  type TestSocket,
  TWO_CAMERAS_AND_ONE_OFF,
} from "./helpers.ts";

type Frame = { user_id: number; user_name: string };
type Msg = Record<string, unknown>;

describe("data_opt 4: individual video subscriptions", () => {
  let sim: ZoomSim;
  let meeting: LiveMeeting;
  let info: StreamInfo;
  let sig: TestSocket;
  let media: TestSocket;
  /** Every media message in arrival order (TestSocket.next consumes its queue; this log keeps all). */
  let log: Msg[];

  const open = async (delayMs: number) => {
    sim = await startZoomSim({ audio: false, keepAliveIntervalMs: 80, videoSubscriptionDelayMs: delayMs });
    meeting = sim.createMeeting({
      number: "81234567890",
      participants: TWO_CAMERAS_AND_ONE_OFF,
    });
    info = await meeting.startRtms();
    sig = (await connectSignaling(sim, info)).sig;
    answerKeepAlives(sig);
    media = (
      await connectMedia(sim, info, info.mediaUrls.video!, 2, {
        video: { codec: 5, resolution: 1, fps: 5, data_opt: 4 },
      })
    ).media;
    log = [];
    media.ws.on("message", (d) => log.push(JSON.parse(d.toString()) as Msg));
    answerKeepAlives(media);
    const ready = sim.waitFor("media-ready");
    sig.send({ msg_type: 7, rtms_stream_id: info.streamId });
    await ready;
  };
  afterEach(() => sim.close());

  const user = (name: string) => meeting.find(name)!.userId;
  const subscribe = async (userId: number | string, on = true) => {
    sig.send({ msg_type: 28, user_id: userId, subscribe: on, timestamp: Date.now() });
    return sig.nextType(29);
  };
  /** The frames sent during `keepAlives` media keep-alive intervals that all began after this call. */
  const framesFromNow = async (keepAlives = 4): Promise<Frame[]> => {
    const since = Date.now();
    const after = (m: Msg) => m.msg_type === 12 && (m.timestamp as number) >= since;
    for (let i = 0; i < keepAlives; i++) await media.next(after);
    const start = log.findIndex(after);
    return log.slice(start).flatMap((m) => (m.msg_type === 15 ? [m.content as Frame] : []));
  };
  const frameOf = (userId: number) =>
    media.next((m) => m.msg_type === 15 && (m.content as Frame).user_id === userId);

  describe("with a delay before the first frame", () => {
    beforeEach(() => open(2_000));

    it("nothing flows until msg 28; the first frame waits for the configured delay", async () => {
      expect(await framesFromNow()).toEqual([]);
      const bob = user("Bob");
      const flowing = sim.waitFor("video-flowing", (e) => e.userId === bob);
      const subscribed = sim.waitFor<{ userId: number; delayMs: number }>(
        "video-subscribed",
        (e) => e.userId === bob,
      );
      const answer = await subscribe(bob);
      expect(answer).toMatchObject({ status_code: 0, user_id: String(bob) });
      expect((await subscribed).delayMs).toBe(2_000);
      // Two frame intervals inside the delay: nothing.
      expect(await framesFromNow(6)).toEqual([]);
      await flowing;
      // Sent before "video-flowing" means received before it too: the gate held them all back.
      expect(log.filter((m) => m.msg_type === 15)).toEqual([]);
      const first = (await frameOf(bob)).content as Frame & { timestamp: number };
      expect(first.user_name).toBe("Bob");
      // The simulator's own clocks: the frame is stamped at least the delay (less one 200 ms step) after msg 29.
      expect(first.timestamp).toBeGreaterThanOrEqual((answer.timestamp as number) + 2_000 - 200);
    });

    it("a re-subscribe of the current participant answers 44, during the delay too; unknown users 4", async () => {
      const bob = user("Bob");
      expect(await subscribe(bob)).toMatchObject({ status_code: 0 });
      expect(await subscribe(bob)).toMatchObject({ status_code: 44 });
      expect(await subscribe(999_999)).toMatchObject({ status_code: 4, reason: "unknown user_id" });
      expect(await subscribe("not-a-number")).toMatchObject({ status_code: 4 });
      expect(await subscribe(999_999, false)).toMatchObject({ status_code: 4 });
      expect(meeting.stream!.videoSubscription).toBe(bob);
    });
  });

  describe("with frames flowing at once", () => {
    beforeEach(() => open(0));

    it("a new subscription replaces the old one: the old participant's frames stop at once", async () => {
      const bob = user("Bob");
      const alice = user("Alice");
      await subscribe(bob);
      await frameOf(bob);
      const switched = sim.waitFor("video-subscribed", (e) => e.userId === alice);
      expect(await subscribe(alice)).toMatchObject({ status_code: 0 });
      await switched;
      const after = await framesFromNow(8); // 560 ms: several frame ticks, even if one is skipped under load
      expect(after.filter((f) => f.user_id === bob)).toEqual([]);
      expect(after.some((f) => f.user_id === alice)).toBe(true);
      expect(meeting.stream!.videoSubscription).toBe(alice);
    });

    it("subscribe:false stops video", async () => {
      const bob = user("Bob");
      await subscribe(bob);
      await frameOf(bob);
      const stopped = sim.waitFor("video-unsubscribed", (e) => e.userId === bob);
      expect(await subscribe(bob, false)).toMatchObject({ status_code: 0 });
      await stopped;
      expect(await framesFromNow()).toEqual([]);
      expect(meeting.stream!.videoSubscription).toBeUndefined();
    });

    it("a subscribed participant with the camera off sends nothing; camera on (control API) starts frames", async () => {
      const carol = user("Carol");
      expect(await subscribe(carol)).toMatchObject({ status_code: 0 });
      expect(await framesFromNow()).toEqual([]);
      const call = (path: string, body: unknown) =>
        fetch(`${sim.urls.controlBase}${path}`, { method: "POST", body: JSON.stringify(body) });
      expect((await call(`/meetings/${meeting.number}/participants/Carol/camera`, { on: true })).status).toBe(
        200,
      );
      expect(((await frameOf(carol)).content as Frame).user_name).toBe("Carol");
      await call(`/meetings/${meeting.number}/participants/${carol}/camera`, { on: false });
      expect(await framesFromNow()).toEqual([]);
    });

    it("a participant added mid-meeting through the control API, camera on, can be subscribed", async () => {
      sig.send({
        msg_type: 5,
        events: [
          { event_type: 3, subscribe: true },
          { event_type: 8, subscribe: true },
        ],
      });
      await sig.nextEvent(3); // everyone present
      const res = await fetch(`${sim.urls.controlBase}/meetings/${meeting.number}/participants`, {
        method: "POST",
        body: JSON.stringify({ name: "Dan", camera: true }),
      });
      const dan = (await res.json()) as { userId: number; camera: boolean };
      expect(dan.camera).toBe(true);
      expect((await sig.nextEvent(3, (e) => JSON.stringify(e).includes("Dan"))).event).toMatchObject({
        participants: [{ user_id: dan.userId, user_name: "Dan" }],
      });
      expect(await subscribe(dan.userId)).toMatchObject({ status_code: 0 });
      expect(((await frameOf(dan.userId)).content as Frame).user_name).toBe("Dan");
    });

    it("the refusal fault: msg 28 for that user answers its code and the current subscription stays", async () => {
      const bob = user("Bob");
      const alice = user("Alice");
      await subscribe(bob);
      await frameOf(bob);
      const fault = await fetch(`${sim.urls.controlBase}/faults`, {
        method: "POST",
        body: JSON.stringify({ type: "video-subscription-refusal", userId: alice, statusCode: 45 }),
      });
      expect(fault.status).toBe(200);
      const refused = sim.waitFor<{ userId: number; statusCode: number }>(
        "video-subscription-refused",
        (e) => e.userId === alice,
      );
      expect(await subscribe(alice)).toMatchObject({ status_code: 45, reason: "internal exception" });
      expect((await refused).statusCode).toBe(45);
      expect(meeting.stream!.videoSubscription).toBe(bob);
      await frameOf(bob);
      expect(sim.faults.videoSubscriptionRefusals).toEqual([{ userId: alice, statusCode: 45 }]);
      sim.faults.refuseVideoSubscription(alice, 0);
      expect(await subscribe(alice)).toMatchObject({ status_code: 0 });
      await frameOf(alice);
    });
  });
});

describe("zoom-sim CLI: --video-subscription-delay-ms", () => {
  const bin = fileURLToPath(new URL("../bin/zoom-sim.js", import.meta.url));

  it("is in --help and sets the delay (flag over env)", async () => {
    const help = spawn(process.execPath, [bin, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    help.stdout!.on("data", (d: Buffer) => {
      text += d.toString();
    });
    await new Promise((resolve) => help.once("exit", resolve));
    expect(text).toContain("--video-subscription-delay-ms");
    expect(text).toContain("ZOOM_SIM_VIDEO_SUBSCRIPTION_DELAY_MS");

    const child = spawn(process.execPath, [bin, "--port", "0", "--video-subscription-delay-ms", "750"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ZOOM_SIM_VIDEO_SUBSCRIPTION_DELAY_MS: "10", LOG_LEVEL: "warn" },
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once("line", resolve);
        child.once("exit", (code) => reject(new Error(`exited with ${code}`)));
      });
      const { urls } = JSON.parse(line) as { urls: { controlBase: string } };
      const state = (await (await fetch(`${urls.controlBase}/state`)).json()) as {
        settings: { videoSubscriptionDelayMs: number };
      };
      expect(state.settings.videoSubscriptionDelayMs).toBe(750);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
