import { describe, expect, it } from "vitest";
import { FloodGuard, LogSampler, sampledLibraryLogger } from "./protocol-guard.ts";

describe("protocol guard", () => {
  it("logs the first five of a kind, then one in every thousand", () => {
    const sampler = new LogSampler();
    const logged = Array.from({ length: 3000 }, () => sampler.take("k")).filter((n) => n > 0);
    expect(logged).toEqual([1, 2, 3, 4, 5, 1000, 2000, 3000]);
    expect(sampler.take("other")).toBe(1);
  });

  it("passes rtms-core's per-message warnings through the sampler, everything else as is", () => {
    const lines: [string, unknown][] = [];
    const base = {
      trace: () => {},
      debug: () => {},
      info: (o: unknown, m?: string) => void lines.push([m ?? String(o), o]),
      warn: (o: unknown, m?: string) => void lines.push([m ?? String(o), o]),
      error: (o: unknown, m?: string) => void lines.push([m ?? String(o), o]),
      child() {
        return this;
      },
    };
    const log = sampledLibraryLogger(base, new LogSampler(), new Set(["bad message on media socket"]));
    const child = log.child({ socket: "media" });
    for (let i = 0; i < 100; i++) child.warn({ code: "MALFORMED_JSON" }, "bad message on media socket");
    child.warn({ code: 1 }, "media socket dropped");
    child.info("connected");
    expect(lines.filter(([m]) => m === "bad message on media socket")).toHaveLength(5);
    expect(lines.map(([m]) => m).slice(-2)).toEqual(["media socket dropped", "connected"]);
    expect(lines[0]![1]).toMatchObject({ code: "MALFORMED_JSON", occurrence: 1 });
  });

  it("trips after more than the limit within one window, not across windows", () => {
    let now = 0;
    const guard = new FloodGuard({ maxErrors: 3, windowMs: 1000 }, () => now);
    expect([guard.record(), guard.record(), guard.record()]).toEqual([false, false, false]);
    now = 1500;
    expect([guard.record(), guard.record(), guard.record()]).toEqual([false, false, false]);
    expect(guard.record()).toBe(true);
  });
});
