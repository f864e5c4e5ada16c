"use server";
// Portal actions for outbound webhook endpoints: register (secret shown once), validate with the
// challenge, rotate the secret, delete, and resend one delivery.
import { OUTBOUND_WEBHOOK_QUEUE, parseAllowHosts } from "@capture/jobs";
import { Queue } from "bullmq";
import { revalidatePath } from "next/cache";
import { env } from "~/env.ts";
import { requestAddress, requireMember } from "~/server/context.ts";
import { type FormState, formError } from "~/server/form-state.ts";
import { logger } from "~/server/logger.ts";
import { db, keyring, producerRedisClient } from "~/server/services.ts";
import {
  createEndpoint,
  deleteEndpoint,
  type EndpointDeps,
  resendDelivery,
  rotateSecret,
  validateEndpoint,
} from "./lib/endpoints.ts";

const deps = (): EndpointDeps => ({
  db: db(),
  keyring: keyring(),
  allowHosts: parseAllowHosts(env().OUTBOUND_WEBHOOK_ALLOW_HOSTS),
});

const g = globalThis as unknown as { __captureOutboundQueue?: Queue };
/** On the producer connection: a Redis outage fails the resend quickly instead of hanging the page. */
function outboundQueue(): Queue {
  g.__captureOutboundQueue ??= new Queue(OUTBOUND_WEBHOOK_QUEUE, {
    connection: producerRedisClient(),
    ...(env().QUEUE_PREFIX ? { prefix: env().QUEUE_PREFIX } : {}),
  });
  return g.__captureOutboundQueue;
}

const id = (form: FormData) => String(form.get("id") ?? "");

async function run(fn: () => Promise<string>): Promise<FormState> {
  try {
    const message = await fn();
    revalidatePath("/integrations");
    return { message };
  } catch (err) {
    return formError(err, logger());
  }
}

export async function createEndpointAction(_: FormState, form: FormData): Promise<FormState> {
  return run(async () => {
    const member = await requireMember("ADMIN");
    const created = await createEndpoint(
      deps(),
      member,
      {
        url: form.get("url"),
        description: form.get("description") ?? "",
        events: form.getAll("events").map(String),
      },
      await requestAddress(),
    );
    return `Endpoint registered. Its signing secret (shown once): ${created.secret}. Configure your receiver with it, then press "Validate".`;
  });
}

export async function validateEndpointAction(_: FormState, form: FormData): Promise<FormState> {
  return run(async () => {
    await validateEndpoint(deps(), await requireMember("ADMIN"), id(form), await requestAddress());
    return "The endpoint answered the challenge: it is active.";
  });
}

export async function rotateSecretAction(_: FormState, form: FormData): Promise<FormState> {
  return run(async () => {
    const { secret } = await rotateSecret(
      deps(),
      await requireMember("ADMIN"),
      id(form),
      await requestAddress(),
    );
    return `New signing secret (shown once): ${secret}. The endpoint is paused until validated with it.`;
  });
}

export async function deleteEndpointAction(_: FormState, form: FormData): Promise<FormState> {
  return run(async () => {
    await deleteEndpoint(db(), await requireMember("ADMIN"), id(form), await requestAddress());
    return "Endpoint deleted.";
  });
}

export async function resendDeliveryAction(_: FormState, form: FormData): Promise<FormState> {
  return run(async () => {
    await resendDelivery(
      { db: db(), queue: outboundQueue() },
      await requireMember("ADMIN"),
      id(form),
      await requestAddress(),
    );
    return "Delivery queued again (same event id).";
  });
}
