// The /api/v1 dispatcher: route match, bearer token, scope, rate limit, Zod validation of path, query and
// body, then the handler; every failure leaves as the one error shape ({ error: { code, message } }).
// The Next catch-all route and the tests' HTTP server both call handleApiRequest, so what the contract
// test walks is what production serves.
import { verifyFrameUrl } from "@capture/jobs";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { z } from "zod";
import { type AppError, AppError as Err, errorResponse, isAppError } from "~/server/errors.ts";
import { validationError } from "~/server/validation.ts";
import { openApiDocument } from "./openapi.ts";
import { takeToken } from "./rate-limit.ts";
import { type ApiDeps, matchRoute } from "./routes.ts";
import { type ApiPrincipal, authenticateBearer, requireScope } from "./tokens.ts";
import type { TokenUsageRecorder } from "./usage.ts";

export const API_BASE = "/api/v1";
const MAX_BODY_BYTES = 64 * 1024;

export interface ApiRuntime extends ApiDeps {
  redis: Redis;
  usage: TokenUsageRecorder;
  rateLimit: { prefix: string; perMinute: number };
  log?: Pick<Logger, "warn" | "error">;
  now?: () => Date;
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });

function fail(e: AppError | unknown, rt: ApiRuntime, headers: Record<string, string> = {}): Response {
  const res = errorResponse(e, rt.log);
  const body =
    isAppError(e) && e.details ? { error: { code: e.code, message: e.message, details: e.details } } : null;
  const out = body ? Response.json(body, { status: res.status }) : res;
  for (const [k, v] of Object.entries(headers)) out.headers.set(k, v);
  out.headers.set("Cache-Control", "no-store");
  return out;
}

function parse<S extends z.ZodType>(schema: S | undefined, raw: unknown, where: string): z.output<S> {
  if (!schema) return undefined as z.output<S>;
  const r = schema.safeParse(raw);
  if (!r.success) {
    const e = validationError(r.error);
    throw new Err("VALIDATION", `${where}: ${e.message}`, e.details);
  }
  return r.data;
}

async function readJson(req: Request): Promise<unknown> {
  if (!(req.headers.get("content-type") ?? "").toLowerCase().startsWith("application/json")) {
    throw new Err("MALFORMED_BODY", "Send a JSON body (Content-Type: application/json)");
  }
  const text = await req.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new Err("PAYLOAD_TOO_LARGE", "The body is too large");
  try {
    return JSON.parse(text);
  } catch {
    throw new Err("MALFORMED_BODY", "The body is not valid JSON");
  }
}

/**
 * A frame.stored download URL acts for the frame's team, for that one frame, until it expires; a bad or
 * expired one is the same 401 as a bad token.
 */
async function signedUrlPrincipal(
  rt: ApiRuntime,
  frameId: string | undefined,
  q: URLSearchParams,
): Promise<ApiPrincipal> {
  const ok =
    frameId !== undefined &&
    verifyFrameUrl(
      rt.keyring,
      frameId,
      { kid: q.get("kid"), exp: q.get("exp"), sig: q.get("sig") },
      rt.now?.().getTime(),
    );
  const frame = ok
    ? await rt.db.frame.findUnique({
        where: { id: frameId },
        select: { session: { select: { teamId: true } } },
      })
    : null;
  if (!frame) throw new Err("UNAUTHENTICATED", "This download URL is invalid or has expired");
  return {
    tokenId: "signed-url",
    teamId: frame.session.teamId,
    teamName: "",
    scopes: ["READ"],
    createdByUserId: null,
  };
}

export async function handleApiRequest(
  req: Request,
  rt: ApiRuntime,
  ip: string | null = null,
): Promise<Response> {
  const url = new URL(req.url);
  const subpath = url.pathname.startsWith(API_BASE) ? url.pathname.slice(API_BASE.length) : url.pathname;
  if (req.method === "GET" && subpath === "/openapi.json") {
    return json(openApiDocument(), 200, { "Cache-Control": "public, max-age=300" });
  }
  let matched: ReturnType<typeof matchRoute>;
  try {
    matched = matchRoute(req.method, subpath);
  } catch {
    return fail(new Err("NOT_FOUND", "No such API route"), rt);
  }
  if (!matched) return fail(new Err("NOT_FOUND", "No such API route"), rt);
  if ("allowed" in matched) {
    return json(
      { error: { code: "METHOD_NOT_ALLOWED", message: `Use ${matched.allowed.join(", ")}` } },
      405,
      {
        Allow: matched.allowed.join(", "),
      },
    );
  }
  const { route, params } = matched;
  let rateHeaders: Record<string, string> = {};
  try {
    const signed = route.signedAccess && url.searchParams.has("sig");
    const principal = signed
      ? await signedUrlPrincipal(rt, params.frameId, url.searchParams)
      : await authenticateBearer(rt.db, req.headers.get("authorization"), rt.now?.());
    if (!signed)
      try {
        const rate = await takeToken(rt.redis, {
          prefix: rt.rateLimit.prefix,
          tokenId: principal.tokenId,
          limit: rt.rateLimit.perMinute,
        });
        rateHeaders = {
          "RateLimit-Limit": String(rate.limit),
          "RateLimit-Remaining": String(rate.remaining),
          "RateLimit-Reset": String(rate.resetSec),
        };
        if (!rate.allowed) {
          return fail(new Err("RATE_LIMITED", "Too many requests for this token"), rt, {
            ...rateHeaders,
            "Retry-After": String(rate.resetSec),
          });
        }
      } catch (err) {
        // Redis away: serve rather than refuse (reads are team-scoped and cheap); the outage is logged.
        rt.log?.warn({ err }, "api rate limiter unavailable; request allowed");
      }
    if (!signed) rt.usage.record(principal.tokenId, principal.teamId, `${route.method} ${route.path}`);
    requireScope(principal, route.scope);
    const body = route.body ? parse(route.body, await readJson(req), "body") : undefined;
    const out = await route.handle({
      principal,
      params: parse(route.params, params, "path") ?? {},
      query: parse(route.query, Object.fromEntries(url.searchParams), "query") ?? {},
      body,
      req,
      deps: rt,
      ip,
    });
    if (out instanceof Response) {
      for (const [k, v] of Object.entries(rateHeaders)) out.headers.set(k, v);
      return out;
    }
    return json(out.json, out.status ?? 200, rateHeaders);
  } catch (err) {
    if (isAppError(err) && err.code === "NOT_FOUND" && Object.keys(rateHeaders).length === 0) {
      return fail(err, rt);
    }
    return fail(err, rt, rateHeaders);
  }
}
