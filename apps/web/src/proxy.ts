// Runs before routing, for pages and API routes alike:
// 1. URLs that no route can serve safely are refused here, once for every route: percent escapes that do
//    not decode (`/sessions/%E0%A4%A`: 400) and control characters such as NUL (`/api/frames/%00`: 404),
//    which would otherwise reach Postgres and fail the query with a 500.
// 2. Pages get a per-request Content-Security-Policy with a fresh script nonce (Next applies it to its own
//    scripts); API routes and prefetches keep the static one. Static headers (nosniff, referrer policy,
//    frame options) come from next.config.ts for every response.
import { type NextRequest, NextResponse } from "next/server";
import { contentSecurityPolicy } from "./server/security-headers.ts";
import { refusedUrl } from "./server/validation.ts";

function isPrefetch(request: NextRequest): boolean {
  return request.headers.has("next-router-prefetch") || request.headers.get("purpose") === "prefetch";
}

export function proxy(request: NextRequest) {
  const refused = refusedUrl(request.nextUrl.pathname, request.nextUrl.search);
  if (refused) {
    const code = refused.status === 404 ? "NOT_FOUND" : "VALIDATION";
    return NextResponse.json({ error: { code, message: refused.reason } }, { status: refused.status });
  }
  if (request.nextUrl.pathname.startsWith("/api/") || isPrefetch(request)) return NextResponse.next();

  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const csp = contentSecurityPolicy(nonce, process.env.NODE_ENV === "development");
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("Content-Security-Policy", csp);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("Content-Security-Policy", csp);
  return response;
}

export const config = {
  matcher: [
    // Everything but Next's own static files (which carry no ids) and the webhook intake: a proxy that
    // runs makes Next buffer the request body for it, and the webhook reads its body itself, bounded.
    "/((?!_next/static|_next/image|favicon.ico|api/zoom/webhook/).*)",
    // ...except webhook URLs with an escape in them (no team id has one), which Next would otherwise fail
    // to decode with a 500 before the webhook's own 404 for a bad team id.
    "/api/zoom/webhook/:rest(.*%.*)",
  ],
};
