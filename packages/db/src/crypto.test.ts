import { describe, expect, it } from "vitest";
import {
  decryptSecret,
  encryptSecret,
  generateKeySpec,
  needsReencryption,
  parseKeyring,
  SecretContext,
} from "./crypto.ts";
import { DbError } from "./errors.ts";

const ring = parseKeyring(generateKeySpec("k1"));

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof DbError ? e.code : `not a DbError: ${String(e)}`;
  }
  return undefined;
}

describe("secret encryption", () => {
  it("round-trips, with a fresh IV each time", () => {
    const a = encryptSecret(ring, "s3cr3t-ü-🙂", SecretContext.clientSecret);
    const b = encryptSecret(ring, "s3cr3t-ü-🙂", SecretContext.clientSecret);
    expect(a).toMatch(/^enc:v1:k1:/);
    expect(a).not.toEqual(b);
    expect(a).not.toContain("s3cr3t");
    expect(decryptSecret(ring, a, SecretContext.clientSecret)).toBe("s3cr3t-ü-🙂");
  });

  it("detects a tampered ciphertext, tag or iv", () => {
    const env = encryptSecret(ring, "value", SecretContext.clientSecret);
    const [pre, v, kid, iv, tag, ct] = env.split(":") as string[];
    const flip = (s: string) => {
      const buf = Buffer.from(s, "base64url");
      buf[0]! ^= 1;
      return buf.toString("base64url");
    };
    for (const bad of [
      [pre, v, kid, iv, tag, flip(ct!)],
      [pre, v, kid, iv, flip(tag!), ct],
      [pre, v, kid, flip(iv!), tag, ct],
    ]) {
      expect(code(() => decryptSecret(ring, bad.join(":"), SecretContext.clientSecret))).toBe(
        "DECRYPTION_FAILED",
      );
    }
  });

  it("refuses an envelope moved to another column", () => {
    const env = encryptSecret(ring, "value", SecretContext.clientSecret);
    expect(code(() => decryptSecret(ring, env, SecretContext.meetingPasscode))).toBe("DECRYPTION_FAILED");
  });

  it("fails clearly with a wrong key under the same id, or an unknown id", () => {
    const env = encryptSecret(ring, "value", SecretContext.clientSecret);
    expect(
      code(() => decryptSecret(parseKeyring(generateKeySpec("k1")), env, SecretContext.clientSecret)),
    ).toBe("DECRYPTION_FAILED");
    expect(
      code(() => decryptSecret(parseKeyring(generateKeySpec("k9")), env, SecretContext.clientSecret)),
    ).toBe("ENCRYPTION_KEY_UNKNOWN");
  });

  it("rotates: the new key encrypts, the old key still decrypts", () => {
    const oldSpec = generateKeySpec("k1");
    const oldRing = parseKeyring(oldSpec);
    const env = encryptSecret(oldRing, "value", SecretContext.webhookSecretToken);
    const rotated = parseKeyring(`${generateKeySpec("k2")},${oldSpec}`);
    expect(decryptSecret(rotated, env, SecretContext.webhookSecretToken)).toBe("value");
    expect(needsReencryption(rotated, env)).toBe(true);
    const again = encryptSecret(rotated, "value", SecretContext.webhookSecretToken);
    expect(again.startsWith("enc:v1:k2:")).toBe(true);
    expect(needsReencryption(rotated, again)).toBe(false);
  });

  it("never falls back to plaintext", () => {
    expect(code(() => decryptSecret(ring, "plain-secret", SecretContext.clientSecret))).toBe(
      "ENVELOPE_MALFORMED",
    );
    expect(code(() => decryptSecret(ring, "enc:v1:k1:abc", SecretContext.clientSecret))).toBe(
      "ENVELOPE_MALFORMED",
    );
  });

  it("rejects a missing or malformed keyring with a named error", () => {
    expect(code(() => parseKeyring(undefined))).toBe("ENCRYPTION_KEY_MISSING");
    expect(code(() => parseKeyring("  "))).toBe("ENCRYPTION_KEY_MISSING");
    expect(code(() => parseKeyring("k1:c2hvcnQ="))).toBe("ENCRYPTION_KEY_INVALID");
    expect(code(() => parseKeyring(Buffer.alloc(32).toString("base64")))).toBe("ENCRYPTION_KEY_INVALID");
    const spec = generateKeySpec("k1");
    expect(code(() => parseKeyring(`${spec},${spec}`))).toBe("ENCRYPTION_KEY_INVALID");
  });
});
