// A team's outbound webhook endpoints: registered by admins, validated with a challenge in the manner of
// Zoom's endpoint.url_validation, each with its own signing secret (shown once, rotatable). Deliveries are
// created and sent by the worker (apps/worker/src/outbound); here: the list, the delivery log and resend.
import { randomBytes } from "node:crypto";
import { type Db, decryptSecret, encryptSecret, type Keyring } from "@capture/db";
import {
  challengeAnswer,
  checkOutboundUrl,
  newSigningSecret,
  OUTBOUND_EVENT_TYPES,
  type OutboundDeliveryJob,
  signedHeaders,
} from "@capture/jobs";
import type { Queue } from "bullmq";
import { z } from "zod";
import { recordAudit } from "~/modules/audit/lib/audit.ts";
import { type Member, requireRole } from "~/modules/teams/lib/membership.ts";
import { AppError } from "~/server/errors.ts";
import { parseInput } from "~/server/validation.ts";

/** Encryption context of WebhookEndpoint.secretEnc; the worker decrypts with the same. */
export const ENDPOINT_SECRET_CONTEXT = "webhook_endpoint.signing_secret";
const CHALLENGE_TIMEOUT_MS = 5000;

export interface EndpointDeps {
  db: Db;
  keyring: Keyring;
  allowHosts: readonly string[];
  fetch?: typeof fetch;
}

export const EndpointInput = z.object({
  url: z.string().trim().min(1, "Enter the URL").max(2000),
  description: z.string().trim().max(200).default(""),
  events: z.array(z.enum(OUTBOUND_EVENT_TYPES)).default([]),
});

async function assertUrl(deps: EndpointDeps, url: string) {
  const check = await checkOutboundUrl(url, deps.allowHosts);
  if (!check.ok) throw new AppError("VALIDATION", check.message, { field: "url" });
}

async function endpointOf(db: Db, teamId: string, id: string) {
  const ep = await db.webhookEndpoint.findFirst({ where: { id, teamId } });
  if (!ep) throw new AppError("NOT_FOUND", "No such endpoint");
  return ep;
}

/** Registers an endpoint (not yet validated: it receives nothing until validateEndpoint succeeds). */
export async function createEndpoint(deps: EndpointDeps, actor: Member, raw: unknown, ip?: string | null) {
  requireRole(actor, "ADMIN");
  const input = parseInput(EndpointInput, raw);
  await assertUrl(deps, input.url);
  const secret = newSigningSecret();
  const ep = await deps.db.$transaction(async (tx) => {
    const created = await tx.webhookEndpoint.create({
      data: {
        teamId: actor.teamId,
        url: input.url,
        description: input.description || null,
        events: input.events,
        secretEnc: encryptSecret(deps.keyring, secret, ENDPOINT_SECRET_CONTEXT),
      },
    });
    await recordAudit(tx, {
      teamId: actor.teamId,
      actorUserId: actor.userId,
      action: "webhook_endpoint.create",
      targetType: "webhook_endpoint",
      targetId: created.id,
      data: { url: input.url, events: input.events },
      ip: ip ?? null,
    });
    return created;
  });
  return { id: ep.id, secret };
}

/**
 * Sends the challenge: a signed POST of { event: "endpoint.url_validation", payload: { plainToken } }; the
 * endpoint must answer 2xx with { plainToken, encryptedToken: hex HMAC-SHA256(secret, plainToken) }.
 * Success activates the endpoint (also one that was disabled) and clears its failure count.
 */
export async function validateEndpoint(deps: EndpointDeps, actor: Member, id: string, ip?: string | null) {
  requireRole(actor, "ADMIN");
  const ep = await endpointOf(deps.db, actor.teamId, id);
  await assertUrl(deps, ep.url);
  const secret = decryptSecret(deps.keyring, ep.secretEnc, ENDPOINT_SECRET_CONTEXT);
  const plainToken = randomBytes(16).toString("base64url");
  const eventId = `evt_validation_${randomBytes(8).toString("hex")}`;
  const body = JSON.stringify({
    id: eventId,
    event: "endpoint.url_validation",
    payload: { plainToken },
    event_ts: Date.now(),
  });
  let answer: unknown;
  try {
    const res = await (deps.fetch ?? fetch)(ep.url, {
      method: "POST",
      headers: signedHeaders(secret, body, { id: eventId, type: "endpoint.url_validation" }),
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(CHALLENGE_TIMEOUT_MS),
    });
    if (res.status < 200 || res.status >= 300) {
      throw new AppError("VALIDATION", `The endpoint answered HTTP ${res.status} to the challenge`);
    }
    answer = await res.json().catch(() => null);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError("VALIDATION", "The endpoint could not be reached for the challenge", undefined, {
      cause: err,
    });
  }
  const a = answer as { plainToken?: unknown; encryptedToken?: unknown } | null;
  if (a?.plainToken !== plainToken || a.encryptedToken !== challengeAnswer(secret, plainToken)) {
    throw new AppError("VALIDATION", "The endpoint's answer to the challenge is wrong");
  }
  await deps.db.$transaction([
    deps.db.webhookEndpoint.update({
      where: { id },
      data: {
        validatedAt: new Date(),
        status: "ACTIVE",
        consecutiveFailures: 0,
        disabledAt: null,
        disabledReason: null,
      },
    }),
    deps.db.auditEvent.create({
      data: {
        teamId: actor.teamId,
        actorUserId: actor.userId,
        action: "webhook_endpoint.validate",
        targetType: "webhook_endpoint",
        targetId: id,
        ip: ip ?? null,
      },
    }),
  ]);
}

