// Zoom webhook intake for one team: POST /api/zoom/webhook/<teamId>.
// Order matters: size first (413, without buffering an unbounded body), then the team's secret (404 for
// an unknown team), then the signature on the RAW bytes (401), then JSON shape (400). Only a verified,
// well-formed event is enqueued; the response goes out as soon as Redis has it (Zoom wants < 3 s), and
// the worker does the rest. Redeliveries collapse on a dedup id of event + stream id + event_ts.
import { type Db, decryptSecret, type Keyring, SecretContext } from "@capture/db";
import type { JobQueues } from "@capture/jobs";
import { urlValidationResponse, verifyWebhookSignature } from "@capture/rtms-core/webhook";
import { z } from "zod";
import { AppError, errorResponse } from "~/server/errors.ts";

export const SIGNATURE_WINDOW_SEC = 300;

export interface WebhookDeps {
  db: Db;
  keyring: Keyring;
  queues: Pick<JobQueues, "addZoomEvent">;
  maxBytes: number;
  now?: () => number;
  log: {
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

async function webhookSecret(deps: WebhookDeps, teamId: string): Promise<string> {
  if (!TEAM_ID.test(teamId)) throw new AppError("NOT_FOUND", "unknown webhook endpoint");
  const app = await deps.db.zoomApp.findUnique({
    where: { teamId },
    select: { webhookSecretTokenEnc: true },
  });
  if (!app?.webhookSecretTokenEnc) throw new AppError("NOT_FOUND", "unknown webhook endpoint");
  return decryptSecret(deps.keyring, app.webhookSecretTokenEnc, SecretContext.webhookSecretToken);
}

export async function handleZoomWebhook(deps: WebhookDeps, req: Request, teamId: string): Promise<Response> {
  const now = deps.now ?? Date.now;
  try {
    const rawBody = await readBodyLimited(req, deps.maxBytes);
    const secretToken = await webhookSecret(deps, teamId);
    const verified = verifyWebhookSignature({
      secretToken,
      timestampHeader: req.headers.get("x-zm-request-timestamp"),
      signatureHeader: req.headers.get("x-zm-signature"),
      rawBody,
      nowMs: now(),
      toleranceSec: SIGNATURE_WINDOW_SEC,
    });
    if (!verified.ok) {
      deps.log.warn({ teamId, reason: verified.reason }, "webhook rejected: signature");
      throw new AppError("BAD_SIGNATURE", "signature verification failed");
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
    if (err instanceof AppError) return errorResponse(err);
    // Redis down, or the database: 503 makes Zoom redeliver later instead of losing the event.
    deps.log.error({ err, teamId }, "webhook intake failed");
    return Response.json({ error: { code: "UNAVAILABLE", message: "try again" } }, { status: 503 });
  }
}
