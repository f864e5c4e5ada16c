// Zoom events, from a webhook body or an event-WebSocket `content`, normalised into one typed union.
// Payloads may be flat or nested under `payload.object`; ids may be numbers or strings. The parser never
// throws: it returns a result, and an event it does not know is kept as `kind: "unknown"`.
import { z } from "zod";

export const ZoomEventName = {
  rtmsStarted: "meeting.rtms_started",
  rtmsStopped: "meeting.rtms_stopped",
  rtmsInterrupted: "meeting.rtms_interrupted",
  rtmsConcurrencyNearLimit: "meeting.rtms_concurrency_near_limit",
  rtmsConcurrencyLimited: "meeting.rtms_concurrency_limited",
  rtmsStartFailed: "rtms.start_failed",
  urlValidation: "endpoint.url_validation",
} as const;

const id = z.union([z.string().min(1), z.number()]).transform(String);
const optionalId = id.optional().nullable().catch(undefined);
const intLike = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);

const RtmsStarted = z.object({
  meeting_uuid: z.string().min(1),
  rtms_stream_id: z.string().min(1),
  server_urls: z.string().regex(/^wss?:\/\/\S+$/i, "must be a ws:// or wss:// URL"),
  operator_id: optionalId,
  account_id: optionalId,
  meeting_id: optionalId,
  is_original_host: z.boolean().optional().catch(undefined),
});
const RtmsStopped = z.object({
  meeting_uuid: z.string().min(1),
  rtms_stream_id: z.string().min(1),
  stop_reason: intLike.optional().nullable(),
  operator_id: optionalId,
  account_id: optionalId,
  meeting_id: optionalId,
});
const RtmsInterrupted = z.object({
  meeting_uuid: z.string().min(1),
  rtms_stream_id: z.string().min(1),
  account_id: optionalId,
  meeting_id: optionalId,
});
/** Concurrency and start-failure payloads are thinly documented: every field is optional. */
const Loose = z.object({
  meeting_uuid: z.string().optional().catch(undefined),
  rtms_stream_id: z.string().optional().catch(undefined),
  account_id: optionalId,
  meeting_id: optionalId,
  reason: z.union([z.string(), z.number()]).optional().catch(undefined),
});
const UrlValidation = z.object({ plainToken: z.string().min(1) });

export interface RtmsStartedPayload {
  meetingUuid: string;
  rtmsStreamId: string;
  /** The signaling server's ws/wss URL. */
  serverUrls: string;
  operatorId?: string;
  accountId?: string;
  meetingId?: string;
  isOriginalHost?: boolean;
}
export interface RtmsStoppedPayload {
  meetingUuid: string;
  rtmsStreamId: string;
  stopReason?: number;
  operatorId?: string;
  accountId?: string;
  meetingId?: string;
}
export interface RtmsInterruptedPayload {
  meetingUuid: string;
  rtmsStreamId: string;
  accountId?: string;
  meetingId?: string;
}
export interface RtmsNoticePayload {
  meetingUuid?: string;
  rtmsStreamId?: string;
  accountId?: string;
  meetingId?: string;
  reason?: string | number;
}

interface Base<K extends string, E extends string, P> {
  kind: K;
  /** Zoom's event name. */
  event: E;
  /** Zoom's `event_ts` (ms). */
  eventTs: number;
  payload: P;
  /** The payload exactly as received (flat or nested), for storage and queues. */
  rawPayload: unknown;
}

export type ZoomEvent =
  | Base<"rtms_started", typeof ZoomEventName.rtmsStarted, RtmsStartedPayload>
  | Base<"rtms_stopped", typeof ZoomEventName.rtmsStopped, RtmsStoppedPayload>
  | Base<"rtms_interrupted", typeof ZoomEventName.rtmsInterrupted, RtmsInterruptedPayload>
  | Base<"rtms_concurrency_near_limit", typeof ZoomEventName.rtmsConcurrencyNearLimit, RtmsNoticePayload>
  | Base<"rtms_concurrency_limited", typeof ZoomEventName.rtmsConcurrencyLimited, RtmsNoticePayload>
  | Base<"rtms_start_failed", typeof ZoomEventName.rtmsStartFailed, RtmsNoticePayload>
  | (Omit<Base<"url_validation", typeof ZoomEventName.urlValidation, { plainToken: string }>, "eventTs"> & {
      /** Optional here only: a validation request is answered whatever its timestamp. */
      eventTs?: number;
    })
  | (Omit<Base<"unknown", string, unknown>, "eventTs"> & { eventTs?: number });

export type ZoomEventKind = ZoomEvent["kind"];

export type ZoomEventErrorCode = "INVALID_JSON" | "INVALID_ENVELOPE" | "INVALID_PAYLOAD";

export class ZoomEventError extends Error {
  override readonly name = "ZoomEventError";
  constructor(
    readonly code: ZoomEventErrorCode,
    message: string,
    /** The event name when the envelope was readable. */
    readonly event?: string,
  ) {
    super(message);
  }
}

export type ParseZoomEventResult = { ok: true; event: ZoomEvent } | { ok: false; error: ZoomEventError };

const Envelope = z.object({
  event: z.string().min(1),
  event_ts: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
  payload: z.record(z.string(), z.unknown()).optional(),
});

