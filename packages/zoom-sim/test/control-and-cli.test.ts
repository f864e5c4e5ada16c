import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startZoomSim, type ZoomSim } from "../src/index.ts";
import { TestSocket } from "./helpers.ts";

describe("/_sim control routes", () => {
  let sim: ZoomSim;
  beforeAll(async () => {
    sim = await startZoomSim();
  });
  afterAll(() => sim.close());

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sim.urls.controlBase}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("scripts a meeting, its participants and faults over HTTP and reports them in /state", async () => {
    expect((await call("POST", "/meetings", { number: "81234567890", passcode: "9" })).status).toBe(200);
    const alice = await call("POST", "/meetings/81234567890/participants", { name: "Alice" });
    expect(alice.body).toMatchObject({ name: "Alice", camera: true });
    expect(
      (await call("POST", "/meetings/81234567890/participants/Alice/camera", { on: false })).body,
    ).toMatchObject({ camera: false });
    await call("POST", "/meetings/81234567890/participants", { name: "Bob" });
    await call("POST", "/meetings/81234567890/speaker", { participant: "Bob" });
    const started = await call("POST", "/meetings/81234567890/rtms/start", {});
    expect(started.body).toMatchObject({
      meetingNumber: "81234567890",
      serverUrls: expect.stringMatching(/^ws:/),
    });
    expect((await call("POST", "/rooms", { id: "r1", name: "Board Room" })).body).toMatchObject({
      id: "r1",
      status: "Available",
    });
    expect((await call("POST", "/faults", { type: "rate-limit", count: 2 })).body).toEqual({ affected: 1 });
    const state = await call("GET", "/state");
    const meeting = (
      state.body.meetings as { participants: { name: string; camera: boolean }[]; activeSpeaker: number }[]
    )[0]!;
    expect(meeting.participants).toEqual([
      expect.objectContaining({ name: "Alice", camera: false }),
      expect.objectContaining({ name: "Bob", camera: true }),
    ]);
    expect((state.body.streams as unknown[]).length).toBe(1);
    expect(sim.faults.takeRateLimit()).toBeDefined();
  });

  it("answers bad input with a clear 400 and unknown things with 404", async () => {
    const bad = await call("POST", "/faults", { type: "explode" });
    expect(bad.status).toBe(400);
    expect(String(bad.body.message)).toContain("type");
    expect((await call("POST", "/meetings/000/participants", { name: "X" })).status).toBe(404);
    expect((await call("POST", "/nothing-here", {})).status).toBe(404);
  });
});

describe("zoom-sim CLI", () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill("SIGTERM");
  });

  it("takes the seed's env like scripts/demo.sh, prints its URLs and starts the demo meeting for an event-WS client", async () => {
    const bin = fileURLToPath(new URL("../bin/zoom-sim.js", import.meta.url));
    const scenario = fileURLToPath(new URL("../scenarios/demo.yaml", import.meta.url));
    child = spawn(process.execPath, [bin, "--port", "0", "--scenario", scenario, "--log-level", "warn"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        ZOOM_CLIENT_ID: "demo-rtms-client-id",
        ZOOM_CLIENT_SECRET: "demo-rtms-client-secret",
        ZOOM_MEETING_NUMBER: "85746352910",
        ZOOM_MEETING_PASSCODE: "demo123",
        ZOOM_EVENT_WS_BASE: "ws://127.0.0.1:1/ws?subscriptionId=demo-subscription",
      },
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child!.stdout! }).once("line", resolve);
      child!.once("exit", (code) => reject(new Error(`exited with ${code}`)));
    });
    const started = JSON.parse(line) as {
      urls: { controlBase: string; oauthBase: string; eventWs: string };
      meeting: { number: string; passcode: string };
    };
    expect(started.meeting).toMatchObject({ number: "85746352910", passcode: "demo123" });
    expect(started.urls.eventWs).toContain("subscriptionId=demo-subscription");
    expect((await fetch(`${started.urls.controlBase}/health`)).status).toBe(200);
    const state = (await (await fetch(`${started.urls.controlBase}/state`)).json()) as {
      rooms: { id: string }[];
    };
    expect(state.rooms.map((r) => r.id)).toContain("zr-board-room");

    const tokenRes = await fetch(`${started.urls.oauthBase}/oauth/token?grant_type=client_credentials`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from("demo-rtms-client-id:demo-rtms-client-secret").toString("base64")}`,
      },
    });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const ws = new TestSocket(`${started.urls.eventWs}&access_token=${access_token}`);
    expect(await ws.next()).toMatchObject({ module: "build_connection", success: true });
    const msg = await ws.next((m) => m.module === "message", 10_000);
    expect(JSON.parse(msg.content as string)).toMatchObject({
      event: "meeting.rtms_started",
      payload: { meeting_id: 85746352910 },
    });
    ws.close();

    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    child = undefined;
  });

  it("fails with a clear message on a bad scenario file", async () => {
    const bin = fileURLToPath(new URL("../bin/zoom-sim.js", import.meta.url));
    const p = spawn(process.execPath, [bin, "--scenario", "/nonexistent.yaml"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    p.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => p.once("exit", resolve));
    expect(code).toBe(2);
    expect(stderr).toContain("cannot read scenario /nonexistent.yaml");
  });
});
