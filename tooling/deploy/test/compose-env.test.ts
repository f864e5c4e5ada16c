// Each app service in docker-compose.yml must start with the environment compose gives it: the compose
// values (with ${VAR:-default} resolved to the default, and ${VAR:?...} to a valid value a user would put
// in .env) go through the app's own env parser, and every key compose sets must be one the app reads.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseEnv as parseWebEnv, EnvSchema as WebEnvSchema } from "../../../apps/web/src/env.ts";
import { loadEnv as loadWorkerEnv, EnvSchema as WorkerEnvSchema } from "../../../apps/worker/src/env.ts";

const root = path.resolve(import.meta.dirname, "../../..");
const compose = parse(readFileSync(path.join(root, "docker-compose.yml"), "utf8"), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string | number> }>;
};

/** What a user puts in .env for the variables compose marks as required (`${VAR:?message}`). */
const userProvided: Record<string, string> = {
  CAPTURE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
  NEXTAUTH_SECRET: randomBytes(24).toString("base64url"),
};

function resolveCompose(value: string | number): string {
  return String(value).replace(
    /\$\{(\w+)(?::([-?])([^}]*))?\}/g,
    (_, name: string, op?: string, arg?: string) => {
      if (op === "-") return arg ?? "";
      const provided = userProvided[name];
      if (op === "?" && provided === undefined)
        throw new Error(`test has no .env value for required ${name}`);
      return provided ?? "";
    },
  );
}

function serviceEnv(name: string): Record<string, string> {
  const env = compose.services[name]?.environment ?? {};
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, resolveCompose(v)]));
}

const seedAliases = ["ZM_CLIENT_ID", "ZM_CLIENT_SECRET", "S2S_ZM_CLIENT_ID", "S2S_ZM_CLIENT_SECRET"];
/** Read by the AWS SDK's default credential chain, not by our env schemas (documented in the README). */
const sdkVariables = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];

describe("compose environment matches each app's env schema", () => {
  it("the worker starts with what compose gives it, and reads every key compose sets", () => {
    const env = serviceEnv("worker");
    const parsed = loadWorkerEnv(env);
    expect(parsed.DATABASE_URL).toBe("postgresql://capture:capture@postgres:5432/capture");
    expect(parsed.HEALTH_HOST).toBe("0.0.0.0");
    const known = new Set([...Object.keys(WorkerEnvSchema.shape), ...seedAliases, ...sdkVariables]);
    expect(Object.keys(env).filter((k) => !known.has(k))).toEqual([]);
  });

  it("the portal starts with what compose gives it, and reads every key compose sets", () => {
    const env = serviceEnv("web");
    const parsed = parseWebEnv(env);
    expect(parsed.NODE_ENV).toBe("production");
    expect(parsed.FRAMES_DIR).toBe(serviceEnv("worker").FRAMES_DIR);
    expect(Object.keys(env).filter((k) => !(k in WebEnvSchema.shape) && !sdkVariables.includes(k))).toEqual(
      [],
    );
  });

  it("the worker and the portal share the database, Redis, the keyring and the frame store", () => {
    const worker = serviceEnv("worker");
    const web = serviceEnv("web");
    for (const key of [
      "DATABASE_URL",
      "REDIS_URL",
      "CAPTURE_ENCRYPTION_KEYS",
      "FRAMES_DIR",
      "FRAME_STORE",
      "S3_ENDPOINT",
      "S3_BUCKET",
      "S3_REGION",
      "S3_FORCE_PATH_STYLE",
      ...sdkVariables,
    ]) {
      expect(web[key], key).toBe(worker[key]);
    }
    expect(serviceEnv("migrate").DATABASE_URL).toBe(worker.DATABASE_URL);
  });

  it("with FRAME_STORE=s3 both apps use MinIO's bucket, path-style", () => {
    for (const parsed of [
      loadWorkerEnv({ ...serviceEnv("worker"), FRAME_STORE: "s3" }),
      parseWebEnv({ ...serviceEnv("web"), FRAME_STORE: "s3" }),
    ]) {
      expect(parsed).toMatchObject({
        FRAME_STORE: "s3",
        S3_ENDPOINT: "http://minio:9000",
        S3_BUCKET: "capture-frames",
        S3_FORCE_PATH_STYLE: true,
      });
    }
    expect(loadWorkerEnv(serviceEnv("worker")).FRAME_STORE).toBe("local");
  });

  it("a missing required variable stops each app with a message naming it", () => {
    const worker = serviceEnv("worker");
    delete worker.CAPTURE_ENCRYPTION_KEYS;
    expect(() => loadWorkerEnv(worker)).toThrow(/CAPTURE_ENCRYPTION_KEYS/);
    const web = serviceEnv("web");
    delete web.NEXTAUTH_SECRET;
    expect(() => parseWebEnv(web)).toThrow(/NEXTAUTH_SECRET/);
  });
});
