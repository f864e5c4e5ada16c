// Example 3: verify Zoom webhooks. Every request's x-zm-signature is checked against the raw body before
// anything is parsed; endpoint.url_validation is answered; other events are parsed into typed ZoomEvents.
// Run: ZOOM_SECRET_TOKEN=... PORT=8080 node verify-webhook.mjs   (prints one JSON line per event)
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { parseZoomEvent, urlValidationResponse, verifyWebhookSignature } from "@capture/rtms-core";

const MAX_BODY_BYTES = 64 * 1024;

/** A node:http request handler: `onEvent(event)` receives each verified, parsed Zoom event. */
export function createWebhookHandler({ secretToken, onEvent }) {
  return async (req, res) => {
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return answer(res, 413, { error: "body too large" });
      chunks.push(chunk);
    }
    const rawBody = Buffer.concat(chunks);
    const verified = verifyWebhookSignature({
      secretToken,
      timestampHeader: req.headers["x-zm-request-timestamp"],
      signatureHeader: req.headers["x-zm-signature"],
      rawBody,
    });
    if (!verified.ok) return answer(res, 401, { error: verified.reason });
    const parsed = parseZoomEvent(rawBody);
    if (!parsed.ok) return answer(res, 400, { error: parsed.error.code });
    const event = parsed.event;
    if (event.kind === "url_validation") {
      return answer(res, 200, urlValidationResponse(secretToken, event.payload.plainToken));
    }
    // Answer at once (Zoom waits 3 s at most), then act.
    answer(res, 200, { ok: true });
    onEvent(event);
  };
}

function answer(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** Listen on 127.0.0.1:PORT (0 = any) and resolve with the webhook URL. */
export async function listen(handler, port = Number(process.env.PORT ?? 8080)) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/webhook` };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const secretToken = process.env.ZOOM_SECRET_TOKEN;
  if (!secretToken) throw new Error("set ZOOM_SECRET_TOKEN");
  const { url } = await listen(
    createWebhookHandler({
      secretToken,
      onEvent: (event) => console.log(JSON.stringify({ event: event.event, kind: event.kind })),
    }),
  );
  console.log(JSON.stringify({ listening: url }));
}
