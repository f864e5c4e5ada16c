import { describe, expect, it } from "vitest";
import { DEFAULT_FRAME_POLICY, FramePolicy, parseFramePolicy } from "./policy.ts";

describe("FramePolicy", () => {
  it("fills the seed defaults", () => {
    expect(FramePolicy.parse({ kind: "seed" })).toEqual({ kind: "seed", skipFirst: 3, keepNewest: 3 });
    expect(
      FramePolicy.parse({ kind: "interval", everyMs: 2000, minBytes: 1500, dropDuplicates: true }),
    ).toEqual({
      kind: "interval",
      everyMs: 2000,
      minBytes: 1500,
      dropDuplicates: true,
    });
  });

  it("treats null and undefined as the seed default", () => {
    expect(parseFramePolicy(null)).toEqual({ ok: true, policy: DEFAULT_FRAME_POLICY });
    expect(parseFramePolicy(undefined)).toEqual({ ok: true, policy: DEFAULT_FRAME_POLICY });
  });

  it.each([
    [{ kind: "sometimes" }, "kind"],
    [{ kind: "firstN" }, "n"],
    [{ kind: "firstN", n: 0 }, "n"],
    [{ kind: "interval", everyMs: 1.5 }, "everyMs"],
    [{ kind: "all", minBytes: -1 }, "minBytes"],
    [{ kind: "all", colour: "red" }, "colour"],
    ["seed", "object"],
  ])("rejects %j with a message naming %s", (input, mention) => {
    const result = parseFramePolicy(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe("INVALID_FRAME_POLICY");
    expect(result.message.toLowerCase()).toContain(mention.toLowerCase());
  });
});
