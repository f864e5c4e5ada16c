"use server";
import { revalidatePath } from "next/cache";
import { requestAddress, requireMember } from "~/server/context.ts";
import { type FormState, formError } from "~/server/form-state.ts";
import { logger } from "~/server/logger.ts";
import { db, queues } from "~/server/services.ts";
import { dismissRetryItem, retryNow } from "./lib/retries.ts";

export async function retryNowAction(id: string, _: FormState, _form: FormData): Promise<FormState> {
  try {
    const member = await requireMember();
    await retryNow({ db: db(), queues: queues() }, member, id, await requestAddress());
  } catch (err) {
    return formError(err, logger());
  }
  revalidatePath("/retries");
  return { message: "Retry queued." };
}

export async function dismissAction(id: string, _: FormState, _form: FormData): Promise<FormState> {
  try {
    const member = await requireMember();
    await dismissRetryItem(db(), member, id, await requestAddress());
  } catch (err) {
    return formError(err, logger());
  }
  revalidatePath("/retries");
  return { message: "Dismissed." };
}
