// Zoom webhook intake for one team: POST /api/zoom/webhook/<teamId>.
// Order matters, cheapest refusal first, so junk costs almost nothing however much of it arrives:
//   declared size (413) -> team id shape (404) -> signature headers' shape and timestamp window (401),
//   all before the body is read; then the body, bounded while streaming (413); the team's secret (cached,
//   404 for an unknown team); the signature on the RAW bytes (401); nesting depth, counted without
//   recursion (400); JSON shape (400). Only then is Redis touched: the replay guard (one SET NX per
//   signature) and the enqueue, both on the fail-fast producer connection, so a Redis outage answers 503
//   within Zoom's 3 s and Zoom redelivers later. Redeliveries collapse on a dedup id of
//   event + stream id + event_ts; exact resends of one signed request collapse on the replay guard.
import { type Db, decryptSecret, type Keyring, SecretContext } from "@capture/db";
import type { JobQueues } from "@capture/jobs";
import { urlValidationResponse, verifyWebhookSignature } from "@capture/rtms-core/webhook";
import { z } from "zod";
import { AppError, errorResponse } from "~/server/errors.ts";
import { exceedsJsonDepth } from "./json-depth.ts";
import type { ReplayGuard } from "./replay-guard.ts";
import { SecretCache, type SecretCacheOptions } from "./secret-cache.ts";

/** Zoom signs with a timestamp; one more than 300 s from now is refused (docs/webhooks.md). */
export const SIGNATURE_WINDOW_SEC = 300;
/** Zoom's payloads nest 3 or 4 deep; 32 leaves room for new fields and none for a stack-overflow attack. */
export const MAX_JSON_DEPTH = 32;

export interface WebhookDeps {
  db: Db;
  keyring: Keyring;
  queues: Pick<JobQueues, "addZoomEvent">;
  replay: ReplayGuard;
  /** Per-process cache of team secrets; one is made from `db` when absent (tests). */
  secrets?: SecretCache;
  maxBytes: number;
  now?: () => number;
  log: {
    debug?: (o: object, m: string) => void;
    info: (o: object, m: string) => void;
    warn: (o: object, m: string) => void;
    error: (o: object, m: string) => void;
  };
}

const ZoomWebhookBody = z.object({
  event: z.string().min(1).max(200),
  event_ts: z.number().int().nonnegative().optional(),
  payload: z.record(z.string(), z.unknown()).default({}),
});

const UrlValidationPayload = z.object({ plainToken: z.string().min(1).max(1000) });

