import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signWebhook, urlValidationResponse, verifyWebhookSignature } from "./signature.ts";

// Computed here independently of the module, from the rule in PROTOCOL.md section 13.
const SECRET = "webhook-secret-token";
const BODY =
  '{"event":"meeting.rtms_started","event_ts":1732406400000,"payload":{"meeting_uuid":"abc==","rtms_stream_id":"s-1","server_urls":"wss://sig.example/ws"}}';
const TS = 1_732_406_400;
const NOW = TS * 1000 + 10_000;
const independent = (secret: string, message: string) =>
  createHmac("sha256", secret).update(message).digest("hex");
const SIGNATURE = `v0=${independent(SECRET, `v0:${TS}:${BODY}`)}`;

const verify = (overrides: Partial<Parameters<typeof verifyWebhookSignature>[0]> = {}) =>
  verifyWebhookSignature({
    secretToken: SECRET,
    timestampHeader: String(TS),
    signatureHeader: SIGNATURE,
    rawBody: BODY,
    nowMs: NOW,
    ...overrides,
  });

describe("signWebhook", () => {
  it("matches an independently computed HMAC", () => {
    expect(signWebhook(SECRET, TS, BODY)).toBe(SIGNATURE);
    expect(signWebhook(SECRET, String(TS), Buffer.from(BODY))).toBe(SIGNATURE);
  });
});

describe("verifyWebhookSignature", () => {
  it("accepts a correct signature over a string or the raw bytes", () => {
    expect(verify()).toEqual({ ok: true, timestampSec: TS });
    expect(verify({ rawBody: Buffer.from(BODY, "utf8") })).toEqual({ ok: true, timestampSec: TS });
    expect(verify({ signatureHeader: SIGNATURE.toUpperCase().replace("V0=", "v0=") }).ok).toBe(true);
  });

  it("verifies raw bytes, not a re-serialisation: whitespace and non-ASCII matter", () => {
    const body = Buffer.from('{"event":"x", "payload":{"user_name":"Zoë 😀"}}', "utf8");
    const signature = `v0=${createHmac("sha256", SECRET).update(`v0:${TS}:`).update(body).digest("hex")}`;
    expect(verify({ rawBody: body, signatureHeader: signature }).ok).toBe(true);
    const reserialised = JSON.stringify(JSON.parse(body.toString("utf8")));
    expect(verify({ rawBody: reserialised, signatureHeader: signature })).toMatchObject({
      ok: false,
      reason: "signature_mismatch",
    });
  });

  it.each([
    [{ secretToken: "" }, "missing_secret"],
    [{ timestampHeader: undefined }, "missing_timestamp"],
    [{ timestampHeader: "" }, "missing_timestamp"],
    [{ timestampHeader: "yesterday" }, "malformed_timestamp"],
    [{ timestampHeader: ["1", "2"] }, "malformed_timestamp"],
    [{ timestampHeader: String(TS - 300) }, "stale_timestamp"],
    [{ timestampHeader: String(TS + 311) }, "future_timestamp"],
    [{ signatureHeader: null }, "missing_signature"],
    [{ signatureHeader: "v1=abc" }, "malformed_signature"],
    [{ signatureHeader: `${SIGNATURE}00` }, "malformed_signature"],
    [{ signatureHeader: `v0=${"0".repeat(64)}` }, "signature_mismatch"],
    [{ rawBody: `${BODY} ` }, "signature_mismatch"],
    [{ secretToken: "other-secret" }, "signature_mismatch"],
  ] as const)("rejects %j as %s", (overrides, reason) => {
    const result = verify(overrides as Partial<Parameters<typeof verifyWebhookSignature>[0]>);
    expect(result).toMatchObject({ ok: false, reason });
  });

  it("takes the tolerance from options, inclusive at the boundary", () => {
    expect(verify({ nowMs: (TS + 300) * 1000 }).ok).toBe(true);
    expect(verify({ nowMs: (TS + 301) * 1000 })).toMatchObject({ reason: "stale_timestamp" });
    expect(verify({ nowMs: (TS + 301) * 1000, toleranceSec: 600 }).ok).toBe(true);
  });

  it("rejects a signature made for another timestamp (replay with a fresh header)", () => {
    expect(verify({ timestampHeader: String(TS + 1) })).toMatchObject({
      ok: false,
      reason: "signature_mismatch",
    });
  });
});

describe("urlValidationResponse", () => {
  it("answers with hex(HMAC_SHA256(secret, plainToken))", () => {
    const plainToken = "qgg8vlvZRS6UYooatFL8Aw";
    expect(urlValidationResponse(SECRET, plainToken)).toEqual({
      plainToken,
      encryptedToken: independent(SECRET, plainToken),
    });
  });
});
