// Security headers. The per-request CSP (with a script nonce) is set by src/proxy.ts for pages; these static
// headers go on every response, API routes and images included. Kept in one place so the proxy, next.config
// and the tests agree.

export function staticSecurityHeaders(): { key: string; value: string }[] {
  return [
    { key: "X-Content-Type-Options", value: "nosniff" },
    { key: "Referrer-Policy", value: "no-referrer" },
    { key: "X-Frame-Options", value: "DENY" },
    { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
    { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
  ];
}

/**
 * The page CSP. Scripts only from our origin or carrying this request's nonce (Next adds it to its own
 * scripts). Styles allow inline attributes because the chart library sets `style=` on SVG elements.
 */
export function contentSecurityPolicy(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** API responses never render HTML: nothing may run, nothing may frame them. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";
