"use server";
// Portal actions for API tokens: create (the secret is returned once, in the form's message) and revoke.
import { revalidatePath } from "next/cache";
import { requestAddress, requireMember } from "~/server/context.ts";
import { type FormState, formError } from "~/server/form-state.ts";
import { logger } from "~/server/logger.ts";
import { db } from "~/server/services.ts";
import { createApiToken, revokeApiToken } from "./lib/tokens.ts";

export async function createTokenAction(_: FormState, form: FormData): Promise<FormState> {
  try {
    const member = await requireMember("ADMIN");
    const days = String(form.get("expiresInDays") ?? "").trim();
    const created = await createApiToken(
      db(),
      member,
      {
        name: form.get("name"),
        scopes: form.getAll("scopes").map(String),
        ...(days ? { expiresInDays: days } : {}),
      },
      { ip: await requestAddress() },
    );
    revalidatePath("/integrations");
    return {
      message: `Token "${created.name}" created. Copy it now; it is not shown again: ${created.token}`,
    };
  } catch (err) {
    return formError(err, logger());
  }
}

export async function revokeTokenAction(_: FormState, form: FormData): Promise<FormState> {
  try {
    const member = await requireMember("ADMIN");
    await revokeApiToken(db(), member, String(form.get("id") ?? ""), await requestAddress());
  } catch (err) {
    return formError(err, logger());
  }
  revalidatePath("/integrations");
  return { message: "Token revoked." };
}
