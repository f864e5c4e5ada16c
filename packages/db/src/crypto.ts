// Secret columns (client secrets, webhook secret token, passcodes) are stored as AES-256-GCM envelopes:
//   enc:v1:<keyId>:<iv b64url>:<tag b64url>:<ciphertext b64url>
// The key id lets keys rotate: the keyring's first key encrypts, every listed key decrypts.
// The column's context (e.g. "zoom_app.client_secret") is bound as associated data, so an envelope copied
// into another column fails to decrypt instead of leaking a secret in the wrong place.
// There is no plaintext fallback: a missing or wrong key is an error with a code.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { DbError } from "./errors.ts";

const PREFIX = "enc:v1:";
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export interface Keyring {
  readonly activeKeyId: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

/**
 * Parses `CAPTURE_ENCRYPTION_KEYS`: comma-separated `keyId:base64key` pairs (32-byte keys), newest first.
 * Example: `k2:<base64>,k1:<base64>` encrypts with k2 and still decrypts what k1 wrote.
 */
export function parseKeyring(spec: string | undefined): Keyring {
  if (!spec || spec.trim() === "") {
    throw new DbError(
      "ENCRYPTION_KEY_MISSING",
      "CAPTURE_ENCRYPTION_KEYS is not set: generate one with `pnpm --filter @capture/db keygen`",
    );
  }
  const keys = new Map<string, Buffer>();
  for (const entry of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const sep = entry.indexOf(":");
    const keyId = sep > 0 ? entry.slice(0, sep) : "";
    const key = Buffer.from(sep > 0 ? entry.slice(sep + 1) : "", "base64");
    if (!KEY_ID_PATTERN.test(keyId)) {
      throw new DbError(
        "ENCRYPTION_KEY_INVALID",
        "CAPTURE_ENCRYPTION_KEYS: each entry must be `keyId:base64key` with a key id of letters, digits, - or _",
      );
    }
    if (key.length !== 32) {
      throw new DbError(
        "ENCRYPTION_KEY_INVALID",
        `CAPTURE_ENCRYPTION_KEYS: key "${keyId}" must be 32 bytes of base64 (got ${key.length})`,
      );
    }
    if (keys.has(keyId)) {
      throw new DbError(
        "ENCRYPTION_KEY_INVALID",
        `CAPTURE_ENCRYPTION_KEYS: key id "${keyId}" is listed twice`,
      );
    }
    keys.set(keyId, key);
  }
  const activeKeyId = keys.keys().next().value;
  if (activeKeyId === undefined) {
    throw new DbError("ENCRYPTION_KEY_MISSING", "CAPTURE_ENCRYPTION_KEYS lists no key");
  }
  return { activeKeyId, keys };
}

export function generateKeySpec(keyId = "k1"): string {
  return `${keyId}:${randomBytes(32).toString("base64")}`;
}

export function isEnvelope(value: string): boolean {
  return value.startsWith(PREFIX);
}

export function encryptSecret(keyring: Keyring, plaintext: string, context: string): string {
  const key = keyring.keys.get(keyring.activeKeyId)!;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `${PREFIX}${keyring.activeKeyId}:${iv.toString("base64url")}:${tag.toString("base64url")}:${ciphertext.toString("base64url")}`;
}

export function decryptSecret(keyring: Keyring, envelope: string, context: string): string {
  const { keyId, iv, tag, ciphertext } = parseEnvelope(envelope);
  const key = keyring.keys.get(keyId);
  if (!key) {
    throw new DbError(
      "ENCRYPTION_KEY_UNKNOWN",
      `secret was encrypted with key "${keyId}", which CAPTURE_ENCRYPTION_KEYS does not list`,
    );
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch (cause) {
    throw new DbError(
      "DECRYPTION_FAILED",
      `secret (${context}) failed authentication: wrong key for id "${keyId}", or the value was altered`,
      { cause },
    );
  }
}

/** True when the envelope was written with an older key and should be re-encrypted with the active one. */
export function needsReencryption(keyring: Keyring, envelope: string): boolean {
  return parseEnvelope(envelope).keyId !== keyring.activeKeyId;
}

function parseEnvelope(envelope: string) {
  if (!isEnvelope(envelope)) {
    throw new DbError("ENVELOPE_MALFORMED", "value is not an encrypted envelope (enc:v1:...)");
  }
  const parts = envelope.slice(PREFIX.length).split(":");
  if (parts.length !== 4 || parts.some((p) => p === "")) {
    throw new DbError("ENVELOPE_MALFORMED", "encrypted envelope must have 4 parts after enc:v1:");
  }
  const [keyId, iv, tag, ciphertext] = parts as [string, string, string, string];
  const ivBytes = Buffer.from(iv, "base64url");
  const tagBytes = Buffer.from(tag, "base64url");
  if (ivBytes.length !== 12 || tagBytes.length !== 16) {
    throw new DbError("ENVELOPE_MALFORMED", "encrypted envelope has a bad iv or tag length");
  }
  return { keyId, iv: ivBytes, tag: tagBytes, ciphertext: Buffer.from(ciphertext, "base64url") };
}

/** Column contexts, one per secret column, so call sites cannot drift. */
export const SecretContext = {
  clientSecret: "zoom_app.client_secret",
  webhookSecretToken: "zoom_app.webhook_secret_token",
  s2sClientSecret: "zoom_app.s2s_client_secret",
  meetingPasscode: "meeting.passcode",
} as const;
