import { describe, expect, it } from "vitest";
import { safePathSegment, truncateUtf8 } from "./safe-path.ts";

const HOSTILE = [
  "..",
  ".",
  "../../etc/passwd",
  "..\\..\\windows\\system32",
  "/absolute",
  "a/b\\c",
  "name\u0000with-nul",
  "tab\tnew\nline\r\u001b[31m",
  ".hidden",
  "...",
  "trailing dots...",
  "CON",
  "nul.txt",
  "com1",
  "LPT9.jpg",
  "x".repeat(1024),
  "é".repeat(600),
  "😀".repeat(300),
  "\ud800lone",
  "right\u202eto-left",
  "   ",
  "",
];

describe("safePathSegment", () => {
  it("keeps ordinary names, spaces inside, other scripts and emoji", () => {
    expect(safePathSegment("Jane Doe")).toBe("Jane Doe");
    expect(safePathSegment("山田 太郎")).toBe("山田 太郎");
    expect(safePathSegment("Room 😀 Cam")).toBe("Room 😀 Cam");
    expect(safePathSegment("a.b")).toBe("a.b");
  });

  it("neutralises separators, traversal, control characters and NUL", () => {
    expect(safePathSegment("../../etc/passwd")).toBe("_._etc_passwd");
    expect(safePathSegment("..\\..\\x")).toBe("_._x");
    expect(safePathSegment("a\u0000b\nc")).toBe("a_b_c");
    expect(safePathSegment(".hidden")).toBe("hidden");
    expect(safePathSegment("..")).toBe("unknown");
    expect(safePathSegment("")).toBe("unknown");
    expect(safePathSegment(undefined)).toBe("unknown");
    expect(safePathSegment(12345)).toBe("12345");
  });

  it("prefixes Windows device names", () => {
    expect(safePathSegment("CON")).toBe("_CON");
    expect(safePathSegment("nul.txt")).toBe("_nul.txt");
    expect(safePathSegment("console")).toBe("console");
  });

  it("bounds length in UTF-8 bytes without splitting a code point", () => {
    const long = safePathSegment("😀".repeat(300));
    expect(Buffer.byteLength(long)).toBe(100);
    expect(long).toBe("😀".repeat(25));
    const accented = safePathSegment("é".repeat(600), 51);
    expect(Buffer.byteLength(accented)).toBe(50);
    expect(accented).toBe("é".repeat(25));
  });

  it.each(HOSTILE)("makes %j one safe, idempotent segment", (name) => {
    const safe = safePathSegment(name);
    expect(safe.length).toBeGreaterThan(0);
    expect(Buffer.byteLength(safe)).toBeLessThanOrEqual(100);
    expect(safe).not.toMatch(/[/\\]/);
    expect([...safe].every((char) => char.codePointAt(0)! >= 0x20)).toBe(true);
    expect(safe.startsWith(".")).toBe(false);
    expect(safe).not.toContain("..");
    expect(safe).not.toMatch(/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i);
    // Well-formed UTF-16: a lone surrogate would not survive a UTF-8 round trip.
    expect(Buffer.from(safe, "utf8").toString("utf8")).toBe(safe);
    expect(safePathSegment(safe)).toBe(safe);
  });
});

describe("truncateUtf8", () => {
  it("returns short text unchanged and cuts long text at a code point boundary", () => {
    expect(truncateUtf8("abc", 10)).toBe("abc");
    expect(truncateUtf8("a😀b", 4)).toBe("a");
    expect(truncateUtf8("a😀b", 5)).toBe("a😀");
  });
});
