import { describe, expect, it } from "vitest";
import { createFrameDecider, estimateDecodedBytes, type FrameMeta } from "./decider.ts";
import { FramePolicy } from "./policy.ts";

const frame = (participantKey: string, timestamp: number, extra: Partial<FrameMeta> = {}): FrameMeta => ({
  participantKey,
  timestamp,
  base64Length: 40_000,
  ...extra,
});

describe("seed policy", () => {
  it("skips each participant's first 3 frames and keeps the newest 3, evicting older ones", () => {
    const decider = createFrameDecider(FramePolicy.parse({ kind: "seed" }));
    const decisions = [0, 200, 400, 600, 800, 1000, 1200].map((ts) => decider.decide(frame("alice_1", ts)));
    expect(decisions.slice(0, 3)).toEqual(Array(3).fill({ keep: false, reason: "warmup" }));
    expect(decisions[3]).toEqual({ keep: true, evict: [] });
    expect(decisions[4]).toEqual({ keep: true, evict: [] });
    expect(decisions[5]).toEqual({ keep: true, evict: [] });
    expect(decisions[6]).toEqual({ keep: true, evict: [{ participantKey: "alice_1", timestamp: 600 }] });
    // Another participant has a warm-up of their own.
    expect(decider.decide(frame("bob_2", 1400))).toEqual({ keep: false, reason: "warmup" });
  });

  it("restartWarmup skips the first frames of a new turn and still evicts the oldest kept", () => {
    const decider = createFrameDecider(FramePolicy.parse({ kind: "seed", skipFirst: 2, keepNewest: 2 }));
    const kept = (ts: number) => decider.decide(frame("a", ts));
    expect([1, 2, 3, 4].map(kept).map((d) => d.keep)).toEqual([false, false, true, true]);
    decider.restartWarmup("a");
    expect([10, 11].map(kept)).toEqual([
      { keep: false, reason: "warmup" },
      { keep: false, reason: "warmup" },
    ]);
    expect(kept(12)).toEqual({ keep: true, evict: [{ participantKey: "a", timestamp: 3 }] });
  });

  it("discard undoes a keep whose write failed, restoring frames that were not evicted", () => {
    const decider = createFrameDecider(FramePolicy.parse({ kind: "seed", skipFirst: 0, keepNewest: 2 }));
    decider.decide(frame("a", 1));
    decider.decide(frame("a", 2));
    const failed = decider.decide(frame("a", 3));
    expect(failed).toEqual({ keep: true, evict: [{ participantKey: "a", timestamp: 1 }] });
    if (failed.keep) decider.discard({ participantKey: "a", timestamp: 3 }, failed.evict);
    // Kept are 1 and 2 again, so the next keep evicts 1.
    expect(decider.decide(frame("a", 4))).toEqual({
      keep: true,
      evict: [{ participantKey: "a", timestamp: 1 }],
    });
  });
});

describe("firstN, interval, all", () => {
  it("firstN keeps n frames per participant then reports over_limit", () => {
    const decider = createFrameDecider({ kind: "firstN", n: 2 });
    expect([1, 2, 3].map((ts) => decider.decide(frame("a", ts)))).toEqual([
      { keep: true, evict: [] },
      { keep: true, evict: [] },
      { keep: false, reason: "over_limit" },
    ]);
    expect(decider.decide(frame("b", 4))).toEqual({ keep: true, evict: [] });
  });

  it("interval keeps one frame per everyMs of media time per participant", () => {
    const decider = createFrameDecider({ kind: "interval", everyMs: 1000 });
    const kept = [0, 200, 999, 1000, 1800, 2100, 3000].filter((ts) => decider.decide(frame("a", ts)).keep);
    expect(kept).toEqual([0, 1000, 2100]);
    expect(decider.decide(frame("a", 2500))).toEqual({ keep: false, reason: "interval" });
    // A restarted media clock does not silence the participant.
    expect(decider.decide(frame("a", 5)).keep).toBe(true);
  });

  it("all keeps everything", () => {
    const decider = createFrameDecider({ kind: "all" });
    expect([1, 1, 1].every((ts) => decider.decide(frame("a", ts)).keep)).toBe(true);
  });
});

describe("filters", () => {
  it("minBytes uses length when given, else estimates from the base64 length", () => {
    const decider = createFrameDecider({ kind: "all", minBytes: 1000 });
    expect(decider.decide(frame("a", 1, { length: 999, base64Length: 99_999 }))).toEqual({
      keep: false,
      reason: "too_small",
    });
    expect(decider.decide(frame("a", 2, { base64Length: 1332 })).keep).toBe(false); // 999 bytes
    expect(decider.decide(frame("a", 3, { base64Length: 1336 })).keep).toBe(true); // 1002 bytes
  });

  it("dropDuplicates drops a frame identical to the previous kept one, by its base64 text", () => {
    const decider = createFrameDecider({ kind: "all", dropDuplicates: true });
    const same = "QUJD".repeat(100);
    expect(decider.decide(frame("a", 1, { data: same })).keep).toBe(true);
    expect(decider.decide(frame("a", 2, { data: same }))).toEqual({ keep: false, reason: "duplicate" });
    expect(decider.decide(frame("b", 3, { data: same })).keep).toBe(true);
    expect(decider.decide(frame("a", 4, { data: `${same}QQ==` })).keep).toBe(true);
    expect(decider.decide(frame("a", 5, { data: same })).keep).toBe(true);
  });

  it("counts warm-up frames before filters, and filters before the limit", () => {
    const decider = createFrameDecider({ kind: "seed", skipFirst: 1, keepNewest: 3, minBytes: 10 });
    expect(decider.decide(frame("a", 1, { length: 1 }))).toEqual({ keep: false, reason: "warmup" });
    expect(decider.decide(frame("a", 2, { length: 1 }))).toEqual({ keep: false, reason: "too_small" });
    const firstN = createFrameDecider({ kind: "firstN", n: 1, minBytes: 10 });
    expect(firstN.decide(frame("a", 1, { length: 1 })).keep).toBe(false);
    expect(firstN.decide(frame("a", 2, { length: 100 })).keep).toBe(true);
  });
});

describe("memory bound", () => {
  it("remembers at most maxParticipants, forgetting the least recently seen", () => {
    const decider = createFrameDecider({ kind: "seed", skipFirst: 1, keepNewest: 3 }, { maxParticipants: 2 });
    decider.decide(frame("a", 1));
    decider.decide(frame("b", 1));
    decider.decide(frame("a", 2)); // a is now the most recent
    decider.decide(frame("c", 1)); // evicts b
    expect(decider.participantCount).toBe(2);
    expect(decider.decide(frame("a", 3)).keep).toBe(true);
    expect(decider.decide(frame("b", 2))).toEqual({ keep: false, reason: "warmup" });
    decider.forget("a");
    expect(decider.participantCount).toBe(1);
  });
});

describe("estimateDecodedBytes", () => {
  it("is exact with the text (padding) and close without it", () => {
    expect(estimateDecodedBytes(4, "QQ==")).toBe(1);
    expect(estimateDecodedBytes(4, "QUI=")).toBe(2);
    expect(estimateDecodedBytes(8)).toBe(6);
  });
});
