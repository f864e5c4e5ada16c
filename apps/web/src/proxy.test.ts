import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { config, proxy } from "./proxy.ts";

const call = (path: string, headers: Record<string, string> = {}) =>
  proxy(new NextRequest(`http://127.0.0.1:3000${path}`, { headers }));

describe("proxy", () => {
  it("answers 404 for NUL in a path and 400 for malformed escapes, on pages and API routes", async () => {
    for (const path of ["/api/frames/%00", "/api/participants/a%00b/zip", "/sessions/%00/participants/x"]) {
      const res = call(path);
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe("NOT_FOUND");
    }
    for (const path of ["/sessions/%E0%A4%A", "/api/frames/%E0%A4%A", "/sessions?before=%00"]) {
      const res = call(path);
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe("VALIDATION");
    }
    // A prefetch does not get around it.
    expect(call("/sessions/%E0%A4%A", { "next-router-prefetch": "1" }).status).toBe(400);
  });

  it("lets good URLs through, with a nonce CSP on pages only", () => {
    const page = call("/sessions/abc");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(/'nonce-[^']+'/);
    const api = call("/api/frames/abc");
    expect(api.status).toBe(200);
    expect(api.headers.get("content-security-policy")).toBeNull();
    expect(call("/sessions", { purpose: "prefetch" }).headers.get("content-security-policy")).toBeNull();
  });

  it("runs for everything but static files and the webhook intake", () => {
    const re = new RegExp(`^${config.matcher[0]!}$`);
    expect(re.test("/api/frames/x")).toBe(true);
    expect(re.test("/sessions/x")).toBe(true);
    expect(re.test("/_next/static/chunk.js")).toBe(false);
    expect(re.test("/api/zoom/webhook/team")).toBe(false);
    expect(config.matcher[1]).toBe("/api/zoom/webhook/:rest(.*%.*)");
    expect(call("/api/zoom/webhook/%E0%A4%A").status).toBe(400);
  });
});
