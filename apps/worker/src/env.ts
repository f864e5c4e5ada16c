// The worker's configuration: the ONLY reader of process.env in this app. One zod object with coercion and
// defaults; the seed sample's variable names (ZM_*, S2S_ZM_*) keep working as aliases of the ZOOM_* ones.
// A bad value stops the worker at start with a message naming the variable (see loadEnv / EnvError).
import { hostname } from "node:os";
import { parseKeyring } from "@capture/db";
import { frameStoreEnvIssues, frameStoreEnvShape } from "@capture/rtms-core/frames";
import { DEFAULT_ALLOWED_HOSTS, parseAllowedHosts } from "@capture/rtms-core/protocol";
import { z } from "zod";

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const url = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      `must be a ${protocols.join(" or ")} URL`,
    );

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  LOG_LEVEL: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]))
    .default("info"),
  DATABASE_URL: url(["postgresql:", "postgres:"]),
  REDIS_URL: url(["redis:", "rediss:"]).default("redis://127.0.0.1:6379"),
  /** Keyring for the secret columns (`keyId:base64key,...`), validated here so a typo fails at start. */
  CAPTURE_ENCRYPTION_KEYS: z.string().superRefine((v, ctx) => {
    try {
      parseKeyring(v);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
    }
  }),
  FRAMES_DIR: z.string().trim().min(1).default("recordings"),
  /** FRAME_STORE=local|s3 and S3_*: shared with the portal (rtms-core frames/create-store.ts). */
  ...frameStoreEnvShape,
  ZOOM_API_BASE: url(["https:", "http:"]).default("https://api.zoom.us"),
  ZOOM_OAUTH_BASE: url(["https:", "http:"]).default("https://zoom.us"),
  WORKER_ID: z
    .string()
    .trim()
    .min(1)
    .default(() => `${hostname()}-${process.pid}`),
  /** Capture sessions (long-running jobs) one worker holds at once. */
  WORKER_CONCURRENCY: int(1, 2000).default(50),
  /** Parallel zoom-events and rooms jobs. */
  WORKER_JOB_CONCURRENCY: int(1, 100).default(8),
  HEALTH_HOST: z.string().trim().min(1).default("127.0.0.1"),
  /** 0 picks a free port (tests); the chosen port is logged. */
  HEALTH_PORT: int(0, 65535).default(9464),
  /** BullMQ key prefix: lets tests (and several deployments) share one Redis. */
  QUEUE_PREFIX: z.string().trim().min(1).default("bull"),
  /** See capture/processor.ts for why these numbers fit Zoom's ~60 s reconnect window. */
  CAPTURE_LOCK_MS: int(2_000, 60_000).default(15_000),
  CAPTURE_STALLED_CHECK_MS: int(1_000, 60_000).default(5_000),
  /** Memory budget for rows waiting on the database (bytes); beyond it the oldest frames are dropped (counted). */
  DB_BUFFER_BYTES: int(64 * 1024, 2 ** 31).default(32 * 1024 * 1024),
  FRAME_FLUSH_MS: int(5, 5_000).default(25),
  /**
   * How frame rows commit. async: without waiting for Postgres' WAL fsync (synchronous_commit = off for
   * those statements only), so a crash of the database server can lose the last ~600 ms of frame rows,
   * never a torn batch; their files are not fsynced either, and a resumed session records files without
   * rows. On a Postgres sharing the worker's disk, each fsync waited behind the frames' own writeback: at
   * 360 keep-all streams, frame-to-row p99 was 436 ms with sync against 137 ms with async (bench B).
   * sync: every batch waits for the fsync (a server with synchronous replication, or a policy that wants it).
   */
  FRAME_ROW_COMMIT: z.enum(["async", "sync"]).default("async"),
  /**
   * Busy share of the event loop (0 to 1) above which keep-all and interval frames are thinned per
   * participant, so keep-alives are still answered when streams offer more than the worker can store
   * (capture/load-shedder.ts; counted as drop reason "shed"). 1 turns it off.
   */
  SHED_LOOP_BUSY: z.coerce.number().min(0).max(1).default(0.9),
  /**
   * Bytes of kept frames being written to the store above which the same thinning starts (0 = never): the
   * disk or S3 is behind. 32 MiB is about 300 ms of writes at 2,000 zoom-sim HD frames a second; the store
   * backlog only drops frames past 2 x STORE_BACKLOG_BYTES, seconds later.
   */
  SHED_STORE_WRITING_BYTES: int(0, 2 ** 31).default(32 * 1024 * 1024),
  /**
   * Memory for kept frames not yet written, all sessions together (bytes): frames a keep-newest policy
   * holds until they are final, and writes in flight. Reaching it flushes what is held early. The seed
   * policy holds 3 frames per stream: 500 streams of zoom-sim's 52 KB (base64) HD JPEGs are 78 MB, so a
   * 64 MB default turned every frame into a write-then-delete (issue 10 bench); 256 MB leaves room for
   * larger real frames.
   */
  STORE_BACKLOG_BYTES: int(64 * 1024, 2 ** 31).default(256 * 1024 * 1024),
  /**
   * A keep-newest policy (the seed's) holds its candidates in memory and writes them when final: the
   * participant leaves the screen, the session ends or is released, or this much time passes. A kill -9
   * loses at most this much of the newest frames.
   */
  FRAME_HOLD_MS: int(100, 60_000).default(3_000),
  /**
   * The same for a participant whose frames were written before: a speaker who stays on screen has their
   * newest frames replaced this often (never more often than FRAME_HOLD_MS). A kill -9 loses at most this
   * much of newer versions of frames already stored.
   */
  FRAME_REFRESH_MS: int(100, 600_000).default(10_000),
  /** How often the retention sweep runs (one worker per period across the fleet); 0 turns it off. */
  RETENTION_SWEEP_MS: int(0, 7 * 86_400_000).default(900_000),
  /** Frames per retention batch: one query, that many object deletes, one transaction of rows. */
  RETENTION_BATCH_SIZE: int(1, 10_000).default(500),
  /**
   * The low-disk guard of the local frame store (FRAME_STORE=local): below this much free space no new
   * frame is written (counted as low_disk). The floor is the larger of the bytes and the percent.
   */
  LOCAL_STORE_MIN_FREE_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(1024 ** 3),
  LOCAL_STORE_MIN_FREE_PERCENT: z.coerce.number().min(0).max(90).default(0),
  /** How often the free space is read (and reported to the portal); writes in between are subtracted. */
  LOCAL_STORE_CHECK_MS: int(100, 600_000).default(10_000),
  /** Opt-in, as Frigate does: delete the oldest frames (any team, audited) to stay above the floor. */
  LOCAL_STORE_DELETE_OLDEST: z
    .enum(["true", "false", "1", "0", ""])
    .default("false")
    .transform((v) => v === "true" || v === "1"),
  /** Delete-oldest starts under floor + headroom and stops once free space is back to floor + 2 x headroom. */
  LOCAL_STORE_DELETE_HEADROOM_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(256 * 1024 ** 2),
  /**
   * Tests and drills only: read the free space from this JSON file instead of statfs. `{"freeBytes": n,
   * "totalBytes": n}` is taken as is; `{"capacityBytes": n}` simulates a disk of that size holding only
   * the frame store (free = capacity - bytes under FRAMES_DIR).
   */
  LOCAL_STORE_DISK_READING_FILE: optionalText,
  /** How often teams' stored bytes are re-read for the capture path's quota check (the database is exact). */
  QUOTA_REFRESH_MS: int(100, 600_000).default(2_000),
  /** Outbound webhooks: hosts that may be http and loopback/private (e.g. 127.0.0.1 in tests); else none. */
  OUTBOUND_WEBHOOK_ALLOW_HOSTS: z.string().default(""),
  /** Tries per delivery and the first retry delay, doubling (12 x from 30 s: about 17 hours in all). */
  OUTBOUND_WEBHOOK_ATTEMPTS: int(1, 30).default(12),
  OUTBOUND_WEBHOOK_BACKOFF_MS: int(10, 3_600_000).default(30_000),
  /** Failed attempts in a row after which an endpoint is disabled. */
  OUTBOUND_WEBHOOK_DISABLE_AFTER: int(1, 1_000).default(30),
  /** How often session rows are scanned for session.started / session.ended; 0 turns webhooks off. */
  OUTBOUND_WEBHOOK_SCAN_MS: int(0, 600_000).default(2_000),
  /** The portal's public URL: frame.stored download links point there; unset, no frame.stored is sent. */
  PUBLIC_BASE_URL: z.url().optional(),
  ROOM_JOB_ATTEMPTS: int(1, 20).default(5),
  ROOM_JOB_BACKOFF_MS: int(10, 600_000).default(2_000),
  /** How long a 202-accepted join may take to show up in the meeting before it counts as a failure. */
  ROOM_CONFIRM_TIMEOUT_MS: int(100, 600_000).default(30_000),
  EVENT_WS_LEASE_MS: int(1_000, 600_000).default(30_000),
  /** Concurrent capture sessions one team may run across all workers; its further streams wait their turn. */
  TEAM_MAX_SESSIONS: int(1, 10_000).default(20),
  /** How long a capture job of a team at its cap waits before trying again (ms, jittered). */
  TEAM_CAP_RETRY_MS: int(100, 600_000).default(5_000),
  /** A session is closed after this many hours whatever Zoom does (fractions allowed). */
  MAX_SESSION_HOURS: z.coerce.number().positive().max(500).default(12),
  /** More than this many unreadable RTMS messages within RTMS_PROTOCOL_ERROR_WINDOW_MS disconnects the server. */
  RTMS_PROTOCOL_ERROR_LIMIT: int(1, 1_000_000).default(500),
  RTMS_PROTOCOL_ERROR_WINDOW_MS: int(100, 3_600_000).default(10_000),
  /** How often each team's Server-to-Server credentials are checked (capture_zoom_credentials_ok). */
  ZOOM_CREDENTIALS_CHECK_MS: int(1_000, 3_600_000).default(60_000),

  // The seed sample's names (first name wins; the ZM_ spelling is the seed's).
  ZOOM_CLIENT_ID: optionalText,
  ZOOM_CLIENT_SECRET: optionalText,
  S2S_ZOOM_CLIENT_ID: optionalText,
  S2S_ZOOM_CLIENT_SECRET: optionalText,
  ZOOM_ACCOUNT_ID: optionalText,
  ZOOM_SECRET_TOKEN: optionalText,
  ZOOM_MEETING_NUMBER: optionalText.pipe(
    z
      .string()
      .regex(/^\d{6,15}$/, "must be the meeting number: 6 to 15 digits, no spaces")
      .optional(),
  ),
  ZOOM_MEETING_PASSCODE: optionalText,
  /** The seed meeting's video: "speaker" (the seed sample's active-speaker video) unless set. */
  CAPTURE_VIDEO_MODE: optionalText.pipe(z.enum(["everyone", "speaker"]).optional()),
  ZOOM_EVENT_WS_BASE: optionalText.pipe(url(["wss:", "ws:"]).optional()),
  /**
   * Hosts the worker may dial for RTMS signaling, media and the event WebSocket, comma-separated: Zoom's
   * domains unless set. ws:// is accepted only for a loopback host listed exactly (zoom-sim in tests).
   */
  RTMS_ALLOWED_HOSTS: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      // Unset or empty (as copied from .env.example): Zoom's own domains.
      const text = raw?.trim() ? raw : DEFAULT_ALLOWED_HOSTS.join(",");
      const { patterns, invalid } = parseAllowedHosts(text);
      if (invalid.length > 0)
        ctx.addIssue({ code: "custom", message: `not a host pattern: ${invalid.join(", ")}` });
      if (patterns.length === 0) ctx.addIssue({ code: "custom", message: "lists no host" });
      return patterns;
    }),
  DEFAULT_TEAM_SLUG: z
    .string()
    .trim()
    .regex(/^[a-z0-9-]{1,64}$/, "must be lowercase letters, digits and dashes")
    .default("demo"),
});
export type Env = z.infer<typeof EnvSchema>;

