// The public REST API: every /api/v1 path goes to the one dispatcher (modules/api/lib/handler.ts), so
// routing, auth, scopes, rate limits and validation are the same code the contract test walks.

import { env } from "~/env.ts";
import { handleApiRequest } from "~/modules/api/lib/handler.ts";
import { TokenUsageRecorder } from "~/modules/api/lib/usage.ts";
import { requestAddress } from "~/server/context.ts";
import { logger } from "~/server/logger.ts";
import { db, frameStore, keyring, producerRedisClient, queues } from "~/server/services.ts";

export const dynamic = "force-dynamic";

const g = globalThis as unknown as { __captureApiUsage?: TokenUsageRecorder };

async function handle(req: Request): Promise<Response> {
  g.__captureApiUsage ??= new TokenUsageRecorder(db(), {
    onError: (err) => logger().warn({ err }, "api token usage not recorded"),
  });
  return handleApiRequest(
    req,
    {
      db: db(),
      keyring: keyring(),
      frameStore: frameStore(),
      queues: queues(),
      redis: producerRedisClient(),
      usage: g.__captureApiUsage,
      rateLimit: { prefix: env().QUEUE_PREFIX ?? "capture", perMinute: env().API_RATE_LIMIT_PER_MIN },
      log: logger(),
    },
    await requestAddress(),
  );
}

export const GET = handle;
export const POST = handle;
export const PUT = handle;
export const PATCH = handle;
export const DELETE = handle;
