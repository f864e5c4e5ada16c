import { env } from "~/env.ts";
import { handleZoomWebhook } from "~/modules/webhook/lib/handle-webhook.ts";
import { logger } from "~/server/logger.ts";
import { db, keyring, queues, webhookReplayGuard, webhookSecrets } from "~/server/services.ts";

export const dynamic = "force-dynamic";

let log: ReturnType<typeof logger> | undefined;

export async function POST(req: Request, ctx: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await ctx.params;
  log ??= logger().child({ route: "webhook" });
  return handleZoomWebhook(
    {
      db: db(),
      keyring: keyring(),
      queues: queues(),
      replay: webhookReplayGuard(),
      secrets: webhookSecrets(),
      maxBytes: env().WEBHOOK_MAX_BYTES,
      log,
    },
    req,
    teamId,
  );
}
