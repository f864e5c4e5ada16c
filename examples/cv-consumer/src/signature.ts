// RTMS Capture signs every webhook like Zoom and Stripe do:
//   X-Capture-Request-Timestamp: <unix seconds>
//   X-Capture-Signature: v1=<hex HMAC-SHA256(secret, "v1:<timestamp>:<raw body>")>
// Check the HMAC over the RAW body (before any JSON parsing), in constant time, and refuse timestamps far
// from now so a captured request cannot be replayed later. Only node:crypto: copy this file as it is.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-capture-signature";
export const TIMESTAMP_HEADER = "x-capture-request-timestamp";
export const EVENT_ID_HEADER = "x-capture-event-id";

export type SignatureCheck = { ok: true } | { ok: false; reason: "missing" | "stale" | "mismatch" };

export function checkSignature(
  secret: string,
  headers: { signature?: string | undefined; timestamp?: string | undefined },
  rawBody: Buffer | string,
  opts: { toleranceSec?: number; nowMs?: number } = {},
): SignatureCheck {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !headers.timestamp || !Number.isInteger(ts))
    return { ok: false, reason: "missing" };
  const nowSec = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  if (Math.abs(nowSec - ts) > (opts.toleranceSec ?? 300)) return { ok: false, reason: "stale" };
  const expected = Buffer.from(
    `v1=${createHmac("sha256", secret).update(`v1:${ts}:`).update(rawBody).digest("hex")}`,
  );
  const given = Buffer.from(headers.signature);
  // timingSafeEqual needs equal lengths; a length difference says nothing about the secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "mismatch" };
  }
  return { ok: true };
}

/** The answer to endpoint.url_validation: the plain token and hex HMAC-SHA256(secret, plainToken). */
export function challengeResponse(secret: string, plainToken: string) {
  return { plainToken, encryptedToken: createHmac("sha256", secret).update(plainToken).digest("hex") };
}
