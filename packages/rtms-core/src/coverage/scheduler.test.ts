import { describe, expect, it } from "vitest";
import { ManualClock } from "../session/clock.ts";
import { type CoverageEvent, CoverageScheduler, type SubscribeOutcome } from "./scheduler.ts";

/** A scheduler whose msg 28 answers are scripted per user (default OK), with every request recorded. */
function setup(
  opts: {
    slots?: number;
    dwellMs?: number;
    framesPerTurn?: number;
    answers?: Record<string, SubscribeOutcome>;
  } = {},
) {
  const clock = new ManualClock();
  const requests: string[] = [];
  const events: CoverageEvent[] = [];
  const answers = opts.answers ?? {};
  const scheduler = new CoverageScheduler({
    subscribe: async (userId) => {
      requests.push(userId);
      return answers[userId] ?? { ok: true };
    },
    slots: opts.slots,
    dwellMs: opts.dwellMs ?? 1_000,
    framesPerTurn: opts.framesPerTurn,
    clock,
    onEvent: (e) => events.push(e),
  });
  /** msg 29 answers arrive as promise callbacks: let them run. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  const tick = async (ms: number) => {
    clock.advance(ms);
    await settle();
  };
  return { scheduler, clock, requests, events, settle, tick };
}

describe("CoverageScheduler", () => {
  it("serves every camera-on participant once per cycle, the never-served first", async () => {
    const { scheduler, requests, settle, tick } = setup();
    scheduler.start();
    for (const id of ["a", "b", "c"]) scheduler.videoOn(id);
    await settle();
    await tick(1_000);
    await tick(1_000);
    expect(requests).toEqual(["a", "b", "c"]);
    await tick(1_000);
    expect(requests).toEqual(["a", "b", "c", "a"]);
  });

  it("never subscribes a participant whose camera is off", async () => {
    const { scheduler, requests, settle, tick } = setup();
    scheduler.start();
    scheduler.videoOn("a");
    scheduler.videoOn("b");
    scheduler.videoOff("b");
    await settle();
    for (let i = 0; i < 5; i++) await tick(1_000);
    expect(new Set(requests)).toEqual(new Set(["a"]));
    // Alone, "a" keeps the subscription: no re-subscription that Zoom would answer with 44.
    expect(requests).toEqual(["a"]);
  });

  it("puts the participants with the fewest kept frames first, so a late camera is next", async () => {
    const { scheduler, requests, settle, tick } = setup();
    scheduler.start();
    scheduler.videoOn("a");
    scheduler.videoOn("b");
    await settle();
    for (let i = 0; i < 3; i++) scheduler.frameKept("a");
    await tick(1_000); // a -> b
    for (let i = 0; i < 3; i++) scheduler.frameKept("b");
    scheduler.videoOn("late");
    await tick(1_000);
    expect(requests).toEqual(["a", "b", "late"]);
  });

  it("ends a turn at once when the camera goes off or the participant leaves", async () => {
    const { scheduler, requests, events, settle } = setup({ dwellMs: 60_000 });
    scheduler.start();
    for (const id of ["a", "b", "c"]) scheduler.videoOn(id);
    await settle();
    scheduler.videoOff("a");
    await settle();
    scheduler.left("b");
    await settle();
    expect(requests).toEqual(["a", "b", "c"]);
    expect(
      events.filter((e) => e.type === "turn_ended").map((e) => e.type === "turn_ended" && e.why),
    ).toEqual(["video_off", "left"]);
    expect(scheduler.queue).toEqual([]);
    expect(scheduler.subscribed).toEqual(["c"]);
  });

  it("ends a turn early once it kept enough frames", async () => {
    const { scheduler, requests, settle } = setup({ dwellMs: 60_000, framesPerTurn: 2 });
    scheduler.start();
    scheduler.videoOn("a");
    scheduler.videoOn("b");
    await settle();
    scheduler.frameKept("a");
    expect(requests).toEqual(["a"]);
    scheduler.frameKept("a");
    await settle();
    expect(requests).toEqual(["a", "b"]);
  });

  it("skips a participant Zoom does not know (status 4) and one refused otherwise, without stalling", async () => {
    const { scheduler, requests, events, settle, tick } = setup({
      answers: {
        ghost: { ok: false, kind: "refused", statusCode: 4, reason: "invalid payload" },
        odd: { ok: false, kind: "refused", statusCode: 45, reason: "internal exception" },
      },
    });
    scheduler.start();
    for (const id of ["ghost", "odd", "c"]) scheduler.videoOn(id);
    await settle();
    // Both refusals are handled without waiting a dwell: "c" is subscribed right away.
    expect(requests).toEqual(["ghost", "odd", "c"]);
    expect(
      events.filter((e) => e.type === "refused").map((e) => e.type === "refused" && e.statusCode),
    ).toEqual([4, 45]);
    await tick(1_000);
    // "ghost" is never asked again; "odd" is asked again (refused again) and "c" takes the slot back.
    expect(requests).toEqual(["ghost", "odd", "c", "odd", "c"]);
    scheduler.frameKept("c");
    await tick(1_000);
    expect(requests.filter((r) => r === "ghost")).toHaveLength(1);
    // A camera that comes on again is a new chance, even for a participant Zoom did not know.
    scheduler.videoOff("ghost");
    scheduler.videoOn("ghost");
    await tick(1_000);
    expect(requests.filter((r) => r === "ghost")).toHaveLength(2);
  });

  it("asks a refused participant again once per cycle, not never and not first", async () => {
    const { scheduler, requests, settle, tick } = setup({
      answers: { odd: { ok: false, kind: "refused", statusCode: 45 } },
    });
    scheduler.start();
    for (const id of ["odd", "a", "b"]) scheduler.videoOn(id);
    await settle();
    for (let i = 0; i < 6; i++) {
      await tick(1_000);
      scheduler.frameKept(scheduler.subscribed[0]!);
    }
    // a and b take turns; odd is tried again each time both were served since its last try (and its
    // refusal hands the slot on at once, without a dwell).
    expect(requests).toEqual(["odd", "a", "b", "odd", "a", "b", "odd", "a", "b", "odd", "a"]);
  });

  it("treats 44 (already subscribed) as a turn that is running", async () => {
    const { scheduler, events, settle } = setup({
      answers: { a: { ok: false, kind: "refused", statusCode: 44, reason: "duplicate video subscription" } },
    });
    scheduler.start();
    scheduler.videoOn("a");
    await settle();
    expect(events).toEqual([{ type: "subscribed", userId: "a", slot: 0, previous: undefined }]);
  });

  it("retries the same turn when signaling does not answer, then moves on", async () => {
    const answers: Record<string, SubscribeOutcome> = {
      a: { ok: false, kind: "unavailable", message: "down" },
    };
    const { scheduler, requests, settle, tick } = setup({ answers });
    scheduler.start();
    scheduler.videoOn("a");
    scheduler.videoOn("b");
    await settle();
    expect(requests).toEqual(["a"]);
    delete answers.a;
    await tick(1_000); // the retry, after the reconnect
    expect(requests).toEqual(["a", "a"]);
    await tick(1_000);
    expect(requests).toEqual(["a", "a", "b"]);
  });

  it("resumes from restored state: covered participants wait behind those with no frames yet", async () => {
    const { scheduler, requests, settle } = setup({ slots: 1 });
    scheduler.restore([
      { userId: "a", videoOn: true, keptFrames: 3 },
      { userId: "b", videoOn: true, keptFrames: 0 },
      { userId: "off", videoOn: false, keptFrames: 0 },
    ]);
    scheduler.start();
    await settle();
    expect(requests).toEqual(["b"]);
  });

  it("fills a pool of several slots with different participants", async () => {
    const { scheduler, settle, tick } = setup({ slots: 2 });
    scheduler.start();
    for (const id of ["a", "b", "c"]) scheduler.videoOn(id);
    await settle();
    expect(scheduler.subscribed).toEqual(["a", "b"]);
    await tick(1_000);
    expect(new Set(scheduler.subscribed)).toEqual(new Set(["c", "a"]));
  });

  it("ignores an answer that arrives after its turn was taken away", async () => {
    let release: (o: SubscribeOutcome) => void = () => {};
    const clock = new ManualClock();
    const requests: string[] = [];
    const scheduler = new CoverageScheduler({
      subscribe: (userId) => {
        requests.push(userId);
        return userId === "slow" ? new Promise((r) => (release = r)) : Promise.resolve({ ok: true });
      },
      clock,
    });
    scheduler.start();
    scheduler.videoOn("slow");
    scheduler.videoOn("b");
    scheduler.videoOff("slow"); // while msg 28 for "slow" is in flight
    await Promise.resolve();
    expect(scheduler.subscribed).toEqual(["b"]);
    release({ ok: true });
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(scheduler.subscribed).toEqual(["b"]);
    expect(requests).toEqual(["slow", "b"]);
  });
});