const TEAM_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Reads at most maxBytes of the body; more is a 413 (checked on the header first, then while streaming). */
export async function readBodyLimited(req: Request, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new AppError("PAYLOAD_TOO_LARGE", `body exceeds ${maxBytes} bytes`);
  }
  if (!req.body) return Buffer.alloc(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new AppError("PAYLOAD_TOO_LARGE", `body exceeds ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** The stream id, wherever this payload shape keeps it (flat, or nested under `object`). */
export function streamIdOf(payload: Record<string, unknown>): string {
  const nested = payload.object as Record<string, unknown> | undefined;
  const id = payload.rtms_stream_id ?? nested?.rtms_stream_id;
  return typeof id === "string" || typeof id === "number" ? String(id) : "";
}

/** The worker's event-WebSocket intake uses the same id, so one event arriving both ways is queued once. */
export function zoomEventDedupId(event: string, payload: Record<string, unknown>, eventTs: number): string {
  return `${event}|${streamIdOf(payload)}|${eventTs}`;
}

/** A SecretCache reading each team's webhook secret from its ZoomApp row (null: no such team or secret). */
export function webhookSecretCache(db: Db, keyring: Keyring, options?: SecretCacheOptions): SecretCache {
  return new SecretCache(async (teamId) => {
    const app = await db.zoomApp.findUnique({ where: { teamId }, select: { webhookSecretTokenEnc: true } });
    if (!app?.webhookSecretTokenEnc) return null;
    return decryptSecret(keyring, app.webhookSecretTokenEnc, SecretContext.webhookSecretToken);
  }, options);
}

const fallbackCaches = new WeakMap<Db, SecretCache>();
function secretsOf(deps: WebhookDeps): SecretCache {
  if (deps.secrets) return deps.secrets;
  let cache = fallbackCaches.get(deps.db);
  if (!cache) {
    cache = webhookSecretCache(deps.db, deps.keyring);
    fallbackCaches.set(deps.db, cache);
  }
  return cache;
}

const SIGNATURE_SHAPE = /^v0=[0-9a-f]{64}$/;
const TIMESTAMP_SHAPE = /^\d{1,12}$/;

/**
 * The signature headers' shape and the timestamp window, checked before the body is read or the database
 * asked: a request failing this could never verify. Returns the signature (the replay guard's key).
 */
function precheckSignatureHeaders(req: Request, nowMs: number): string {
  const ts = req.headers.get("x-zm-request-timestamp")?.trim() ?? "";
  const sig = req.headers.get("x-zm-signature")?.trim().toLowerCase() ?? "";
  const fresh = TIMESTAMP_SHAPE.test(ts) && Math.abs(nowMs / 1000 - Number(ts)) <= SIGNATURE_WINDOW_SEC;
  if (!fresh || !SIGNATURE_SHAPE.test(sig)) {
    throw new AppError("BAD_SIGNATURE", "signature verification failed", {
      reason: fresh ? "malformed_signature" : "missing_or_stale_timestamp",
    });
  }
  return sig;
}

export async function handleZoomWebhook(deps: WebhookDeps, req: Request, teamId: string): Promise<Response> {
  const res = await intake(deps, req, teamId);
  // Every answer here is a few bytes, and none may be cached. no-transform also keeps `next start` from
  // gzipping it: a zlib stream per response was the largest single CPU cost of a 500-event burst.
  res.headers.set("Cache-Control", "no-store, no-transform");
  return res;
}

async function intake(deps: WebhookDeps, req: Request, teamId: string): Promise<Response> {
  const now = deps.now ?? Date.now;
  let claimed: string | undefined;
  try {
    const declared = Number(req.headers.get("content-length") ?? "NaN");
    if (Number.isFinite(declared) && declared > deps.maxBytes) {
      throw new AppError("PAYLOAD_TOO_LARGE", `body exceeds ${deps.maxBytes} bytes`);
    }
    if (!TEAM_ID.test(teamId)) throw new AppError("NOT_FOUND", "unknown webhook endpoint");
    const signature = precheckSignatureHeaders(req, now());
    const rawBody = await readBodyLimited(req, deps.maxBytes);
    const secrets = secretsOf(deps);
    const verify = (secretToken: string) =>
      verifyWebhookSignature({
        secretToken,
        timestampHeader: req.headers.get("x-zm-request-timestamp"),
        signatureHeader: req.headers.get("x-zm-signature"),
        rawBody,
        nowMs: now(),
        toleranceSec: SIGNATURE_WINDOW_SEC,
      });
    let secretToken = await secrets.get(teamId);
    if (!secretToken) throw new AppError("NOT_FOUND", "unknown webhook endpoint");
    let verified = verify(secretToken);
    if (!verified.ok && verified.reason === "signature_mismatch") {
      // Perhaps signed with a secret the team just rotated: the cache reloads it (rate-limited per team).
      const fresh = await secrets.refresh(teamId);
      if (fresh && fresh !== secretToken) {
        secretToken = fresh;
        verified = verify(fresh);
      }
    }
    if (!verified.ok) {
      deps.log.warn({ teamId, reason: verified.reason }, "webhook rejected: signature");
      throw new AppError("BAD_SIGNATURE", "signature verification failed");
    }

    if (exceedsJsonDepth(rawBody, MAX_JSON_DEPTH)) {
      throw new AppError("MALFORMED_BODY", `body nests deeper than ${MAX_JSON_DEPTH} levels`);
    }
    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString("utf8"));
    } catch {
      throw new AppError("MALFORMED_BODY", "body is not JSON");
    }
    const body = ZoomWebhookBody.safeParse(json);
    if (!body.success) throw new AppError("MALFORMED_BODY", "body is not a Zoom event");
    const { event, event_ts: eventTs, payload } = body.data;

    if (event === "endpoint.url_validation") {
      const v = UrlValidationPayload.safeParse(payload);
      if (!v.success) throw new AppError("MALFORMED_BODY", "url_validation without a plainToken");
      return Response.json(urlValidationResponse(secretToken, v.data.plainToken));
    }

    // A resend of this exact signed request within the window: already acted on, so only acknowledged.
    if (!(await deps.replay.claim(teamId, signature))) {
      deps.log.warn({ teamId, event }, "webhook replay ignored");
      return Response.json({ ok: true, duplicate: true });
    }
    claimed = signature;

    const receivedAt = now();
    await deps.queues.addZoomEvent(
      { teamId, source: "webhook", event, eventTs: eventTs ?? receivedAt, payload, receivedAt },
      zoomEventDedupId(event, payload, eventTs ?? receivedAt),
    );
    deps.log.info(
      { teamId, event, rtmsStreamId: streamIdOf(payload) || undefined },
      "webhook event enqueued",
    );
    return Response.json({ ok: true });
  } catch (err) {
    if (err instanceof AppError) {
      // Headers that could never verify are junk anyone can send in bulk: debug, or they would flood the log.
      if (err.code === "BAD_SIGNATURE" && err.details?.reason) {
        deps.log.debug?.({ teamId, reason: err.details.reason }, "webhook rejected: signature headers");
      }
      return errorResponse(err);
    }
    // Best effort and not awaited: the answer must not wait on a Redis that just failed.
    if (claimed) void deps.replay.release(teamId, claimed);
    // Redis down, or the database: 503 makes Zoom redeliver later instead of losing the event.
    deps.log.error({ err, teamId }, "webhook intake failed");
    return Response.json({ error: { code: "UNAVAILABLE", message: "try again" } }, { status: 503 });
  }
}
