// Outbound webhooks, the contract the portal (registration, challenge, resend) and the worker (delivery)
// share: the queue, its job, the signature scheme and the rule for which URLs may be called.
//
// Signature, in the style of Zoom's x-zm-signature and Stripe's Stripe-Signature:
//   X-Capture-Request-Timestamp: <unix seconds>
//   X-Capture-Signature: v1=<hex HMAC-SHA256(secret, "v1:<timestamp>:<raw body>")>
//   X-Capture-Event-Id: <evt_...>  (the same on every retry and resend: receivers deduplicate on it)
// Receivers check the HMAC in constant time and refuse timestamps outside a few minutes.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { z } from "zod";

export const OUTBOUND_WEBHOOK_QUEUE = "outbound-webhooks";

export const OutboundDeliveryJob = z.object({ deliveryId: z.string().min(1) });
export type OutboundDeliveryJob = z.infer<typeof OutboundDeliveryJob>;

export const OUTBOUND_EVENT_TYPES = [
  "session.started",
  "session.ended",
  "frame.stored",
  "participant.covered",
  "retry.created",
  "room.join_failed",
] as const;
export type OutboundEventType = (typeof OUTBOUND_EVENT_TYPES)[number];

export const SIGNATURE_HEADER = "x-capture-signature";
export const TIMESTAMP_HEADER = "x-capture-request-timestamp";
export const EVENT_ID_HEADER = "x-capture-event-id";
export const EVENT_TYPE_HEADER = "x-capture-event";

export const newSigningSecret = () => `whsec_${randomBytes(24).toString("base64url")}`;

export function signPayload(secret: string, timestampSec: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`v1:${timestampSec}:${body}`).digest("hex")}`;
}

export function signedHeaders(
  secret: string,
  body: string,
  event: { id: string; type: string },
  nowMs = Date.now(),
): Record<string, string> {
  const ts = Math.floor(nowMs / 1000);
  return {
    "Content-Type": "application/json",
    "User-Agent": "rtms-capture-webhooks/1",
    [TIMESTAMP_HEADER]: String(ts),
    [SIGNATURE_HEADER]: signPayload(secret, ts, body),
    [EVENT_ID_HEADER]: event.id,
    [EVENT_TYPE_HEADER]: event.type,
  };
}

/** What a receiver does; also used by our tests and the example consumer. */
export function verifySignature(
  secret: string,
  headers: { signature: string | null | undefined; timestamp: string | null | undefined },
  body: string,
  opts: { toleranceSec?: number; nowMs?: number } = {},
): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(ts)) return false;
  const now = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  if (Math.abs(now - ts) > (opts.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(signPayload(secret, ts, body));
  const given = Buffer.from(headers.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Zoom's endpoint.url_validation answer: the plain token and its HMAC-SHA256 (hex) under the secret. */
export const challengeAnswer = (secret: string, plainToken: string) =>
  createHmac("sha256", secret).update(plainToken).digest("hex");

// --- Which URLs may be called -----------------------------------------------------------------------------

/**
 * Loopback, private, link-local, CGNAT, unspecified and multicast addresses (v4 and v6, v4-mapped too):
 * a team must not make our servers call into our own network.
 */
export function isPrivateAddress(address: string): boolean {
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (isIP(v4) === 4) {
    const [a = 0, b = 0] = v4.split(".").map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      a >= 224
    );
  }
  const v6 = address.toLowerCase();
  return (
    v6 === "::" ||
    v6 === "::1" ||
    v6.startsWith("fc") ||
    v6.startsWith("fd") ||
    v6.startsWith("fe8") ||
    v6.startsWith("fe9") ||
    v6.startsWith("fea") ||
    v6.startsWith("feb") ||
    v6.startsWith("ff")
  );
}

export type OutboundUrlCheck = { ok: true; url: URL } | { ok: false; message: string };

/** Hosts from OUTBOUND_WEBHOOK_ALLOW_HOSTS: comma or white-space separated, lower-cased. */
export const parseAllowHosts = (spec: string | undefined): string[] =>
  (spec ?? "")
    .split(/[\s,]+/)
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);

/**
 * The URL rule: https to a public address; a host on `allowHosts` (config, e.g. 127.0.0.1 in tests) may
 * also be http and private. Names are resolved here and every address checked, so a public name that
 * points into a private range is refused too (checked again before each delivery).
 */
export async function checkOutboundUrl(
  raw: string,
  allowHosts: readonly string[],
  resolve: (host: string) => Promise<string[]> = async (h) =>
    (await lookup(h, { all: true })).map((a) => a.address),
): Promise<OutboundUrlCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: "Not a URL" };
  }
  if (url.username || url.password) return { ok: false, message: "URLs with credentials are refused" };
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const allowed = allowHosts.includes(host);
  if (url.protocol !== "https:" && !(allowed && url.protocol === "http:")) {
    return { ok: false, message: "Webhook URLs must use https" };
  }
  if (allowed) return { ok: true, url };
  if (host === "localhost" || host.endsWith(".localhost")) {
    return { ok: false, message: "Loopback addresses are refused" };
  }
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return { ok: false, message: `The host ${host} does not resolve` };
  }
  if (addresses.length === 0 || addresses.some(isPrivateAddress)) {
    return { ok: false, message: "Loopback and private network addresses are refused" };
  }
  return { ok: true, url };
}

// --- Short-lived signed frame download URLs (frame.stored) ------------------------------------------------

/**
 * frame.stored carries URLs that fetch one frame's image without a token until they expire. The HMAC key
 * is derived from the deployment's encryption key (CAPTURE_ENCRYPTION_KEYS, which portal and worker
 * share), named by its key id so a key rotation keeps issued URLs valid while the old key stays listed.
 */
const frameUrlKey = (key: Buffer) => createHmac("sha256", key).update("frame-download-url/v1").digest();

export function frameUrlSignature(key: Buffer, frameId: string, expiresSec: number): string {
  return createHmac("sha256", frameUrlKey(key)).update(`${frameId}.${expiresSec}`).digest("base64url");
}

export function signedFrameUrl(
  baseUrl: string,
  keyring: { activeKeyId: string; keys: ReadonlyMap<string, Buffer> },
  frameId: string,
  expiresSec: number,
): string {
  const key = keyring.keys.get(keyring.activeKeyId)!;
  const url = new URL(`/api/v1/frames/${encodeURIComponent(frameId)}/image`, baseUrl);
  url.searchParams.set("kid", keyring.activeKeyId);
  url.searchParams.set("exp", String(expiresSec));
  url.searchParams.set("sig", frameUrlSignature(key, frameId, expiresSec));
  return url.toString();
}

export function verifyFrameUrl(
  keyring: { keys: ReadonlyMap<string, Buffer> },
  frameId: string,
  q: { kid?: string | null; exp?: string | null; sig?: string | null },
  nowMs = Date.now(),
): boolean {
  const key = q.kid ? keyring.keys.get(q.kid) : undefined;
  const exp = Number(q.exp);
  if (!key || !q.sig || !Number.isInteger(exp) || exp * 1000 < nowMs) return false;
  const expected = Buffer.from(frameUrlSignature(key, frameId, exp));
  const given = Buffer.from(q.sig);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
