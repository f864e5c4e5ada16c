"use server";
import { revalidatePath } from "next/cache";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { ACTIVE_TEAM_COOKIE, requestAddress, requireMember } from "~/server/context.ts";
import { type FormState, formError } from "~/server/form-state.ts";
import { logger } from "~/server/logger.ts";
import { db } from "~/server/services.ts";
import { parseInput } from "~/server/validation.ts";
import { AddMemberInput, addMember } from "./lib/members.ts";

export async function switchTeamAction(form: FormData): Promise<void> {
  const member = await requireMember();
  const teamId = String(form.get("teamId") ?? "");
  // Only a team the user belongs to; anything else leaves the choice as it was.
  if (member.teams.some((t) => t.id === teamId)) {
    (await cookies()).set(ACTIVE_TEAM_COOKIE, teamId, { httpOnly: true, sameSite: "lax", path: "/" });
  }
  redirect("/sessions");
}

export async function addMemberAction(_: FormState, form: FormData): Promise<FormState> {
  try {
    const member = await requireMember();
    const input = parseInput(AddMemberInput, {
      email: form.get("email"),
      name: form.get("name"),
      role: form.get("role"),
      password: form.get("password") ?? "",
    });
    await addMember(db(), member, input, await requestAddress());
  } catch (err) {
    return formError(err, logger());
  }
  revalidatePath("/team");
  return { message: "Member added." };
}
