import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startZoomSim, type ZoomSim } from "../src/index.ts";
import { appToken, TestSocket } from "./helpers.ts";

describe("event WebSocket", () => {
  let sim: ZoomSim;
  beforeAll(async () => {
    sim = await startZoomSim();
  });
  afterAll(() => sim.close());

  it("ignores a token in a header and answers build_connection 'token is empty'", async () => {
    const token = await appToken(sim);
    const ws = new TestSocket(sim.urls.eventWs, { headers: { authorization: `Bearer ${token}` } });
    expect(await ws.next()).toEqual({
      module: "build_connection",
      success: false,
      content: "token is empty",
    });
    await ws.waitClosed();
  });

  it("rejects an unknown token", async () => {
    const ws = new TestSocket(`${sim.urls.eventWs}&access_token=forged`);
    expect(await ws.next()).toMatchObject({ module: "build_connection", success: false });
    await ws.waitClosed();
  });

  it("sends build_connection first, answers heartbeats, and delivers events with content as a JSON string", async () => {
    const ws = new TestSocket(`${sim.urls.eventWs}&access_token=${await appToken(sim)}`);
    expect(await ws.next()).toMatchObject({ module: "build_connection", success: true });
    expect(sim.consumerReady).toBe(true);
    ws.send({ module: "heartbeat" });
    expect(await ws.next()).toMatchObject({ module: "heartbeat" });

    const meeting = sim.createMeeting({ number: "81234567891" });
    const info = await meeting.startRtms();
    const msg = await ws.next((m) => m.module === "message");
    expect(typeof msg.content).toBe("string");
    const event = JSON.parse(msg.content as string) as {
      event: string;
      event_ts: number;
      payload: Record<string, unknown>;
    };
    expect(event.event).toBe("meeting.rtms_started");
    expect(event.payload).toMatchObject({
      meeting_uuid: meeting.uuid,
      rtms_stream_id: info.streamId,
      server_urls: info.serverUrls,
    });
    expect(typeof event.payload.server_urls).toBe("string");
    ws.close();
  });

  it("does not replay events to a client that connects later", async () => {
    await new Promise((r) => setTimeout(r, 50));
    const meeting = sim.createMeeting({ number: "81234567892" });
    await meeting.startRtms();
    const late = new TestSocket(`${sim.urls.eventWs}&access_token=${await appToken(sim)}`);
    await late.next((m) => m.module === "build_connection");
    late.send({ module: "heartbeat" });
    await late.next((m) => m.module === "heartbeat");
    expect(late.messages.filter((m) => m.module === "message")).toEqual([]);
    late.close();
  });
});
