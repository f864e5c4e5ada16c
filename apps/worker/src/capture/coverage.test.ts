import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../logger.ts";
import { Metrics } from "../metrics.ts";
import { SessionCoverage } from "./coverage.ts";

const log = createLogger("silent");
const SEED = { kind: "seed", skipFirst: 3, keepNewest: 3 } as const;

function setup(mode: "EVERYONE" | "SPEAKER") {
  let now = 1_000_000;
  const metrics = new Metrics({ defaultMetrics: false });
  const subscribed: string[] = [];
  const turns: string[] = [];
  const coverage = new SessionCoverage({
    sessionId: "s1",
    mode,
    dwellMs: 60_000,
    policy: SEED,
    subscribe: async (userId) => {
      subscribed.push(userId);
      return { ok: true };
    },
    turnStarted: (userId) => turns.push(userId),
    metrics,
    log,
    now: () => now,
  });
  const gauge = async () =>
    (await metrics.coverage.get()).values.find((v) => v.labels.session_id === "s1")?.value;
  return { coverage, metrics, subscribed, turns, gauge, advance: (ms: number) => (now += ms) };
}

let stop: (() => void) | undefined;
afterEach(() => stop?.());

describe("SessionCoverage", () => {
  it("counts camera-on participants with a kept frame, and times their first frame", async () => {
    const { coverage, metrics, gauge, advance } = setup("SPEAKER");
    stop = () => coverage.stop();
    coverage.videoOn("a");
    coverage.videoOn("b");
    expect(coverage.counts).toEqual({ covered: 0, eligible: 2 });
    expect(await gauge()).toBe(0);
    advance(4_000);
    coverage.kept("a");
    expect(coverage.counts).toEqual({ covered: 0, eligible: 2 }); // held in memory, not yet in the store
    coverage.stored("a");
    coverage.stored("a");
    expect(coverage.counts).toEqual({ covered: 1, eligible: 2 });
    expect(await gauge()).toBe(0.5);
    const ttff = (await metrics.timeToFirstFrame.get()).values.find((v) => v.metricName?.endsWith("_sum"));
    expect(ttff?.value).toBe(4);
    // A participant whose camera was never reported on is not counted against coverage.
    coverage.stored("speaker-without-camera-event");
    expect(coverage.counts).toEqual({ covered: 1, eligible: 2 });
  });

  it("drives the subscription only in EVERYONE mode, restarting warm-up at each turn", async () => {
    const everyone = setup("EVERYONE");
    const speaker = setup("SPEAKER");
    stop = () => {
      everyone.coverage.stop();
      speaker.coverage.stop();
    };
    for (const s of [everyone, speaker]) {
      s.coverage.start();
      s.coverage.videoOn("a");
      s.coverage.videoOn("b");
    }
    await new Promise((r) => setImmediate(r));
    expect(everyone.subscribed).toEqual(["a"]);
    expect(everyone.turns).toEqual(["a"]);
    for (let i = 0; i < SEED.keepNewest; i++) everyone.coverage.kept("a");
    await new Promise((r) => setImmediate(r));
    expect(everyone.subscribed).toEqual(["a", "b"]);
    expect(everyone.turns).toEqual(["a", "b"]);
    expect(speaker.subscribed).toEqual([]);
  });

  it("resumes with covered participants counted and the uncovered served first", async () => {
    const { coverage, subscribed } = setup("EVERYONE");
    stop = () => coverage.stop();
    coverage.restore([
      { userId: "a", videoOn: true, everOn: true, keptFrames: 3 },
      { userId: "b", videoOn: true, everOn: true, keptFrames: 0 },
    ]);
    expect(coverage.counts).toEqual({ covered: 1, eligible: 2 });
    coverage.start();
    await new Promise((r) => setImmediate(r));
    expect(subscribed).toEqual(["b"]);
  });
});
