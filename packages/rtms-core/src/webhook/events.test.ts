import { describe, expect, it } from "vitest";
import { parseZoomEvent } from "./events.ts";

const started = {
  meeting_uuid: "4444AAAiAAAAAiAiAiiAii==",
  operator_id: "30R7kT7bTIKSNUFEuH_Qlg",
  rtms_stream_id: "03db704592624398931a588dd78200cb",
  server_urls: "wss://127.0.0.1:443",
};

describe("parseZoomEvent", () => {
  it("normalises a flat meeting.rtms_started and keeps the raw payload", () => {
    const body = { event: "meeting.rtms_started", event_ts: 1732406400000, payload: started };
    const result = parseZoomEvent(JSON.stringify(body));
    expect(result).toEqual({
      ok: true,
      event: {
        kind: "rtms_started",
        event: "meeting.rtms_started",
        eventTs: 1732406400000,
        rawPayload: started,
        payload: {
          meetingUuid: started.meeting_uuid,
          operatorId: started.operator_id,
          rtmsStreamId: started.rtms_stream_id,
          serverUrls: started.server_urls,
        },
      },
    });
  });

  it("accepts the nested payload.object shape, numeric ids and newer fields, and emits them flat", () => {
    const nested = {
      event: "meeting.rtms_started",
      event_ts: "1732406400000",
      payload: { account_id: "acc", object: { ...started, meeting_id: 85746065432, is_original_host: true } },
    };
    const result = parseZoomEvent(nested);
    expect(result.ok && result.event.kind === "rtms_started" && result.event.payload).toEqual({
      meetingUuid: started.meeting_uuid,
      operatorId: started.operator_id,
      rtmsStreamId: started.rtms_stream_id,
      serverUrls: started.server_urls,
      accountId: "acc",
      meetingId: "85746065432",
      isOriginalHost: true,
    });
  });

  it("rejects an rtms_started whose server_urls is not a ws URL string", () => {
    for (const serverUrls of [["wss://a"], "https://x", ""]) {
      const result = parseZoomEvent({
        event: "meeting.rtms_started",
        event_ts: 1,
        payload: { ...started, server_urls: serverUrls },
      });
      expect(result).toMatchObject({
        ok: false,
        error: { code: "INVALID_PAYLOAD", event: "meeting.rtms_started" },
      });
    }
  });

  it("parses rtms_stopped with a numeric or string stop_reason", () => {
    for (const stop_reason of [6, "6"]) {
      const result = parseZoomEvent({
        event: "meeting.rtms_stopped",
        event_ts: 2,
        payload: { meeting_uuid: "m", rtms_stream_id: "s", stop_reason },
      });
      expect(result.ok && result.event.payload).toEqual({
        meetingUuid: "m",
        rtmsStreamId: "s",
        stopReason: 6,
      });
    }
  });

  it.each([
    ["meeting.rtms_interrupted", "rtms_interrupted"],
    ["meeting.rtms_concurrency_near_limit", "rtms_concurrency_near_limit"],
    ["meeting.rtms_concurrency_limited", "rtms_concurrency_limited"],
    ["rtms.start_failed", "rtms_start_failed"],
  ])("recognises %s", (event, kind) => {
    const result = parseZoomEvent({
      event,
      event_ts: 3,
      payload: { object: { meeting_uuid: "m", rtms_stream_id: "s" } },
    });
    expect(result).toMatchObject({
      ok: true,
      event: { kind, event, eventTs: 3, payload: { meetingUuid: "m", rtmsStreamId: "s" } },
    });
  });

  it("parses endpoint.url_validation, with or without event_ts", () => {
    expect(parseZoomEvent({ event: "endpoint.url_validation", payload: { plainToken: "pt" } })).toMatchObject(
      {
        ok: true,
        event: { kind: "url_validation", payload: { plainToken: "pt" } },
      },
    );
    expect(parseZoomEvent({ event: "endpoint.url_validation", payload: {} })).toMatchObject({
      ok: false,
      error: { code: "INVALID_PAYLOAD" },
    });
  });

  it("keeps unknown events, typed as unknown", () => {
    const result = parseZoomEvent({ event: "meeting.participant_joined", event_ts: 4, payload: { a: 1 } });
    expect(result).toEqual({
      ok: true,
      event: {
        kind: "unknown",
        event: "meeting.participant_joined",
        eventTs: 4,
        payload: { a: 1 },
        rawPayload: { a: 1 },
      },
    });
  });

  it.each([
    ["{not json", "INVALID_JSON"],
    [Buffer.from("]"), "INVALID_JSON"],
    [42, "INVALID_ENVELOPE"],
    [null, "INVALID_ENVELOPE"],
    [{ payload: {} }, "INVALID_ENVELOPE"],
    [{ event: "meeting.rtms_started", payload: started }, "INVALID_ENVELOPE"],
    [{ event: "x", payload: "text" }, "INVALID_ENVELOPE"],
    [{ event: "meeting.rtms_stopped", event_ts: 1, payload: { meeting_uuid: "m" } }, "INVALID_PAYLOAD"],
  ])("never throws: %j -> %s", (input, code) => {
    const result = parseZoomEvent(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error).toBeInstanceOf(Error);
    }
  });
});
