// Status codes of msg 2/4/22/29 exist in two numberings: the current table (invalid signature 3, duplicate 8,
// 15 = an "all" media connection already exists, 17 = invalid media params) and an older one used by Zoom's
// mock server (invalid signature 15, duplicate 17). Zoom's own samples therefore match on the reason text.
// We do both: a recognised reason text wins, and the number decides when the text says nothing we know.
import { statusText } from "./constants.ts";

export type StatusKind =
  | "ok"
  | "invalid_signature"
  /** The stream already has this signaling connection: after a reconnect, the old socket is still registered. */
  | "duplicate"
  /** Status 15/16: an overlapping media connection exists. */
  | "media_connection_exists"
  | "invalid_media_params"
  | "media_type_not_supported"
  /** Status 44: already subscribed to that participant's video (harmless). */
  | "already_subscribed"
  | "internal"
  /** Anything else the server refused (bad stream id, payload, events, session id, ready ack...). */
  | "invalid_request";

export interface StatusClassification {
  kind: StatusKind;
  code: number;
  /** Which table explained it: "reason" when the text decided, "current"/"legacy" for the numbering used. */
  basis: "reason" | "current" | "legacy";
  /** Human text: the server's reason if it gave one, else our table's. */
  text: string;
  /** Worth trying again later (duplicate right after a reconnect, internal errors). */
  retryable: boolean;
}

const REASON_PATTERNS: [RegExp, StatusKind][] = [
  [/duplicate\s+sign(al|aling)\s+req/i, "duplicate"],
  [/signature/i, "invalid_signature"],
  [/duplicate\s+video\s+sub|already\s+subscribed/i, "already_subscribed"],
  [
    /all\s+media\s+connection|duplicate\s+media\s+connection|connection\s+already\s+exist/i,
    "media_connection_exists",
  ],
  [/not\s+supported/i, "media_type_not_supported"],
  [/internal/i, "internal"],
];

function kindByCurrentNumber(code: number): StatusKind {
  if (code === 0) return "ok";
  if (code === 3) return "invalid_signature";
  if (code === 8) return "duplicate";
  if (code >= 9 && code <= 13) return "media_type_not_supported";
  if (code === 15 || code === 16) return "media_connection_exists";
  if ((code >= 17 && code <= 39) || code === 43) return "invalid_media_params";
  if (code === 44) return "already_subscribed";
  if (code === 45) return "internal";
  return "invalid_request";
}

const RETRYABLE: ReadonlySet<StatusKind> = new Set(["duplicate", "internal"]);

export function classifyStatus(code: number, reason?: string | null): StatusClassification {
  const text = reason?.trim() ? reason.trim() : statusText(code);
  const make = (kind: StatusKind, basis: StatusClassification["basis"]): StatusClassification => ({
    kind,
    code,
    basis,
    text,
    retryable: RETRYABLE.has(kind),
  });
  if (code === 0) return make("ok", "current");
  if (reason) {
    for (const [pattern, kind] of REASON_PATTERNS) if (pattern.test(reason)) return make(kind, "reason");
    // A reason that reads like the older table's meaning of 15/17 but in other words.
    if (/invalid\s+sig/i.test(reason)) return make("invalid_signature", "reason");
  }
  return make(kindByCurrentNumber(code), "current");
}

/** Same as classifyStatus, but for a peer known to speak the older numbering (no reason text to go on). */
export function classifyLegacyStatus(code: number, reason?: string | null): StatusClassification {
  const byText = classifyStatus(code, reason);
  if (byText.basis === "reason") return byText;
  if (code === 15) return { ...byText, kind: "invalid_signature", basis: "legacy", retryable: false };
  if (code === 17) return { ...byText, kind: "duplicate", basis: "legacy", retryable: true };
  return byText;
}
