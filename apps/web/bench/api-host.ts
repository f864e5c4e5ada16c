// Serves /api/v1 (the same dispatcher the Next catch-all route calls) and /api/health over node:http,
// for bench/api.ts, without `next build`. Started as a child process so client and server do not share an
// event loop. Prints "listening <port>" when ready.
import { createServer } from "node:http";
import * as health from "~/app/api/health/route.ts";
import { env } from "~/env.ts";
import { handleApiRequest } from "~/modules/api/lib/handler.ts";
import { TokenUsageRecorder } from "~/modules/api/lib/usage.ts";
import { db, frameStore, keyring, producerRedisClient, queues } from "~/server/services.ts";

const runtime = {
  db: db(),
  keyring: keyring(),
  frameStore: frameStore(),
  queues: queues(),
  redis: producerRedisClient(),
  usage: new TokenUsageRecorder(db()),
  rateLimit: { prefix: env().QUEUE_PREFIX ?? "capture", perMinute: env().API_RATE_LIMIT_PER_MIN },
};

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const request = new Request(url, { method: req.method, headers: req.headers as Record<string, string> });
    const response =
      url.pathname === "/api/health"
        ? await health.GET()
        : await handleApiRequest(request, runtime, "127.0.0.1");
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (err) {
    console.error(err);
    res.writeHead(500).end();
  }
});
process.on("SIGTERM", () => process.exit(0));
server.listen(0, "127.0.0.1", () => {
  console.log(`listening ${(server.address() as { port: number }).port}`);
});
