import { createHmac } from "node:crypto";

export interface SignatureInput {
  clientId: string;
  clientSecret: string;
  /** Exactly as received: keep any `==`, never URL-encode. */
  meetingUuid: string;
  rtmsStreamId: string;
}

/** Signature of both handshakes (msg 1 and 3): lowercase hex HMAC-SHA256(secret, "id,meeting_uuid,stream_id"). */
export function rtmsSignature({ clientId, clientSecret, meetingUuid, rtmsStreamId }: SignatureInput): string {
  return createHmac("sha256", clientSecret)
    .update(`${clientId},${meetingUuid},${rtmsStreamId}`)
    .digest("hex");
}
