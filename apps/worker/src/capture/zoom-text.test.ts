import { describe, expect, it } from "vitest";
import { dbText } from "./db-text.ts";
import { cleanName, cleanReason, idRefusal, MAX_ID_CHARS, usableTimestamp } from "./zoom-text.ts";

describe("the Zoom-text boundary", () => {
  it("refuses ids that are not clean, and never rewrites one", () => {
    expect(idRefusal("16778240")).toBeUndefined();
    expect(idRefusal("user-é-😀")).toBeUndefined();
    expect(idRefusal("16778240\u0000")).toBe("control_char");
    expect(idRefusal("a\nb")).toBe("control_char");
    expect(idRefusal("a\u0085")).toBe("control_char");
    expect(idRefusal("a\uD800")).toBe("bad_utf16");
    expect(idRefusal("\uDC00a")).toBe("bad_utf16");
    expect(idRefusal("")).toBe("empty");
    expect(idRefusal("1".repeat(MAX_ID_CHARS))).toBeUndefined();
    expect(idRefusal("1".repeat(MAX_ID_CHARS + 1))).toBe("too_long");
  });

  it("cleans names and reasons: NUL and lone surrogates removed, pairs kept, length bounded", () => {
    expect(cleanName("Al\u0000ice")).toBe("Alice");
    expect(cleanName("a\uD800b\uDFFFc")).toBe("abc");
    expect(cleanName("😀 ok")).toBe("😀 ok");
    expect(cleanName(undefined)).toBeUndefined();
    expect(cleanName("x".repeat(10_000))).toHaveLength(256);
    expect(cleanReason("r\u0000".repeat(2000))).toHaveLength(512);
    // A cut never leaves half a surrogate pair behind.
    const cut = dbText(`${"x".repeat(9)}😀`, 10);
    expect(cut).toBe("x".repeat(9));
  });

  it("takes only non-negative safe-integer timestamps", () => {
    expect(usableTimestamp(0)).toBe(true);
    expect(usableTimestamp(1_733_000_000_000)).toBe(true);
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60, "5", undefined])
      expect(usableTimestamp(bad)).toBe(false);
  });
});
