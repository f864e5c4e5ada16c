// Zoom webhook signatures: "v0=" + hex(HMAC-SHA256(secretToken, "v0:" + timestamp + ":" + rawBody)),
// computed over the body's raw bytes (never a re-serialised JSON), compared in constant time.
import { createHmac, timingSafeEqual } from "node:crypto";

export type WebhookRejectReason =
  | "missing_secret"
  | "missing_timestamp"
  | "malformed_timestamp"
  | "stale_timestamp"
  | "future_timestamp"
  | "missing_signature"
  | "malformed_signature"
  | "signature_mismatch";

export type WebhookVerification =
  | { ok: true; timestampSec: number }
  | { ok: false; reason: WebhookRejectReason; message: string };

export interface VerifyWebhookOptions {
  secretToken: string;
  /** The `x-zm-request-timestamp` header (seconds). */
  timestampHeader: string | string[] | null | undefined;
  /** The `x-zm-signature` header. */
  signatureHeader: string | string[] | null | undefined;
  /** The request body exactly as received. */
  rawBody: Buffer | string;
  /** Defaults to Date.now(). */
  nowMs?: number;
  /** Largest accepted distance between the timestamp and now. Default 300 s. */
  toleranceSec?: number;
}

const SIGNATURE = /^v0=[0-9a-f]{64}$/;

function hmacHex(secret: string, ...parts: (string | Buffer)[]): string {
  const hmac = createHmac("sha256", secret);
  for (const part of parts) hmac.update(part);
  return hmac.digest("hex");
}

/** The `x-zm-signature` value for a body sent at `timestampSec` (used by the simulator and tests). */
export function signWebhook(
  secretToken: string,
  timestampSec: number | string,
  rawBody: Buffer | string,
): string {
  return `v0=${hmacHex(secretToken, `v0:${timestampSec}:`, rawBody)}`;
}

/** Answer to `endpoint.url_validation`: send it back as JSON with HTTP 200. */
export function urlValidationResponse(
  secretToken: string,
  plainToken: string,
): { plainToken: string; encryptedToken: string } {
  return { plainToken, encryptedToken: hmacHex(secretToken, plainToken) };
}

function single(header: string | string[] | null | undefined): string | undefined | null {
  if (Array.isArray(header)) return header.length === 1 ? header[0] : null;
  return header ?? undefined;
}

export function verifyWebhookSignature(options: VerifyWebhookOptions): WebhookVerification {
  const { secretToken, rawBody, toleranceSec = 300 } = options;
  const reject = (reason: WebhookRejectReason, message: string): WebhookVerification => ({
    ok: false,
    reason,
    message,
  });
  if (!secretToken) return reject("missing_secret", "no webhook secret token is configured");

  const timestamp = single(options.timestampHeader);
  if (timestamp === undefined || timestamp === "")
    return reject("missing_timestamp", "x-zm-request-timestamp is missing");
  if (timestamp === null || !/^\d{1,12}$/.test(timestamp.trim())) {
    return reject("malformed_timestamp", "x-zm-request-timestamp is not a number of seconds");
  }
  const timestampSec = Number(timestamp.trim());
  const nowSec = (options.nowMs ?? Date.now()) / 1000;
  if (nowSec - timestampSec > toleranceSec) return reject("stale_timestamp", "webhook timestamp is too old");
  if (timestampSec - nowSec > toleranceSec)
    return reject("future_timestamp", "webhook timestamp is in the future");

  const signature = single(options.signatureHeader);
  if (signature === undefined || signature === "")
    return reject("missing_signature", "x-zm-signature is missing");
  const given = signature === null ? "" : signature.trim().toLowerCase();
  if (!SIGNATURE.test(given)) return reject("malformed_signature", "x-zm-signature is not v0=<64 hex>");

  // Sign the header's own text, so "0042" and "42" stay different messages, as they are for Zoom.
  const expected = Buffer.from(signWebhook(secretToken, timestamp.trim(), rawBody), "utf8");
  const actual = Buffer.from(given, "utf8");
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    return reject("signature_mismatch", "webhook signature does not match");
  }
  return { ok: true, timestampSec };
}
