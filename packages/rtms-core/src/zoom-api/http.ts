// The pieces of HTTP handling shared by the token sources and the REST client: injectable dependencies,
// reading Zoom's error bodies into a ZoomApiError, Retry-After and backoff arithmetic.
import { z } from "zod";
import { type Logger, silentLogger } from "../logger.ts";
import { codeForStatus, ZoomApiError } from "./errors.ts";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** What every client here lets a caller (or a test) replace. */
export interface HttpDeps {
  fetch?: FetchLike;
  /** Milliseconds since the epoch; defaults to Date.now. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Returns a number in [0, 1); used for jitter. Defaults to Math.random. */
  random?: () => number;
  logger?: Logger;
  /** Per-request timeout; a timeout is reported as ZOOM_NETWORK. Default 15 s. */
  timeoutMs?: number;
}

export interface ResolvedHttpDeps {
  fetch: FetchLike;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  logger: Logger;
  timeoutMs: number;
}

export function resolveHttpDeps(deps: HttpDeps): ResolvedHttpDeps {
  return {
    fetch: deps.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    clock: deps.clock ?? Date.now,
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: deps.random ?? Math.random,
    logger: deps.logger ?? silentLogger,
    timeoutMs: deps.timeoutMs ?? 15_000,
  };
}

/** `{code, message, errors}` from the REST API, `{reason, error}` from OAuth: all optional, all tolerated. */
const ZoomErrorBody = z.looseObject({
  code: z.coerce.number().int().optional().catch(undefined),
  message: z.string().optional().catch(undefined),
  reason: z.string().optional().catch(undefined),
  error: z.string().optional().catch(undefined),
  errors: z
    .array(z.looseObject({ field: z.string().optional(), message: z.string().optional() }))
    .optional()
    .catch(undefined),
});

/**
 * Retry-After is either delta-seconds or an HTTP date. Returns milliseconds to wait, or undefined when the
 * header is absent or unreadable (the caller then backs off exponentially).
 */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // An HTTP date always names a weekday/month; without letters Date.parse would read "-3" as a year.
  const date = /[a-z]/i.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

export interface BackoffOptions {
  /** First delay; doubles per attempt. Default 1000 ms. */
  baseMs?: number;
  /** Upper bound of one delay. Default 30 000 ms. */
  maxMs?: number;
}

/** Exponential backoff with "equal jitter": half the delay fixed, half random, so bursts spread out. */
export function backoffDelayMs(attempt: number, random: () => number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 1000;
  const max = options.maxMs ?? 30_000;
  const delay = Math.min(max, base * 2 ** attempt);
  return Math.round(delay / 2 + random() * (delay / 2));
}

/** Reads a non-2xx response into a typed error. Never throws on an unreadable body. */
export async function errorFromResponse(res: Response, what: string, nowMs: number): Promise<ZoomApiError> {
  const text = await res.text().catch(() => "");
  let body: z.infer<typeof ZoomErrorBody> = {};
  try {
    body = ZoomErrorBody.parse(JSON.parse(text));
  } catch {
    // Not JSON (a proxy's HTML page, an empty 5xx): the status alone decides.
  }
  const zoomMessage = body.message ?? body.reason ?? body.error;
  const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), nowMs);
  const code = codeForStatus(res.status);
  const suffix = zoomMessage ? `: ${zoomMessage}` : "";
  return new ZoomApiError(code, `${what} failed with HTTP ${res.status}${suffix}`, {
    status: res.status,
    zoomCode: body.code,
    zoomMessage,
    fieldErrors: body.errors,
    retryAfterMs,
  });
}

/** Runs fetch with a timeout; network failures and timeouts become ZOOM_NETWORK. */
export async function fetchWithTimeout(
  deps: ResolvedHttpDeps,
  url: string,
  init: RequestInit,
  what: string,
): Promise<Response> {
  try {
    return await deps.fetch(url, { ...init, signal: AbortSignal.timeout(deps.timeoutMs) });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === "TimeoutError";
    const reason = timedOut ? `timed out after ${deps.timeoutMs} ms` : "network error";
    return Promise.reject(new ZoomApiError("ZOOM_NETWORK", `${what}: ${reason}`, { cause: error }));
  }
}

/** Parses a JSON body against a schema; anything else is ZOOM_BAD_RESPONSE (not retried: Zoom changed). */
export async function readJson<T>(res: Response, schema: z.ZodType<T>, what: string): Promise<T> {
  const text = await res.text().catch(() => "");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ZoomApiError("ZOOM_BAD_RESPONSE", `${what}: response is not JSON`, {
      status: res.status,
      cause,
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ZoomApiError(
      "ZOOM_BAD_RESPONSE",
      `${what}: unexpected response shape: ${z.prettifyError(parsed.error)}`,
      {
        status: res.status,
        cause: parsed.error,
      },
    );
  }
  return parsed.data;
}