const ALIASES: Record<string, string> = {
  ZM_CLIENT_ID: "ZOOM_CLIENT_ID",
  ZM_CLIENT_SECRET: "ZOOM_CLIENT_SECRET",
  S2S_ZM_CLIENT_ID: "S2S_ZOOM_CLIENT_ID",
  S2S_ZM_CLIENT_SECRET: "S2S_ZOOM_CLIENT_SECRET",
};

export class EnvError extends Error {
  override readonly name = "EnvError";
  readonly code = "ENV_INVALID" as const;
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join("; ")}`);
  }
}

export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const input: Record<string, string | undefined> = { ...source };
  for (const [seedName, name] of Object.entries(ALIASES)) {
    if (!input[name] && input[seedName]) input[name] = input[seedName];
  }
  const parsed = EnvSchema.safeParse(input);
  if (!parsed.success) {
    throw new EnvError(
      parsed.error.issues.map((i) => ({
        variable: String(i.path[0] ?? "?"),
        // zod reports a missing variable as "expected string, received undefined": say it plainly.
        message: input[String(i.path[0])] === undefined ? "is required" : i.message,
      })),
    );
  }
  const env = parsed.data;
  const pairs: [keyof Env, keyof Env][] = [
    ["ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"],
    ["S2S_ZOOM_CLIENT_ID", "S2S_ZOOM_CLIENT_SECRET"],
  ];
  const issues: { variable: string; message: string }[] = [];
  for (const [a, b] of pairs) {
    if (Boolean(env[a]) !== Boolean(env[b])) {
      const missing = env[a] ? b : a;
      issues.push({ variable: missing, message: `is required when ${missing === a ? b : a} is set` });
    }
  }
  if (env.S2S_ZOOM_CLIENT_ID && !env.ZOOM_ACCOUNT_ID) {
    issues.push({ variable: "ZOOM_ACCOUNT_ID", message: "is required with S2S_ZOOM_CLIENT_ID" });
  }
  if (env.ZOOM_MEETING_NUMBER && !env.ZOOM_CLIENT_ID) {
    issues.push({ variable: "ZOOM_CLIENT_ID", message: "is required with ZOOM_MEETING_NUMBER" });
  }
  issues.push(...frameStoreEnvIssues(env));
  if (issues.length > 0) throw new EnvError(issues);
  return env;
}

/** The env with every secret replaced, for the start-up log line. */
export function redactedEnv(env: Env): Record<string, unknown> {
  const secret = /SECRET|TOKEN|PASSCODE|KEYS|PASSWORD/;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (secret.test(k)) out[k] = "[redacted]";
    else if (k.endsWith("_URL")) out[k] = redactUrl(String(v));
    else out[k] = v;
  }
  return out;
}

function redactUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.password) u.password = "redacted";
    return u.toString();
  } catch {
    return "[unparseable]";
  }
}