/** `payload.object` fields under the flat ones: documentation shows both shapes, flat wins. */
function flatten(payload: Record<string, unknown>): Record<string, unknown> {
  const { object, ...flat } = payload;
  if (object && typeof object === "object" && !Array.isArray(object)) return { ...object, ...flat };
  return flat;
}

const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as T;

/** Accepts a parsed object, JSON text or a Buffer of JSON text. Never throws. */
export function parseZoomEvent(input: unknown): ParseZoomEventResult {
  let json = input;
  if (typeof input === "string" || Buffer.isBuffer(input)) {
    try {
      json = JSON.parse(input.toString());
    } catch {
      return { ok: false, error: new ZoomEventError("INVALID_JSON", "event is not valid JSON") };
    }
  }
  const envelope = Envelope.safeParse(json);
  if (!envelope.success) {
    return {
      ok: false,
      error: new ZoomEventError("INVALID_ENVELOPE", `not a Zoom event: ${z.prettifyError(envelope.error)}`),
    };
  }
  const { event, event_ts: eventTs } = envelope.data;
  const rawPayload = (json as { payload?: unknown }).payload;
  const fields = flatten(envelope.data.payload ?? {});
  const invalid = (error: z.ZodError): ParseZoomEventResult => ({
    ok: false,
    error: new ZoomEventError("INVALID_PAYLOAD", `${event} payload: ${z.prettifyError(error)}`, event),
  });
  const needTs = (): ParseZoomEventResult | undefined =>
    eventTs === undefined
      ? { ok: false, error: new ZoomEventError("INVALID_ENVELOPE", `${event} has no event_ts`, event) }
      : undefined;

  switch (event) {
    case ZoomEventName.rtmsStarted: {
      const p = RtmsStarted.safeParse(fields);
      if (!p.success) return invalid(p.error);
      const ts = needTs();
      if (ts) return ts;
      return {
        ok: true,
        event: {
          kind: "rtms_started",
          event,
          eventTs: eventTs!,
          rawPayload,
          payload: defined({
            meetingUuid: p.data.meeting_uuid,
            rtmsStreamId: p.data.rtms_stream_id,
            serverUrls: p.data.server_urls,
            operatorId: p.data.operator_id ?? undefined,
            accountId: p.data.account_id ?? undefined,
            meetingId: p.data.meeting_id ?? undefined,
            isOriginalHost: p.data.is_original_host,
          }),
        },
      };
    }
    case ZoomEventName.rtmsStopped: {
      const p = RtmsStopped.safeParse(fields);
      if (!p.success) return invalid(p.error);
      const ts = needTs();
      if (ts) return ts;
      return {
        ok: true,
        event: {
          kind: "rtms_stopped",
          event,
          eventTs: eventTs!,
          rawPayload,
          payload: defined({
            meetingUuid: p.data.meeting_uuid,
            rtmsStreamId: p.data.rtms_stream_id,
            stopReason: p.data.stop_reason ?? undefined,
            operatorId: p.data.operator_id ?? undefined,
            accountId: p.data.account_id ?? undefined,
            meetingId: p.data.meeting_id ?? undefined,
          }),
        },
      };
    }
    case ZoomEventName.rtmsInterrupted: {
      const p = RtmsInterrupted.safeParse(fields);
      if (!p.success) return invalid(p.error);
      const ts = needTs();
      if (ts) return ts;
      return {
        ok: true,
        event: {
          kind: "rtms_interrupted",
          event,
          eventTs: eventTs!,
          rawPayload,
          payload: defined({
            meetingUuid: p.data.meeting_uuid,
            rtmsStreamId: p.data.rtms_stream_id,
            accountId: p.data.account_id ?? undefined,
            meetingId: p.data.meeting_id ?? undefined,
          }),
        },
      };
    }
    case ZoomEventName.rtmsConcurrencyNearLimit:
    case ZoomEventName.rtmsConcurrencyLimited:
    case ZoomEventName.rtmsStartFailed: {
      const p = Loose.safeParse(fields);
      if (!p.success) return invalid(p.error);
      const ts = needTs();
      if (ts) return ts;
      const payload = defined({
        meetingUuid: p.data.meeting_uuid,
        rtmsStreamId: p.data.rtms_stream_id,
        accountId: p.data.account_id ?? undefined,
        meetingId: p.data.meeting_id ?? undefined,
        reason: p.data.reason,
      });
      const base = { eventTs: eventTs!, rawPayload, payload };
      if (event === ZoomEventName.rtmsStartFailed)
        return { ok: true, event: { kind: "rtms_start_failed", event, ...base } };
      if (event === ZoomEventName.rtmsConcurrencyLimited) {
        return { ok: true, event: { kind: "rtms_concurrency_limited", event, ...base } };
      }
      return { ok: true, event: { kind: "rtms_concurrency_near_limit", event, ...base } };
    }
    case ZoomEventName.urlValidation: {
      const p = UrlValidation.safeParse(fields);
      if (!p.success) return invalid(p.error);
      return {
        ok: true,
        event: defined({
          kind: "url_validation" as const,
          event,
          eventTs,
          rawPayload,
          payload: { plainToken: p.data.plainToken },
        }),
      };
    }
    default:
      return {
        ok: true,
        event: defined({ kind: "unknown" as const, event, eventTs, rawPayload, payload: rawPayload }),
      };
  }
}
