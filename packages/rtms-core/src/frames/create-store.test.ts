import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createFrameStore,
  frameStoreConfigFromEnv,
  frameStoreEnvIssues,
  frameStoreEnvShape,
} from "./create-store.ts";
import { LocalDiskFrameStore } from "./local-disk-store.ts";
import { S3FrameStore } from "./s3-store.ts";

const schema = z.object(frameStoreEnvShape);

describe("frame store selection by env", () => {
  it("is the local store when nothing is set, or when the variables are blank", () => {
    for (const env of [{}, { FRAME_STORE: "", S3_BUCKET: "", S3_FORCE_PATH_STYLE: "" }]) {
      const parsed = schema.parse(env);
      expect(parsed).toMatchObject({
        FRAME_STORE: "local",
        S3_REGION: "us-east-1",
        S3_FORCE_PATH_STYLE: false,
      });
      const config = frameStoreConfigFromEnv(parsed, "/data/frames");
      expect(config).toEqual({ kind: "local", rootDir: "/data/frames" });
      expect(createFrameStore(config)).toBeInstanceOf(LocalDiskFrameStore);
    }
  });

  it("builds an S3 store from the S3_* variables", () => {
    const parsed = schema.parse({
      FRAME_STORE: "s3",
      S3_ENDPOINT: "http://minio:9000",
      S3_BUCKET: "capture-frames",
      S3_REGION: "eu-west-1",
      S3_FORCE_PATH_STYLE: "true",
      S3_KEY_PREFIX: "frames/",
    });
    const config = frameStoreConfigFromEnv(parsed, "/unused");
    expect(config).toEqual({
      kind: "s3",
      bucket: "capture-frames",
      endpoint: "http://minio:9000",
      region: "eu-west-1",
      forcePathStyle: true,
      keyPrefix: "frames/",
    });
    const store = createFrameStore(config);
    expect(store).toBeInstanceOf(S3FrameStore);
    (store as S3FrameStore).close();
  });

  it("names the variable that is wrong", () => {
    const bad = schema.safeParse({
      FRAME_STORE: "ftp",
      S3_ENDPOINT: "minio:9000",
      S3_BUCKET: "No_Caps",
      S3_FORCE_PATH_STYLE: "maybe",
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path[0]).sort()).toEqual([
      "FRAME_STORE",
      "S3_BUCKET",
      "S3_ENDPOINT",
      "S3_FORCE_PATH_STYLE",
    ]);
    const noBucket = schema.parse({ FRAME_STORE: "s3" });
    expect(frameStoreEnvIssues(noBucket)).toEqual([
      { variable: "S3_BUCKET", message: "is required when FRAME_STORE=s3" },
    ]);
    expect(() => frameStoreConfigFromEnv(noBucket, "/x")).toThrow(/S3_BUCKET/);
  });

  it("hands the caller's onRetry to the S3 store, which calls it for each retried try", async () => {
    // A port nobody listens on: every try is refused at connect, a transient failure.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    const retries: { operation: string; attempt: number }[] = [];
    const store = createFrameStore(
      {
        kind: "s3",
        bucket: "frames",
        endpoint: `http://127.0.0.1:${port}`,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: { accessKeyId: "a", secretAccessKey: "b" },
        retry: { attempts: 3, budgetMs: 2_000, baseDelayMs: 1, maxDelayMs: 5, attemptTimeoutMs: 500 },
      },
      { onRetry: ({ operation, attempt }) => retries.push({ operation, attempt }) },
    );
    const head = store.head("s/u_1/1.jpg");
    await expect(head).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect(new Set(retries.map((r) => r.operation)).size).toBe(1);
  });
});