/** A new secret, shown once. The endpoint pauses until it is validated again with the new secret. */
export async function rotateSecret(deps: EndpointDeps, actor: Member, id: string, ip?: string | null) {
  requireRole(actor, "ADMIN");
  await endpointOf(deps.db, actor.teamId, id);
  const secret = newSigningSecret();
  await deps.db.$transaction([
    deps.db.webhookEndpoint.update({
      where: { id },
      data: { secretEnc: encryptSecret(deps.keyring, secret, ENDPOINT_SECRET_CONTEXT), validatedAt: null },
    }),
    deps.db.auditEvent.create({
      data: {
        teamId: actor.teamId,
        actorUserId: actor.userId,
        action: "webhook_endpoint.rotate_secret",
        targetType: "webhook_endpoint",
        targetId: id,
        ip: ip ?? null,
      },
    }),
  ]);
  return { secret };
}

export async function deleteEndpoint(db: Db, actor: Member, id: string, ip?: string | null) {
  requireRole(actor, "ADMIN");
  const ep = await endpointOf(db, actor.teamId, id);
  await db.$transaction([
    db.webhookEndpoint.delete({ where: { id } }),
    db.auditEvent.create({
      data: {
        teamId: actor.teamId,
        actorUserId: actor.userId,
        action: "webhook_endpoint.delete",
        targetType: "webhook_endpoint",
        targetId: id,
        data: { url: ep.url },
        ip: ip ?? null,
      },
    }),
  ]);
}

export async function listEndpoints(db: Db, teamId: string) {
  return db.webhookEndpoint.findMany({
    where: { teamId },
    select: {
      id: true,
      url: true,
      description: true,
      events: true,
      status: true,
      validatedAt: true,
      consecutiveFailures: true,
      disabledAt: true,
      disabledReason: true,
      createdAt: true,
    },
    orderBy: { createdAt: "desc" },
  });
}

export const DELIVERY_LOG_SIZE = 50;

/** The newest deliveries of one endpoint of this team (status, latency, response excerpt). */
export async function listDeliveries(db: Db, teamId: string, endpointId: string) {
  await endpointOf(db, teamId, endpointId);
  return db.webhookDelivery.findMany({
    where: { endpointId },
    select: {
      id: true,
      eventId: true,
      eventType: true,
      status: true,
      attempts: true,
      responseStatus: true,
      responseExcerpt: true,
      latencyMs: true,
      lastError: true,
      createdAt: true,
      deliveredAt: true,
    },
    orderBy: { createdAt: "desc" },
    take: DELIVERY_LOG_SIZE,
  });
}

/** Sends a delivery again, once: the same body and event id, so the receiver can tell it is a replay. */
export async function resendDelivery(
  deps: { db: Db; queue: Pick<Queue, "add"> },
  actor: Member,
  deliveryId: string,
  ip?: string | null,
) {
  requireRole(actor, "ADMIN");
  const d = await deps.db.webhookDelivery.findFirst({
    where: { id: deliveryId, endpoint: { teamId: actor.teamId } },
  });
  if (!d) throw new AppError("NOT_FOUND", "No such delivery");
  await deps.db.webhookDelivery.update({ where: { id: d.id }, data: { status: "PENDING" } });
  const job: OutboundDeliveryJob = { deliveryId: d.id };
  await deps.queue.add("deliver", job, {
    jobId: `${d.id}-resend-${Date.now()}`,
    attempts: 1,
    removeOnComplete: { age: 24 * 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
  });
  await recordAudit(deps.db, {
    teamId: actor.teamId,
    actorUserId: actor.userId,
    action: "webhook_delivery.resend",
    targetType: "webhook_delivery",
    targetId: d.id,
    data: { eventId: d.eventId },
    ip: ip ?? null,
  });
}
