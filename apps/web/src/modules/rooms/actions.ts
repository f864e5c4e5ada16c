"use server";
import { revalidatePath } from "next/cache";
import { requestAddress, requireMember } from "~/server/context.ts";
import { type FormState, formError } from "~/server/form-state.ts";
import { logger } from "~/server/logger.ts";
import { db, queues } from "~/server/services.ts";
import { addRoomById, removeRoom, requestRoomsSync } from "./lib/rooms.ts";

export async function syncRoomsAction(_: FormState, _form: FormData): Promise<FormState> {
  try {
    const member = await requireMember();
    await requestRoomsSync(queues(), db(), member, await requestAddress());
  } catch (err) {
    return formError(err, logger());
  }
  return {
    message: "Sync requested: the list updates when the worker has asked Zoom (reload in a few seconds).",
  };
}

export async function addRoomAction(_: FormState, form: FormData): Promise<FormState> {
  try {
    const member = await requireMember();
    await addRoomById(
      db(),
      member,
      { zoomRoomId: form.get("zoomRoomId"), name: form.get("name") ?? "" },
      await requestAddress(),
    );
  } catch (err) {
    return formError(err, logger());
  }
  revalidatePath("/rooms");
  return { message: "Room added." };
}

export async function removeRoomAction(id: string, _: FormState, _form: FormData): Promise<FormState> {
  try {
    const member = await requireMember();
    await removeRoom(db(), member, id, await requestAddress());
  } catch (err) {
    return formError(err, logger());
  }
  revalidatePath("/rooms");
  return {};
}
