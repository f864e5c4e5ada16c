import path from "node:path";
import { describe, expect, it } from "vitest";
import { EnvError, parseEnv, redactedEnv, repositoryRoot, resolveFromRepoRoot } from "./env.ts";

const base = {
  DATABASE_URL: "postgresql://u:pw@127.0.0.1:5432/db",
  CAPTURE_ENCRYPTION_KEYS: "k1:AAAA",
  NEXTAUTH_SECRET: "0123456789abcdef0123",
};

describe("portal env", () => {
  it("applies defaults and coerces numbers", () => {
    const e = parseEnv({ ...base, PORT: "4010", LOG_LEVEL: "DEBUG", WEBHOOK_MAX_BYTES: "" });
    expect(e.PORT).toBe(4010);
    expect(e.LOG_LEVEL).toBe("debug");
    expect(e.FRAMES_DIR).toBe("recordings");
    expect(e.WEBHOOK_MAX_BYTES).toBe(65536);
    expect(e.ZOOM_API_BASE).toBe("https://api.zoom.us");
  });

  it("names every missing or bad variable", () => {
    try {
      parseEnv({ PORT: "nope", PUBLIC_BASE_URL: "not a url" });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EnvError);
      const msg = (e as Error).message;
      for (const name of [
        "DATABASE_URL",
        "CAPTURE_ENCRYPTION_KEYS",
        "NEXTAUTH_SECRET",
        "PORT",
        "PUBLIC_BASE_URL",
      ]) {
        expect(msg).toContain(name);
      }
    }
  });

  it("never logs secrets", () => {
    const shown = JSON.stringify(redactedEnv(parseEnv(base)));
    expect(shown).not.toContain("pw");
    expect(shown).not.toContain("k1:AAAA");
    expect(shown).not.toContain(base.NEXTAUTH_SECRET);
  });

  it("resolves relative frame paths against the repository root", () => {
    const root = repositoryRoot(path.join(import.meta.dirname, "modules"));
    expect(root).toBe(path.resolve(import.meta.dirname, "../../.."));
    expect(resolveFromRepoRoot("recordings", import.meta.dirname)).toBe(path.join(root, "recordings"));
    expect(resolveFromRepoRoot("/abs/frames")).toBe("/abs/frames");
  });
});
