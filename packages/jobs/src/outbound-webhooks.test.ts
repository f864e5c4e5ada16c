import { describe, expect, it } from "vitest";
import {
  challengeAnswer,
  checkOutboundUrl,
  isPrivateAddress,
  signedFrameUrl,
  signedHeaders,
  verifyFrameUrl,
  verifySignature,
} from "./outbound-webhooks.ts";

describe("outbound webhook signatures", () => {
  const secret = "whsec_test";
  const body = JSON.stringify({ id: "evt_1", type: "session.started" });

  it("verifies what it signs, and nothing else", () => {
    const h = signedHeaders(secret, body, { id: "evt_1", type: "session.started" }, 1_700_000_000_000);
    const headers = { signature: h["x-capture-signature"], timestamp: h["x-capture-request-timestamp"] };
    const nowMs = 1_700_000_010_000;
    expect(verifySignature(secret, headers, body, { nowMs })).toBe(true);
    expect(verifySignature("whsec_other", headers, body, { nowMs })).toBe(false);
    expect(verifySignature(secret, headers, `${body} `, { nowMs })).toBe(false);
    expect(verifySignature(secret, { ...headers, timestamp: "1700000001" }, body, { nowMs })).toBe(false);
    // Outside the tolerance a correct signature is a replay.
    expect(verifySignature(secret, headers, body, { nowMs: nowMs + 3600_000 })).toBe(false);
  });

  it("answers the challenge as Zoom's url_validation does (hex HMAC of the plain token)", () => {
    expect(challengeAnswer("secret", "abc")).toMatch(/^[0-9a-f]{64}$/);
    expect(challengeAnswer("secret", "abc")).not.toBe(challengeAnswer("secret2", "abc"));
  });
});

describe("outbound URL rule", () => {
  it.each([
    ["127.0.0.1", true],
    ["10.1.2.3", true],
    ["172.20.0.1", true],
    ["192.168.1.1", true],
    ["169.254.169.254", true],
    ["100.64.0.1", true],
    ["::1", true],
    ["fd00::1", true],
    ["::ffff:127.0.0.1", true],
    ["8.8.8.8", false],
    ["2606:4700::1111", false],
  ])("%s private: %s", (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });

  const publicDns = async () => ["93.184.216.34"];
  it("refuses http, loopback, private and credentials unless the host is allowed", async () => {
    expect(await checkOutboundUrl("https://hooks.example.com/x", [], publicDns)).toMatchObject({ ok: true });
    expect(await checkOutboundUrl("http://hooks.example.com/x", [], publicDns)).toMatchObject({ ok: false });
    expect(await checkOutboundUrl("https://127.0.0.1/x", [])).toMatchObject({ ok: false });
    expect(await checkOutboundUrl("https://localhost/x", [])).toMatchObject({ ok: false });
    expect(await checkOutboundUrl("https://u:p@hooks.example.com/", [], publicDns)).toMatchObject({
      ok: false,
    });
    expect(await checkOutboundUrl("https://rebind.example.com/", [], async () => ["10.0.0.5"])).toMatchObject(
      {
        ok: false,
      },
    );
    expect(await checkOutboundUrl("http://127.0.0.1:9999/hook", ["127.0.0.1"])).toMatchObject({ ok: true });
  });
});

describe("signed frame URLs", () => {
  const keyring = { activeKeyId: "k1", keys: new Map([["k1", Buffer.alloc(32, 7)]]) };
  it("verify until they expire, for that frame only", () => {
    const url = new URL(signedFrameUrl("http://127.0.0.1:3000", keyring, "frame1", 2_000_000_000));
    const q = {
      kid: url.searchParams.get("kid"),
      exp: url.searchParams.get("exp"),
      sig: url.searchParams.get("sig"),
    };
    expect(url.pathname).toBe("/api/v1/frames/frame1/image");
    expect(verifyFrameUrl(keyring, "frame1", q, 1_999_999_000_000)).toBe(true);
    expect(verifyFrameUrl(keyring, "frame2", q, 1_999_999_000_000)).toBe(false);
    expect(verifyFrameUrl(keyring, "frame1", q, 2_000_000_001_000)).toBe(false);
    expect(verifyFrameUrl(keyring, "frame1", { ...q, exp: "2000000001" }, 1_999_999_000_000)).toBe(false);
    expect(verifyFrameUrl(keyring, "frame1", { ...q, kid: "k2" }, 1_999_999_000_000)).toBe(false);
  });
});
