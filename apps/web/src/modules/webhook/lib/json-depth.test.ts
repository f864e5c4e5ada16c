import { describe, expect, it } from "vitest";
import { exceedsJsonDepth } from "./json-depth.ts";

const bytes = (s: string) => Buffer.from(s, "utf8");
const nested = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;

describe("exceedsJsonDepth", () => {
  it("counts objects and arrays, allowing exactly the limit", () => {
    expect(exceedsJsonDepth(bytes(nested(3)), 3)).toBe(false);
    expect(exceedsJsonDepth(bytes(nested(4)), 3)).toBe(true);
    expect(exceedsJsonDepth(bytes("[[[[1]]]]"), 3)).toBe(true);
    expect(exceedsJsonDepth(bytes('{"a":[{"b":[]}]}'), 4)).toBe(false);
    expect(exceedsJsonDepth(bytes('{"a":[{"b":[]}]}'), 3)).toBe(true);
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    expect(exceedsJsonDepth(bytes(JSON.stringify({ s: "[[[[{{{{" })), 1)).toBe(false);
    expect(exceedsJsonDepth(bytes(JSON.stringify({ s: 'x\\"[[[["' })), 1)).toBe(false);
    expect(exceedsJsonDepth(bytes(JSON.stringify({ s: "\\", t: [[1]] })), 2)).toBe(true);
  });

  it("scans a million levels without recursion", () => {
    expect(exceedsJsonDepth(bytes("[".repeat(1_000_000)), 32)).toBe(true);
    expect(exceedsJsonDepth(bytes(nested(32)), 32)).toBe(false);
  });
});
