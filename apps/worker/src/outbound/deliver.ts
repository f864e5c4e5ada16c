// One delivery attempt: sign the stored event body, POST it, record status, latency and a response
// excerpt. A failed attempt throws so BullMQ retries it with exponential backoff; an endpoint whose
// attempts keep failing (disableAfter in a row) is disabled and its pending deliveries stop.
import { type Db, decryptSecret, type Keyring } from "@capture/db";
import { checkOutboundUrl, signedHeaders } from "@capture/jobs";

/** Encryption context of WebhookEndpoint.secretEnc (the portal encrypts with the same). */
export const ENDPOINT_SECRET_CONTEXT = "webhook_endpoint.signing_secret";

export interface DeliverDeps {
  db: Db;
  keyring: Keyring;
  allowHosts: readonly string[];
  disableAfter: number;
  timeoutMs: number;
  fetch?: typeof fetch;
}

export class DeliveryFailed extends Error {
  override readonly name = "DeliveryFailed";
}

export type DeliveryOutcome = "delivered" | "retry" | "failed" | "skipped";

export async function deliverOnce(
  deps: DeliverDeps,
  deliveryId: string,
  attempt: { made: number; max: number },
): Promise<DeliveryOutcome> {
  const d = await deps.db.webhookDelivery.findUnique({
    where: { id: deliveryId },
    include: { endpoint: true },
  });
  if (!d || d.status === "SUCCEEDED") return "skipped";
  const ep = d.endpoint;
  const finalFail = async (lastError: string) => {
    await deps.db.webhookDelivery.update({ where: { id: d.id }, data: { status: "FAILED", lastError } });
    return "failed" as const;
  };
  if (ep.status === "DISABLED") return finalFail("endpoint disabled");
  const check = await checkOutboundUrl(ep.url, deps.allowHosts);
  if (!check.ok) return finalFail(`URL refused: ${check.message}`);

  const body = JSON.stringify(d.payload);
  const secret = decryptSecret(deps.keyring, ep.secretEnc, ENDPOINT_SECRET_CONTEXT);
  const started = performance.now();
  let status: number | null = null;
  let excerpt: string | null = null;
  let error: string | null = null;
  try {
    const res = await (deps.fetch ?? fetch)(check.url, {
      method: "POST",
      headers: signedHeaders(secret, body, { id: d.eventId, type: d.eventType }),
      body,
      // A redirect could lead anywhere, past the URL rule: it counts as a failure.
      redirect: "manual",
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
    status = res.status;
    excerpt = (await res.text()).slice(0, 500);
  } catch (err) {
    error =
      (err as Error).name === "TimeoutError"
        ? `timed out after ${deps.timeoutMs} ms`
        : (err as Error).message;
  }
  const latencyMs = Math.round(performance.now() - started);
  const ok = status !== null && status >= 200 && status < 300;
  const attempts = d.attempts + 1;
  if (ok) {
    await deps.db.$transaction([
      deps.db.webhookDelivery.update({
        where: { id: d.id },
        data: {
          status: "SUCCEEDED",
          attempts,
          responseStatus: status,
          responseExcerpt: excerpt,
          latencyMs,
          lastError: null,
          deliveredAt: new Date(),
        },
      }),
      // Only when there is a count to clear: concurrent deliveries to one endpoint would otherwise all
      // queue on that row's lock.
      deps.db.webhookEndpoint.updateMany({
        where: { id: ep.id, consecutiveFailures: { gt: 0 } },
        data: { consecutiveFailures: 0 },
      }),
    ]);
    return "delivered";
  }
  const lastError = error ?? `HTTP ${status}`;
  const updated = await deps.db.webhookEndpoint.update({
    where: { id: ep.id },
    data: { consecutiveFailures: { increment: 1 } },
  });
  const disable = updated.consecutiveFailures >= deps.disableAfter;
  if (disable) {
    await deps.db.webhookEndpoint.updateMany({
      where: { id: ep.id, status: "ACTIVE" },
      data: {
        status: "DISABLED",
        disabledAt: new Date(),
        disabledReason: `${updated.consecutiveFailures} failed attempts in a row (last: ${lastError})`,
      },
    });
  }
  const final = disable || attempt.made + 1 >= attempt.max;
  await deps.db.webhookDelivery.update({
    where: { id: d.id },
    data: {
      status: final ? "FAILED" : "PENDING",
      attempts,
      responseStatus: status,
      responseExcerpt: excerpt,
      latencyMs,
      lastError,
    },
  });
  return final ? "failed" : "retry";
}
