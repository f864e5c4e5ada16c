// Zoom events, from a webhook body or an event-WebSocket `content`, normalised into one typed union.
// Payloads may be flat or nested under `payload.object`; ids may be numbers or strings. The parser never
// throws: it returns a result, and an event it does not know is kept as `kind: "unknown"`.
import { z } from "zod";
import { RtmsError } from "../errors.ts";

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

export class ZoomEventError extends RtmsError<ZoomEventErrorCode> {
  override readonly name = "ZoomEventError";
  constructor(
    code: ZoomEventErrorCode,
    message: string,
    /** The event name when the envelope was readable. */
    readonly event?: string,
  ) {
    super(code, message);
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

/** What names the stream in every rtms_* payload; the meeting and the stream ids are required. */
const streamIds = {
  meeting_uuid: z.string().min(1),
  rtms_stream_id: z.string().min(1),
  account_id: optionalId,
  meeting_id: optionalId,
};
const streamIdsPayload = (p: {
  meeting_uuid: string;
  rtms_stream_id: string;
  account_id?: string | null | undefined;
  meeting_id?: string | null | undefined;
}) => ({
  meetingUuid: p.meeting_uuid,
  rtmsStreamId: p.rtms_stream_id,
  accountId: p.account_id ?? undefined,
  meetingId: p.meeting_id ?? undefined,
});

// Zoom's field names in, our payload out, nulls and absent fields dropped (see `defined`).
const RtmsStarted = z
  .object({
    ...streamIds,
    server_urls: z.string().regex(/^wss?:\/\/\S+$/i, "must be a ws:// or wss:// URL"),
    operator_id: optionalId,
    is_original_host: z.boolean().optional().catch(undefined),
  })
  .transform(
    (p): RtmsStartedPayload =>
      defined({
        ...streamIdsPayload(p),
        serverUrls: p.server_urls,
        operatorId: p.operator_id ?? undefined,
        isOriginalHost: p.is_original_host,
      }),
  );
const RtmsStopped = z
  .object({ ...streamIds, stop_reason: intLike.optional().nullable(), operator_id: optionalId })
  .transform(
    (p): RtmsStoppedPayload =>
      defined({
        ...streamIdsPayload(p),
        stopReason: p.stop_reason ?? undefined,
        operatorId: p.operator_id ?? undefined,
      }),
  );
const RtmsInterrupted = z
  .object(streamIds)
  .transform((p): RtmsInterruptedPayload => defined(streamIdsPayload(p)));
/** Concurrency and start-failure payloads are thinly documented: every field is optional, none refused. */
const Notice = z
  .object({
    meeting_uuid: z.string().optional().catch(undefined),
    rtms_stream_id: z.string().optional().catch(undefined),
    account_id: optionalId,
    meeting_id: optionalId,
    reason: z.union([z.string(), z.number()]).optional().catch(undefined),
  })
  .transform(
    (p): RtmsNoticePayload =>
      defined({
        meetingUuid: p.meeting_uuid,
        rtmsStreamId: p.rtms_stream_id,
        accountId: p.account_id ?? undefined,
        meetingId: p.meeting_id ?? undefined,
        reason: p.reason,
      }),
  );

/** The events that must carry `event_ts`: every known one but the URL validation request. */
type TimedEvent = Extract<ZoomEvent, { eventTs: number }>;

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

  /** Payload first, then event_ts: a payload error is the more useful report. */
  const timed = <K extends TimedEvent["kind"]>(
    kind: K,
    schema: z.ZodType<Extract<TimedEvent, { kind: K }>["payload"]>,
  ): ParseZoomEventResult => {
    const p = schema.safeParse(fields);
    if (!p.success) return invalid(p.error);
    if (eventTs === undefined)
      return { ok: false, error: new ZoomEventError("INVALID_ENVELOPE", `${event} has no event_ts`, event) };
    // The schema is checked against `kind` above; `event` is paired with it by the caller's case.
    return { ok: true, event: { kind, event, eventTs, rawPayload, payload: p.data } as TimedEvent };
  };

  switch (event) {
    case ZoomEventName.rtmsStarted:
      return timed("rtms_started", RtmsStarted);
    case ZoomEventName.rtmsStopped:
      return timed("rtms_stopped", RtmsStopped);
    case ZoomEventName.rtmsInterrupted:
      return timed("rtms_interrupted", RtmsInterrupted);
    case ZoomEventName.rtmsConcurrencyNearLimit:
      return timed("rtms_concurrency_near_limit", Notice);
    case ZoomEventName.rtmsConcurrencyLimited:
      return timed("rtms_concurrency_limited", Notice);
    case ZoomEventName.rtmsStartFailed:
      return timed("rtms_start_failed", Notice);
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
