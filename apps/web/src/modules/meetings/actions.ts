"use server";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { requestAddress, requireMember } from "~/server/context.ts";
import { type FormState, formError } from "~/server/form-state.ts";
import { logger } from "~/server/logger.ts";
import { db, keyring } from "~/server/services.ts";
import { meetingInputFromForm } from "./lib/form.ts";
import { createMeeting, deleteMeeting, updateMeeting } from "./lib/meetings.ts";

export async function createMeetingAction(_: FormState, form: FormData): Promise<FormState> {
  let id: string;
  try {
    const member = await requireMember();
    const meeting = await createMeeting(
      { db: db(), keyring: keyring() },
      member,
      meetingInputFromForm(form),
      await requestAddress(),
    );
    id = meeting.id;
  } catch (err) {
    return formError(err, logger());
  }
  revalidatePath("/meetings");
  redirect(`/meetings/${id}?saved=1`);
}

export async function updateMeetingAction(id: string, _: FormState, form: FormData): Promise<FormState> {
  try {
    const member = await requireMember();
    await updateMeeting(
      { db: db(), keyring: keyring() },
      member,
      id,
      meetingInputFromForm(form),
      await requestAddress(),
    );
  } catch (err) {
    return formError(err, logger());
  }
  revalidatePath("/meetings");
  revalidatePath(`/meetings/${id}`);
  return { message: "Saved." };
}

export async function deleteMeetingAction(id: string, _: FormState, _form: FormData): Promise<FormState> {
  try {
    const member = await requireMember();
    await deleteMeeting(db(), member, id, await requestAddress());
  } catch (err) {
    return formError(err, logger());
  }
  revalidatePath("/meetings");
  redirect("/meetings");
}
