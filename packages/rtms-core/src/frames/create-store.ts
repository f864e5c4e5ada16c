// Which frame store a process uses, decided in one place for the worker and the portal alike: both must
// agree, or the portal cannot show what the worker wrote. Each app's env.ts spreads `frameStoreEnvShape`
// into its schema and hands the parsed values to `frameStoreConfigFromEnv`, then `createFrameStore`.
import { z } from "zod";
import { LocalDiskFrameStore } from "./local-disk-store.ts";
import { S3FrameStore, type S3FrameStoreOptions } from "./s3-store.ts";
import type { FrameStore } from "./store.ts";

export type FrameStoreConfig =
  | { kind: "local"; rootDir: string; fsync?: boolean }
  | ({ kind: "s3" } & S3FrameStoreOptions);

/** What the caller observes of a store; only the S3 store retries, so only it calls `onRetry`. */
export interface FrameStoreHooks {
  onRetry?: S3FrameStoreOptions["onRetry"];
}

export function createFrameStore(config: FrameStoreConfig, hooks: FrameStoreHooks = {}): FrameStore {
  if (config.kind === "local")
    return new LocalDiskFrameStore({ rootDir: config.rootDir, fsync: config.fsync });
  const { kind: _kind, ...options } = config;
  return new S3FrameStore({ ...options, ...(hooks.onRetry ? { onRetry: hooks.onRetry } : {}) });
}

/** Unset and "" (a blank line copied from .env.example) both mean "not set". */
const optional = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === undefined || v === "" ? undefined : v));

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === "") return false;
    if (["1", "true", "yes"].includes(v)) return true;
    if (["0", "false", "no"].includes(v)) return false;
    ctx.addIssue({ code: "custom", message: "must be true or false" });
    return z.NEVER;
  });

/**
 * The frame-store variables, the same in both apps. Credentials are not here on purpose: the AWS SDK reads
 * them itself (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, or an instance role), so secrets never
 * pass through our config objects or logs.
 */
export const frameStoreEnvShape = {
  /** local (FRAMES_DIR on this machine's disk, the default) or s3 (any S3-compatible bucket). */
  FRAME_STORE: optional.pipe(z.enum(["local", "s3"]).optional()).transform((v) => v ?? "local"),
  /** e.g. http://minio:9000; unset for AWS S3 itself. */
  S3_ENDPOINT: optional.refine(
    (v) => v === undefined || /^https?:\/\/[^\s/]+/.test(v),
    "must be an http(s) URL",
  ),
  S3_BUCKET: optional.refine(
    (v) => v === undefined || /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v),
    "must be an S3 bucket name (3-63 lowercase letters, digits, dots, dashes)",
  ),
  S3_REGION: optional.transform((v) => v ?? "us-east-1"),
  /** true for MinIO and most self-hosted servers (bucket in the path, not the host name). */
  S3_FORCE_PATH_STYLE: flag,
  /** Put before every object key, e.g. "frames/", to share a bucket. */
  S3_KEY_PREFIX: optional,
};

const FrameStoreEnv = z.object(frameStoreEnvShape);
export type FrameStoreEnv = z.output<typeof FrameStoreEnv>;

/** Cross-variable checks for loadEnv to report with the others (FRAME_STORE=s3 needs a bucket). */
export function frameStoreEnvIssues(env: FrameStoreEnv): { variable: string; message: string }[] {
  if (env.FRAME_STORE === "s3" && !env.S3_BUCKET) {
    return [{ variable: "S3_BUCKET", message: "is required when FRAME_STORE=s3" }];
  }
  return [];
}

/** The store config for parsed env; `localRootDir` is FRAMES_DIR already resolved by the app. */
export function frameStoreConfigFromEnv(env: FrameStoreEnv, localRootDir: string): FrameStoreConfig {
  const issues = frameStoreEnvIssues(env);
  if (issues.length > 0) throw new Error(issues.map((i) => `${i.variable} ${i.message}`).join("; "));
  if (env.FRAME_STORE === "local") return { kind: "local", rootDir: localRootDir };
  return {
    kind: "s3",
    bucket: env.S3_BUCKET!,
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
    keyPrefix: env.S3_KEY_PREFIX,
  };
}
