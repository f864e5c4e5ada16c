// The only reader of process.env in the portal. Parsed lazily (on first use, not at import) because
// `next build` imports route modules without any of these set.
import { frameStoreEnvIssues, frameStoreEnvShape } from "@capture/rtms-core/frames";
import { z } from "zod";
import { TrustedProxies } from "~/modules/auth/lib/client-address.ts";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  DATABASE_URL: z.string().min(1, "DATABASE_URL is required (postgresql://...)"),
  REDIS_URL: z.string().min(1).default("redis://127.0.0.1:6379"),
  /** BullMQ key prefix; must match the worker's. Tests use their own to stay isolated. */
  QUEUE_PREFIX: z.string().min(1).optional(),
  CAPTURE_ENCRYPTION_KEYS: z
    .string()
    .min(1, "CAPTURE_ENCRYPTION_KEYS is required (pnpm --filter @capture/db keygen)"),
  /** Frame store root. A relative path is resolved against the repository root, as the worker does. */
  FRAMES_DIR: z.string().min(1).default("recordings"),
  /** FRAME_STORE=local|s3 and S3_*: shared with the worker (rtms-core frames/create-store.ts). */
  ...frameStoreEnvShape,
  /**
   * Where this replica caches generated thumbnails (relative to the repository root when not absolute); a
   * local folder per replica, bounded in size, never shared.
   */
  THUMBNAIL_DIR: z.string().min(1).default(".data/thumbnails"),
  NEXTAUTH_SECRET: z.string().min(16, "NEXTAUTH_SECRET must be at least 16 characters"),
  NEXTAUTH_URL: z.url().optional(),
  /** The portal's public address, used to show each team its webhook URL. */
  PUBLIC_BASE_URL: z.url().optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  LOG_LEVEL: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(LOG_LEVELS))
    .default("info"),
  ZOOM_API_BASE: z.url().default("https://api.zoom.us"),
  ZOOM_OAUTH_BASE: z.url().default("https://zoom.us"),
  WEBHOOK_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),
  /**
   * Comma-separated addresses/CIDRs of the reverse proxies in front of the portal. Only a request whose
   * socket peer is listed has its X-Forwarded-For believed; empty (the default) means none is.
   */
  TRUSTED_PROXIES: z
    .string()
    .default("")
    .superRefine((spec, ctx) => {
      try {
        new TrustedProxies(spec);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    }),
  /** Requests per minute per API token (/api/v1), shared by every replica through Redis. */
  API_RATE_LIMIT_PER_MIN: z.coerce.number().int().min(1).default(600),
  /** Outbound webhook hosts allowed over http and on loopback/private addresses (as the worker's). */
  OUTBOUND_WEBHOOK_ALLOW_HOSTS: z.string().default(""),
  /** How long a login lasts before the user must sign in again. */
  SESSION_MAX_AGE_SEC: z.coerce
    .number()
    .int()
    .min(60)
    .default(8 * 3600),
});
export type Env = z.infer<typeof EnvSchema>;

export class EnvError extends Error {
  override readonly name = "EnvError";
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  // Empty strings mean "unset" (a blank line in .env should take the default, not fail validation).
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = EnvSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new EnvError(`invalid portal environment:\n${lines.join("\n")}`);
  }
  const issues = frameStoreEnvIssues(result.data);
  if (issues.length > 0) {
    const lines = issues.map((i) => `  ${i.variable}: ${i.message}`);
    throw new EnvError(`invalid portal environment:\n${lines.join("\n")}`);
  }
  return result.data;
}

let cached: Env | undefined;
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

// Relative FRAMES_DIR / THUMBNAIL_DIR resolve against the repository root, exactly as in the worker.
export { repositoryRoot, resolveFromRepoRoot } from "@capture/jobs/paths";

/** Secrets never reach logs: this is what the portal logs of its configuration at start. */
export function redactedEnv(e: Env): Record<string, unknown> {
  const { CAPTURE_ENCRYPTION_KEYS: _k, NEXTAUTH_SECRET: _s, DATABASE_URL, REDIS_URL, ...rest } = e;
  return { ...rest, DATABASE_URL: stripPassword(DATABASE_URL), REDIS_URL: stripPassword(REDIS_URL) };
}

function stripPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable)";
  }
}
