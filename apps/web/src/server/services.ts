// Process-wide handles to Postgres, Redis, the job queues, the keyring and the frame store, each created on
// first use (never at import: `next build` loads route modules with no environment). Library code receives
// these as arguments; only app/ routes and actions call these getters.
import { type Db, getDb, type Keyring, parseKeyring } from "@capture/db";
import { JobQueues } from "@capture/jobs";
import { createFrameStore, type FrameStore, frameStoreConfigFromEnv } from "@capture/rtms-core/frames";
import { Redis } from "ioredis";
import { env, resolveFromRepoRoot } from "~/env.ts";
import { ThumbnailCache } from "~/modules/gallery/lib/thumbnails.ts";
import { SIGNATURE_WINDOW_SEC, webhookSecretCache } from "~/modules/webhook/lib/handle-webhook.ts";
import { ReplayGuard } from "~/modules/webhook/lib/replay-guard.ts";
import type { SecretCache } from "~/modules/webhook/lib/secret-cache.ts";

interface Services {
  db?: Db;
  redis?: Redis;
  queues?: JobQueues;
  keyring?: Keyring;
  frameStore?: FrameStore;
  thumbnails?: ThumbnailCache;
  webhookSecrets?: SecretCache;
  webhookReplay?: ReplayGuard;
}
const g = globalThis as unknown as { __captureWeb?: Services };
g.__captureWeb ??= {};
const s = g.__captureWeb;

export function db(): Db {
  s.db ??= getDb(env().DATABASE_URL);
  return s.db;
}

export function redis(): Redis {
  s.redis ??= new Redis(env().REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: false });
  return s.redis;
}

/** Producer queues: a fail-fast connection of their own, never the blocking kind workers use. */
export function queues(): JobQueues {
  const e = env();
  // 1.5 s per enqueue: with the webhook's 1 s replay check, its Redis work fits in Zoom's 3 s.
  s.queues ??= JobQueues.producer(e.REDIS_URL, e.QUEUE_PREFIX, { deadlineMs: 1500 });
  return s.queues;
}

/** The producer queues' fail-fast Redis client, for request-time keys (sign-in limits, revocations). */
export function producerRedisClient(): Redis {
  const producer = queues().producer;
  if (!producer) throw new Error("invariant: portal queues are producer queues");
  return producer;
}

export function webhookSecrets(): SecretCache {
  s.webhookSecrets ??= webhookSecretCache(db(), keyring());
  return s.webhookSecrets;
}

/** Webhook replay keys, on the producer connection (a Redis outage must answer 503 in time here too). */
export function webhookReplayGuard(): ReplayGuard {
  s.webhookReplay ??= new ReplayGuard(producerRedisClient(), {
    prefix: env().QUEUE_PREFIX ?? "capture",
    ttlSec: 2 * SIGNATURE_WINDOW_SEC,
  });
  return s.webhookReplay;
}

export function keyring(): Keyring {
  s.keyring ??= parseKeyring(env().CAPTURE_ENCRYPTION_KEYS);
  return s.keyring;
}

export function framesDir(): string {
  return resolveFromRepoRoot(env().FRAMES_DIR);
}

/** Local disk or S3, by FRAME_STORE: the same choice as the worker's (rtms-core createFrameStore). */
export function frameStore(): FrameStore {
  s.frameStore ??= createFrameStore(frameStoreConfigFromEnv(env(), framesDir()));
  return s.frameStore;
}

export function thumbnails(): ThumbnailCache {
  s.thumbnails ??= new ThumbnailCache({
    cacheDir: resolveFromRepoRoot(env().THUMBNAIL_DIR),
    store: frameStore(),
  });
  return s.thumbnails;
}
