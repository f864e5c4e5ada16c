import { describe, expect, it } from "vitest";
import { API_CSP, contentSecurityPolicy, staticSecurityHeaders } from "./security-headers.ts";

describe("security headers", () => {
  it("page CSP: scripts only from self or this request's nonce, never framed", () => {
    const csp = contentSecurityPolicy("abc123", false);
    expect(csp).toContain("script-src 'self' 'nonce-abc123' 'strict-dynamic'");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(contentSecurityPolicy("n", true)).toContain("'unsafe-eval'");
  });

  it("static headers and the API policy", () => {
    const h = Object.fromEntries(staticSecurityHeaders().map(({ key, value }) => [key, value]));
    expect(h).toMatchObject({
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "X-Frame-Options": "DENY",
    });
    expect(API_CSP).toBe("default-src 'none'; frame-ancestors 'none'");
  });
});
