// Start-up as a real process: bad configuration stops it with the variable named; good configuration
// bootstraps the default team from the seed's env names (secrets encrypted), serves health and metrics,
// and a SIGTERM with nothing running exits 0.
import { decryptSecret, encryptSecret, parseKeyring, SecretContext } from "@capture/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./support/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness("startup");
});
afterAll(async () => {
  await h?.close();
});

describe("worker start-up", () => {
  it("exits non-zero naming the variable when configuration is bad", async () => {
    const badPort = h.spawnWorker({ HEALTH_PORT: "not-a-port" });
    const noSecret = h.spawnWorker({ ZM_CLIENT_SECRET: "" });
    expect(await badPort.exited).toBe(1);
    expect(await noSecret.exited).toBe(1);
    expect(badPort.stderr.join("\n")).toMatch(/^worker: HEALTH_PORT /);
    expect(noSecret.stderr.join("\n")).toBe(
      "worker: ZOOM_CLIENT_SECRET is required when ZOOM_CLIENT_ID is set",
    );
  });

  it("bootstraps the default team, answers health and metrics, and exits 0 on SIGTERM", async () => {
    const worker = await h
      .spawnWorker({
        ZOOM_MEETING_NUMBER: "987654321",
        ZOOM_MEETING_PASSCODE: "pass-123",
        DEFAULT_TEAM_SLUG: "acme",
        ZOOM_CREDENTIALS_CHECK_MS: "1000",
      })
      .ready();
    const db = h.testDb.db;
    const team = await db.team.findUniqueOrThrow({
      where: { slug: "acme" },
      include: { zoomApp: true, meetings: true },
    });
    const keyring = parseKeyring(h.env.CAPTURE_ENCRYPTION_KEYS);
    const app = team.zoomApp!;
    expect(app.clientId).toBe(h.sim.options.rtmsApp.clientId);
    expect(app.clientSecretEnc).toMatch(/^enc:v1:/);
    expect(decryptSecret(keyring, app.clientSecretEnc, SecretContext.clientSecret)).toBe(
      h.sim.options.rtmsApp.clientSecret,
    );
    expect(decryptSecret(keyring, app.s2sClientSecretEnc!, SecretContext.s2sClientSecret)).toBe(
      h.sim.options.s2s.clientSecret,
    );
    expect(app.eventWsUrl).toBe(h.sim.urls.eventWs);
    expect(team.meetings.map((m) => m.meetingNumber)).toEqual(["987654321"]);
    expect(decryptSecret(keyring, team.meetings[0]!.passcodeEnc!, SecretContext.meetingPasscode)).toBe(
      "pass-123",
    );

    const base = `http://127.0.0.1:${worker.healthPort}`;
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: "ok" });
    // Another team whose S2S credentials are wrong: its problem shows in its own metric, and the worker
    // stays ready (readiness is the worker's own dependencies only).
    const broken = await db.team.create({ data: { slug: "broken", name: "broken" } });
    await db.zoomApp.create({
      data: {
        teamId: broken.id,
        clientId: "c",
        clientSecretEnc: encryptSecret(keyring, "x", SecretContext.clientSecret),
        s2sAccountId: h.sim.options.s2s.accountId,
        s2sClientId: "wrong-s2s-client",
        s2sClientSecretEnc: encryptSecret(keyring, "wrong", SecretContext.s2sClientSecret),
      },
    });
    const credentialsOk = async (teamId: string) => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const line = text
        .split("\n")
        .find((l) => l.startsWith(`capture_zoom_credentials_ok{team_id="${teamId}"}`));
      return line === undefined ? undefined : Number(line.split(" ").pop());
    };
    await expect.poll(() => credentialsOk(broken.id), { timeout: 10_000 }).toBe(0);
    expect(await credentialsOk(team.id)).toBe(1);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok", redis: "ok" } });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      "capture_active_sessions",
      "capture_frames_offered_total",
      "capture_frames_dropped_total",
      "capture_reconnects_total",
      "capture_keepalive_answer_seconds",
      "capture_room_actions_total",
      'capture_queue_depth{queue="capture",state="waiting"}',
      "capture_db_buffer_bytes",
    ]) {
      expect(metrics).toContain(name);
    }
    expect((await fetch(`${base}/nope`)).status).toBe(404);

    expect(await worker.stop("SIGTERM")).toBe(0);
    expect(worker.lines.some((l) => l.msg === "worker closed")).toBe(true);
    // Nothing secret in any log line.
    const logs = worker.lines.map((l) => JSON.stringify(l)).join("\n");
    for (const secret of ["pass-123", h.sim.options.rtmsApp.clientSecret, h.sim.options.s2s.clientSecret]) {
      expect(logs).not.toContain(secret);
    }
  });
});
