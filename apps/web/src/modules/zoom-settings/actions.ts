"use server";
import { revalidatePath } from "next/cache";
import { env } from "~/env.ts";
import { requestAddress, requireMember } from "~/server/context.ts";
import { type FormState, formError } from "~/server/form-state.ts";
import { logger } from "~/server/logger.ts";
import { db, keyring } from "~/server/services.ts";
import { saveZoomApp, testZoomConnection } from "./lib/zoom-app.ts";

const field = (form: FormData, name: string) => String(form.get(name) ?? "");

export async function saveZoomAppAction(_: FormState, form: FormData): Promise<FormState> {
  try {
    const member = await requireMember();
    await saveZoomApp(
      { db: db(), keyring: keyring() },
      member,
      {
        clientId: field(form, "clientId"),
        clientSecret: field(form, "clientSecret"),
        webhookSecretToken: field(form, "webhookSecretToken"),
        s2sAccountId: field(form, "s2sAccountId"),
        s2sClientId: field(form, "s2sClientId"),
        s2sClientSecret: field(form, "s2sClientSecret"),
        eventWsUrl: field(form, "eventWsUrl"),
      },
      await requestAddress(),
    );
  } catch (err) {
    return formError(err, logger());
  }
  revalidatePath("/settings");
  return { message: "Saved. Secrets are stored encrypted and are never shown again." };
}

export async function testConnectionAction(_: FormState, _form: FormData): Promise<FormState> {
  try {
    const member = await requireMember();
    const e = env();
    const result = await testZoomConnection(
      { db: db(), keyring: keyring(), apiBase: e.ZOOM_API_BASE, oauthBase: e.ZOOM_OAUTH_BASE },
      member,
    );
    if (!result.ok) return { error: `Connection failed (${result.code}): ${result.message}` };
    const names = result.rooms.map((r) => `${r.name} (${r.status ?? "?"})`).join(", ");
    return { message: `Connected: token issued, ${result.roomCount} rooms${names ? `: ${names}` : ""}.` };
  } catch (err) {
    return formError(err, logger());
  }
}
