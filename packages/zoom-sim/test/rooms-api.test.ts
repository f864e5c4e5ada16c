import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RATE_LIMIT_BODY, startZoomSim, type ZoomSim } from "../src/index.ts";
import { s2sToken } from "./helpers.ts";

describe("Rooms API", () => {
  let sim: ZoomSim;
  let auth: { authorization: string };
  beforeAll(async () => {
    sim = await startZoomSim({ roomJoinDelayMs: 0 });
    for (let i = 1; i <= 5; i++)
      sim.addRoom({ id: `r${i}`, name: `Room ${i}`, status: i === 5 ? "Offline" : "Available" });
    sim.createMeeting({ number: "81234567890", passcode: "123456" });
    auth = { authorization: `Bearer ${await s2sToken(sim)}` };
  });
  afterAll(() => sim.close());

  const get = (q: string) => fetch(`${sim.urls.apiBase}/v2/rooms?${q}`, { headers: auth });
  const patch = (path: string, body: unknown) =>
    fetch(`${sim.urls.apiBase}/v2${path}`, {
      method: "PATCH",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const join = (id: string, params: Record<string, unknown>) =>
    patch(`/rooms/${id}/events`, { method: "zoomroom.meeting_join", params });

  it("paginates with page_size and next_page_token", async () => {
    const seen: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const res = await get(`page_size=2${token ? `&next_page_token=${token}` : ""}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        page_size: number;
        next_page_token: string;
        rooms: { id: string; name: string }[];
      };
      expect(body.page_size).toBe(2);
      seen.push(...body.rooms.map((r) => r.id));
      token = body.next_page_token;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(["r1", "r2", "r3", "r4", "r5"]);
    expect((await get("next_page_token=garbage")).status).toBe(400);
  });

  it("filters by status case-insensitively and every room has id and name", async () => {
    const lower = (await (await get("status=available")).json()) as { rooms: Record<string, unknown>[] };
    const exact = (await (await get("status=Available")).json()) as { rooms: Record<string, unknown>[] };
    expect(lower.rooms.map((r) => r.id)).toEqual(["r1", "r2", "r3", "r4"]);
    expect(exact.rooms).toEqual(lower.rooms);
    for (const r of lower.rooms)
      expect(r).toMatchObject({ id: expect.any(String), name: expect.any(String), status: "Available" });
  });

  it("joins a room (string or number params), which becomes a participant, and leave removes it", async () => {
    const joined = sim.waitFor("room-joined");
    const res = await join("r1", { meeting_number: 81234567890, passcode: 123456 });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe("");
    await joined;
    const meeting = sim.requireMeeting("81234567890");
    expect(meeting.participants.map((p) => p.name)).toContain("Room 1");
    expect(meeting.find("Room 1")?.camera).toBe(true);
    const listed = (await (await get("status=inmeeting")).json()) as { rooms: { id: string }[] };
    expect(listed.rooms.map((r) => r.id)).toEqual(["r1"]);

    expect((await join("r2", { meeting_number: "81234567890", passcode: "123456" })).status).toBe(202);
    const left = await patch("/rooms/r1/events", { method: "zoomroom.meeting_leave", params: {} });
    expect(left.status).toBe(202);
    expect(meeting.participants.map((p) => p.name)).not.toContain("Room 1");
    expect(sim.rooms.get("r1")?.status).toBe("Available");
  });

  it("answers 400 code 300 for a wrong passcode or an offline room, 404 code 1012 for an unknown room", async () => {
    const wrong = await join("r3", { meeting_number: "81234567890", passcode: "000000" });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ code: 300 });
    const offline = await join("r5", { meeting_number: "81234567890", passcode: "123456" });
    expect(offline.status).toBe(400);
    expect(await offline.json()).toMatchObject({ code: 300 });
    const missing = await join("nope", { meeting_number: "81234567890", passcode: "123456" });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 1012 });
  });

  it("answers 429 with Zoom's body for a burst, with and without Retry-After", async () => {
    sim.faults.rateLimit(1, { retryAfterSec: 2 });
    const first = await get("");
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("2");
    expect(await first.json()).toEqual(RATE_LIMIT_BODY);
    sim.faults.rateLimit(2);
    const a = await get("");
    const b = await get("");
    expect([a.status, b.status]).toEqual([429, 429]);
    expect(a.headers.get("retry-after")).toBeNull();
    expect((await get("")).status).toBe(200);
  });

  it("starts and stops RTMS through live_meetings/{id}/rtms_app/status", async () => {
    const started = sim.waitFor<{ streamId: string }>("stream-started");
    const res = await patch("/live_meetings/81234567890/rtms_app/status", {
      action: "start",
      settings: { client_id: sim.options.rtmsApp.clientId },
    });
    expect(res.status).toBe(202);
    const { streamId } = await started;
    const event = sim.publishedEvents.find((e) => e.event === "meeting.rtms_started");
    expect(event?.payload).toMatchObject({
      rtms_stream_id: streamId,
      server_urls: expect.stringMatching(/^ws:\/\//),
    });
    const stopped = sim.waitFor<{ reason: number }>("stream-stopped");
    expect((await patch("/live_meetings/81234567890/rtms_app/status", { action: "stop" })).status).toBe(202);
    expect((await stopped).reason).toBe(2);
    expect((await patch("/live_meetings/999/rtms_app/status", { action: "start" })).status).toBe(404);
  });
});
