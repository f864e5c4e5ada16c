"use server";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { requestAddress, requireMember } from "~/server/context.ts";
import { type FormState, formError } from "~/server/form-state.ts";
import { logger } from "~/server/logger.ts";
import { db, frameStore, thumbnails } from "~/server/services.ts";
import { deleteFrame, deleteParticipantFrames } from "./lib/delete-frames.ts";

const deps = () => ({ db: db(), store: frameStore(), thumbnails: thumbnails(), log: logger() });

export async function deleteFrameAction(frameId: string, _: FormState, _form: FormData): Promise<FormState> {
  let back: string;
  try {
    const member = await requireMember();
    const { participantId, sessionId } = await deleteFrame(deps(), member, frameId, await requestAddress());
    back = `/sessions/${sessionId}/participants/${participantId}`;
  } catch (err) {
    return formError(err, logger());
  }
  revalidatePath(back);
  redirect(back);
}

export async function deleteParticipantFramesAction(
  participantId: string,
  _: FormState,
  _form: FormData,
): Promise<FormState> {
  let result: { deleted: number; sessionId: string };
  try {
    const member = await requireMember();
    result = await deleteParticipantFrames(deps(), member, participantId, await requestAddress());
  } catch (err) {
    return formError(err, logger());
  }
  revalidatePath(`/sessions/${result.sessionId}/participants/${participantId}`);
  return { message: `Deleted ${result.deleted} frames.` };
}
