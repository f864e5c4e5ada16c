// Process-wide handles to Postgres, Redis, the job queues, the keyring and the frame store, each created on
// first use (never at import: `next build` loads route modules with no environment). Library code receives
// these as arguments; only app/ routes and actions call these getters.
import { type Db, getDb, type Keyring, parseKeyring } from "@capture/db";
import { JobQueues, redisConnection } from "@capture/jobs";
import { LocalDiskFrameStore } from "@capture/rtms-core/frames";
import { Redis } from "ioredis";
import { env, resolveFromRepoRoot } from "~/env.ts";
import { ThumbnailCache } from "~/modules/gallery/lib/thumbnails.ts";

interface Services {
  db?: Db;
  redis?: Redis;
  queues?: JobQueues;
  keyring?: Keyring;
  frameStore?: LocalDiskFrameStore;
  thumbnails?: ThumbnailCache;
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

export function queues(): JobQueues {
  const e = env();
  s.queues ??= new JobQueues(redisConnection(e.REDIS_URL), e.QUEUE_PREFIX);
  return s.queues;
}

export function keyring(): Keyring {
  s.keyring ??= parseKeyring(env().CAPTURE_ENCRYPTION_KEYS);
  return s.keyring;
}

export function framesDir(): string {
  return resolveFromRepoRoot(env().FRAMES_DIR);
}

export function frameStore(): LocalDiskFrameStore {
  s.frameStore ??= new LocalDiskFrameStore({ rootDir: framesDir() });
  return s.frameStore;
}

export function thumbnails(): ThumbnailCache {
  s.thumbnails ??= new ThumbnailCache({
    cacheDir: resolveFromRepoRoot(env().THUMBNAIL_DIR),
    store: frameStore(),
  });
  return s.thumbnails;
}
