import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startZoomSim, type ZoomSim, ZoomSimError } from "../src/index.ts";
import { loadScenarioFile, parseDuration, parseScenario, runScenario } from "../src/scenario/index.ts";
import { appToken, TestSocket } from "./helpers.ts";

function errorOf(fn: () => unknown): ZoomSimError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ZoomSimError) return err;
    throw err;
  }
  throw new Error("expected a ZoomSimError");
}

describe("scenario files", () => {
  it("parses durations", () => {
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration(2)).toBe(2000);
    expect(parseDuration("soon")).toBeUndefined();
  });

  it("loads the shipped demo scenario: 8 people (6 silent), 2 joinable rooms, a loop, ~30 minutes", async () => {
    const path = fileURLToPath(new URL("../scenarios/demo.yaml", import.meta.url));
    const s = await loadScenarioFile(path);
    expect(s.participants).toHaveLength(8);
    // Most never speak: only individual-video coverage gets their pictures.
    const speakers = new Set(s.timeline.map((t) => t.speaker).filter(Boolean));
    expect(s.participants.filter((p) => !speakers.has(p.name))).toHaveLength(6);
    // One camera comes on late.
    expect(s.participants.filter((p) => p.camera === false)).toHaveLength(1);
    expect(s.rooms.filter((r) => r.status === "Available")).toHaveLength(2);
    expect(s.duration).toBe(30 * 60_000);
    expect(s.timeline.some((t) => t.camera?.on === false)).toBe(true);
    expect(new Set(s.timeline.filter((t) => t.speaker).map((t) => t.speaker)).size).toBeGreaterThanOrEqual(3);
  });

  it("reports YAML syntax errors with the source name", () => {
    const err = errorOf(() => parseScenario("meeting: [unclosed", "bad.yaml"));
    expect(err.code).toBe("SCENARIO_INVALID");
    expect(err.message).toContain("bad.yaml");
  });

  it("reports schema errors with their path", () => {
    const err = errorOf(() =>
      parseScenario({ meeting: { number: "12" }, timeline: [{ at: "soon", speaker: "x" }] }, "s.json"),
    );
    expect(err.message).toContain("meeting.number");
    expect(err.message).toContain("not a duration");
  });

  it("rejects steps with no action or two, unknown names, unknown keys and a loop shorter than the timeline", () => {
    const base = { meeting: { number: "81234567890" }, participants: [{ name: "Alice" }] };
    expect(errorOf(() => parseScenario({ ...base, timeline: [{ at: 1 }] })).message).toContain(
      "exactly one action",
    );
    expect(
      errorOf(() => parseScenario({ ...base, timeline: [{ at: 1, speaker: "Alice", leave: "Alice" }] }))
        .message,
    ).toContain("exactly one action");
    expect(
      errorOf(() => parseScenario({ ...base, timeline: [{ at: 1, speaker: "Zed" }] })).message,
    ).toContain('"Zed"');
    expect(errorOf(() => parseScenario({ ...base, colour: "red" })).message).toContain("colour");
    expect(
      errorOf(() => parseScenario({ ...base, timeline: [{ at: 10, speaker: "Alice" }], loop: 5 })).message,
    ).toContain("loop");
    expect(
      errorOf(() => parseScenario({ ...base, timeline: [{ at: 1, fault: { type: "explode" } }] })).message,
    ).toContain("fault");
  });
});

describe("running a scenario", () => {
  let sim: ZoomSim;
  afterEach(() => sim.close());

  it("waits for a consumer before rtms_started, then plays the timeline", async () => {
    sim = await startZoomSim();
    const scenario = parseScenario(`
meeting: { number: "81234567890", passcode: "1" }
rooms: [{ id: r1, name: "Board Room" }]
participants: [{ name: Alice }, { name: Bob, camera: false }]
timeline:
  - { at: 0s, speaker: Bob }
  - { at: 100ms, camera: { participant: Bob, on: true } }
  - { at: 150ms, join: { name: Carol } }
  - { at: 200ms, speaker: "Board Room" }
  - { at: 250ms, fault: { type: rate-limit, count: 1 } }
`);
    const run = runScenario(sim, scenario);
    expect(sim.rooms.get("r1")?.name).toBe("Board Room");
    await new Promise((r) => setTimeout(r, 100));
    expect(sim.streams.size).toBe(0); // nobody listening yet: the event would be lost
    const ws = new TestSocket(`${sim.urls.eventWs}&access_token=${await appToken(sim)}`);
    const msg = await ws.next((m) => m.module === "message");
    expect(JSON.parse(msg.content as string).event).toBe("meeting.rtms_started");
    await new Promise((r) => setTimeout(r, 400));
    // "Board Room" never joined (nobody called the Rooms API): that step is skipped, Bob still speaks.
    expect(run.meeting.activeSpeaker?.name).toBe("Bob");
    expect(run.meeting.find("Bob")?.camera).toBe(true);
    expect(run.meeting.find("Carol")).toBeDefined();
    // The rate-limit fault step ran: the next REST call is a 429.
    expect(sim.faults.takeRateLimit()).toBeDefined();
    run.stop();
    ws.close();
  });
});
