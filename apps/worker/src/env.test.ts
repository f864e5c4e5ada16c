import { generateKeySpec } from "@capture/db";
import { describe, expect, it } from "vitest";
import { EnvError, loadEnv, redactedEnv } from "./env.ts";

const base = {
  DATABASE_URL: "postgresql://capture:pw@127.0.0.1:5432/capture",
  CAPTURE_ENCRYPTION_KEYS: generateKeySpec("k1"),
};

function errorOf(source: Record<string, string | undefined>): EnvError {
  try {
    loadEnv(source);
  } catch (err) {
    if (err instanceof EnvError) return err;
    throw err;
  }
  throw new Error("expected loadEnv to throw");
}

describe("loadEnv", () => {
  it("fills defaults and coerces numbers", () => {
    const env = loadEnv({ ...base, HEALTH_PORT: "0", WORKER_CONCURRENCY: "7", LOG_LEVEL: "DEBUG" });
    expect(env).toMatchObject({
      FRAMES_DIR: "recordings",
      ZOOM_API_BASE: "https://api.zoom.us",
      ZOOM_OAUTH_BASE: "https://zoom.us",
      HEALTH_HOST: "127.0.0.1",
      HEALTH_PORT: 0,
      WORKER_CONCURRENCY: 7,
      LOG_LEVEL: "debug",
      DEFAULT_TEAM_SLUG: "demo",
      REDIS_URL: "redis://127.0.0.1:6379",
    });
    expect(env.WORKER_ID).toMatch(/-\d+$/);
  });

  it("has limits by default and refuses nonsense ones", () => {
    expect(loadEnv(base)).toMatchObject({
      TEAM_MAX_SESSIONS: 20,
      MAX_SESSION_HOURS: 12,
      RTMS_PROTOCOL_ERROR_LIMIT: 500,
      RTMS_PROTOCOL_ERROR_WINDOW_MS: 10_000,
    });
    expect(loadEnv({ ...base, MAX_SESSION_HOURS: "0.5" }).MAX_SESSION_HOURS).toBe(0.5);
    expect(
      errorOf({ ...base, TEAM_MAX_SESSIONS: "0", MAX_SESSION_HOURS: "-1" }).issues.map((i) => i.variable),
    ).toEqual(["TEAM_MAX_SESSIONS", "MAX_SESSION_HOURS"]);
  });

  it("accepts the seed sample's ZM_ names and prefers the ZOOM_ names when both are set", () => {
    const env = loadEnv({
      ...base,
      ZM_CLIENT_ID: "seed-id",
      ZM_CLIENT_SECRET: "seed-secret",
      S2S_ZM_CLIENT_ID: "s2s-id",
      S2S_ZM_CLIENT_SECRET: "s2s-secret",
      ZOOM_ACCOUNT_ID: "acct",
      ZOOM_MEETING_NUMBER: "123456789",
    });
    expect(env).toMatchObject({
      ZOOM_CLIENT_ID: "seed-id",
      ZOOM_CLIENT_SECRET: "seed-secret",
      S2S_ZOOM_CLIENT_ID: "s2s-id",
      S2S_ZOOM_CLIENT_SECRET: "s2s-secret",
    });
    expect(
      loadEnv({ ...base, ZM_CLIENT_ID: "old", ZOOM_CLIENT_ID: "new", ZOOM_CLIENT_SECRET: "s" })
        .ZOOM_CLIENT_ID,
    ).toBe("new");
  });

  it("names the variable that is missing or wrong", () => {
    expect(errorOf({ CAPTURE_ENCRYPTION_KEYS: base.CAPTURE_ENCRYPTION_KEYS }).issues).toEqual([
      { variable: "DATABASE_URL", message: "is required" },
    ]);
    expect(errorOf({ ...base, HEALTH_PORT: "seventy" }).issues[0]?.variable).toBe("HEALTH_PORT");
    expect(errorOf({ ...base, CAPTURE_ENCRYPTION_KEYS: "k1:tooshort" }).message).toMatch(
      /CAPTURE_ENCRYPTION_KEYS: .*32 bytes/,
    );
    expect(errorOf({ ...base, ZOOM_EVENT_WS_BASE: "https://ws.zoom.us" }).issues[0]?.variable).toBe(
      "ZOOM_EVENT_WS_BASE",
    );
    expect(
      errorOf({ ...base, ZOOM_MEETING_NUMBER: "12 34", ZOOM_CLIENT_ID: "a", ZOOM_CLIENT_SECRET: "b" })
        .issues[0]?.variable,
    ).toBe("ZOOM_MEETING_NUMBER");
    expect(errorOf({ ...base, ZM_CLIENT_ID: "only-id" }).issues).toEqual([
      { variable: "ZOOM_CLIENT_SECRET", message: "is required when ZOOM_CLIENT_ID is set" },
    ]);
    expect(errorOf({ ...base, S2S_ZM_CLIENT_ID: "a", S2S_ZM_CLIENT_SECRET: "b" }).issues[0]?.variable).toBe(
      "ZOOM_ACCOUNT_ID",
    );
  });

  it("never puts a secret in the loggable view", () => {
    const env = loadEnv({
      ...base,
      ZOOM_CLIENT_ID: "id",
      ZOOM_CLIENT_SECRET: "very-secret",
      ZOOM_SECRET_TOKEN: "tok",
      ZOOM_MEETING_NUMBER: "123456789",
      ZOOM_MEETING_PASSCODE: "pass",
      REDIS_URL: "redis://:hunter2@127.0.0.1:6379",
    });
    const text = JSON.stringify(redactedEnv(env));
    for (const secret of ["very-secret", "tok", 'pass"', "hunter2", ":pw@", base.CAPTURE_ENCRYPTION_KEYS]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain("123456789");
  });
});
