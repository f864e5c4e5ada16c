// Serves the portal's real route handlers over node:http, for the webhook bench: the same modules Next
// runs (route.ts files, services, env), without `next build`. Started by bench/webhook.ts as a child
// process, so client and server do not share an event loop. Prints "listening <port>" when ready.
//   tsx bench/route-host.ts            (environment as for the portal)
import { createServer } from "node:http";
import { Readable } from "node:stream";
import * as health from "~/app/api/health/route.ts";
import * as currentWebhook from "~/app/api/zoom/webhook/[teamId]/route.ts";

// BENCH_WEBHOOK_ROUTE: another module with the same POST export (e.g. an older version, to compare).
const webhook: typeof currentWebhook = process.env.BENCH_WEBHOOK_ROUTE
  ? await import(process.env.BENCH_WEBHOOK_ROUTE)
  : currentWebhook;

const WEBHOOK = /^\/api\/zoom\/webhook\/([^/]+)$/;

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const request = new Request(url, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      ...(req.method === "POST" ? { body: Readable.toWeb(req) as ReadableStream, duplex: "half" } : {}),
    } as RequestInit);
    const match = WEBHOOK.exec(url.pathname);
    let response: Response;
    if (req.method === "GET" && url.pathname === "/api/health") response = await health.GET();
    else if (req.method === "POST" && match)
      response = await webhook.POST(request, { params: Promise.resolve({ teamId: match[1]! }) });
    else response = new Response("not found", { status: 404 });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (err) {
    console.error(err);
    res.writeHead(500).end();
  }
});
// A normal exit on SIGTERM, so `node --cpu-prof` (BENCH_NODE_ARGS) writes its profile.
process.on("SIGTERM", () => process.exit(0));
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  console.log(`listening ${port}`);
});
